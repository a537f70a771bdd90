/**
 * Listing: dumps of tables, chains, sets, elements, rules and objects, parsed by libnftnl in the
 * addon in one crossing, then turned into nftables JSON in the order `nft -j list ruleset` prints
 * them (per table: the table, its counters and quotas, its sets and maps, its chains, then the
 * rules chain by chain). The dumps are repeated if the ruleset generation changed while they
 * ran, so a listing is one consistent state and its generation can guard a later apply.
 */
import type { MessageWriter } from '../netlink/attributes.js';
import type { Connection } from '../netlink/connection.js';
import { NLM_F_DUMP, NLM_F_REQUEST } from '../netlink/constants.js';
import { NetlinkError } from '../netlink/errors.js';
import { Errno } from '../netlink/errno.js';
import { messageAttributes, messageBytes, type NetlinkMessage } from '../netlink/message.js';
import { native } from '../native.js';
import { NFGENMSG_SIZE, NFPROTO_UNSPEC, NFTA_GEN_ID, NFTA_OBJ_NAME, NFTA_OBJ_TABLE, NFTA_OBJ_TYPE, NFTA_RULE_CHAIN, NFTA_RULE_TABLE, NFTA_SET_ELEM_LIST_SET, NFTA_SET_ELEM_LIST_TABLE, NFT_MSG_GETCHAIN, NFT_MSG_GETGEN, NFT_MSG_GETOBJ, NFT_MSG_GETOBJ_RESET, NFT_MSG_GETRULE, NFT_MSG_GETSET, NFT_MSG_GETSETELEM, NFT_MSG_GETTABLE, NFT_SET_ANONYMOUS, nftMessageType } from './constants.js';
import { splitTypeId, type InterfaceNames } from './datatypes.js';
import { decompileRule, familyName, type ParsedElement, type ParsedSet } from './decompile.js';
import { descriptorFromParsed } from './expr/index.js';
import { NFT_META_IIF, NFT_META_OIF } from './expr/meta.js';
import type { NftListing, NftObject, NftRule, NftStatefulObject, NftTable } from './json.js';
import { writeNfgenmsg } from './messages.js';
import { chainJson, objectJson, setJson, tableJson, type ParsedChain, type ParsedObject, type ParsedTable } from './objects.js';
import { userdataString } from './sets.js';
import { NFTNL_UDATA_RULE_COMMENT } from './constants.js';

/** What to list. Without a table: every table (of `family`, if given). */
export interface ListFilter {
  family?: number;
  table?: string;
  /** Only this chain (and its rules). */
  chain?: string;
  /** Only this set or map. */
  set?: string;
  /** Only this named counter (no table, sets, chains or rules are dumped). */
  counter?: string;
  /** Only this named quota (no table, sets, chains or rules are dumped). */
  quota?: string;
}

interface ParsedRule {
  family: number;
  table: string;
  chain: string;
  handle: number;
  userdata?: string;
  expr: Record<string, unknown>[];
}

type Parsed =
  | ({ type: 'table' } & ParsedTable)
  | ({ type: 'chain' } & ParsedChain)
  | ({ type: 'set' } & ParsedSet)
  | { type: 'elements'; family: number; table: string; set: string; elements: ParsedElement[] }
  | ({ type: 'rule' } & ParsedRule)
  | ({ type: 'obj' } & ParsedObject)
  | { type: 'gen'; id: number };

/** The current ruleset generation (NFT_MSG_GETGEN). */
export async function getGeneration(connection: Connection): Promise<number> {
  const replies = await connection.request({ operation: 'nft generation' }, nftMessageType(NFT_MSG_GETGEN), NLM_F_REQUEST, (w) => writeNfgenmsg(w, NFPROTO_UNSPEC));
  for (const reply of replies) {
    const id = messageAttributes(reply, NFGENMSG_SIZE).be32(NFTA_GEN_ID);
    if (id !== undefined) return id;
  }
  throw new NetlinkError({ errno: Errno.EPROTO, operation: 'nft generation', detail: 'no generation in the reply' });
}

/** Whether a filter names one counter or quota: then only tables and objects are dumped. */
function objectsOnly(filter: ListFilter): boolean {
  return filter.counter !== undefined || filter.quota !== undefined;
}

/** The raw messages of one listing (table, chain, set, element, rule and object dumps). */
async function dumpAll(connection: Connection, filter: ListFilter): Promise<NetlinkMessage[]> {
  const family = filter.family ?? NFPROTO_UNSPEC;
  const dump = (msg: number, write?: (w: MessageWriter) => void, dumpFamily = family) =>
    connection.dump({ operation: 'nft list' }, nftMessageType(msg), NLM_F_REQUEST | NLM_F_DUMP, (w) => {
      writeNfgenmsg(w, dumpFamily);
      write?.(w);
    });
  const none = Promise.resolve([]);
  const onlyObjects = objectsOnly(filter);
  const [tables, chains, sets, rules, objects] = await Promise.all([
    dump(NFT_MSG_GETTABLE),
    filter.set === undefined && !onlyObjects ? dump(NFT_MSG_GETCHAIN) : none,
    // A chain's rules are read with the sets they use: anonymous ones inlined, named ones' types.
    onlyObjects ? none : dump(NFT_MSG_GETSET),
    filter.set === undefined && !onlyObjects
      ? dump(NFT_MSG_GETRULE, (w) => {
          if (filter.table !== undefined) w.attrString(NFTA_RULE_TABLE, filter.table);
          if (filter.table !== undefined && filter.chain !== undefined) w.attrString(NFTA_RULE_CHAIN, filter.chain);
        })
      : none,
    filter.chain === undefined && filter.set === undefined
      ? dump(NFT_MSG_GETOBJ, (w) => {
          if (filter.table !== undefined) w.attrString(NFTA_OBJ_TABLE, filter.table);
        })
      : none,
  ]);
  const parsedSets = parse([...sets]).filter((o): o is { type: 'set' } & ParsedSet => o.type === 'set' && (filter.table === undefined || o.table === filter.table));
  const wanted = parsedSets.filter((s) => ((s.flags ?? 0) & NFT_SET_ANONYMOUS) !== 0 || (filter.chain === undefined && (filter.set === undefined || s.name === filter.set)));
  const elements = await Promise.all(
    wanted.map((s) =>
      dump(
        NFT_MSG_GETSETELEM,
        (w) => {
          w.attrString(NFTA_SET_ELEM_LIST_TABLE, s.table);
          w.attrString(NFTA_SET_ELEM_LIST_SET, s.name);
        },
        s.family,
      ),
    ),
  );
  return [...tables, ...chains, ...sets, ...elements.flat(), ...rules, ...objects];
}

/** Parses messages with libnftnl in the addon: one call for all of them. */
function parse(messages: readonly NetlinkMessage[]): Parsed[] {
  if (messages.length === 0) return [];
  const bytes = Buffer.concat(messages.map((m) => messageBytes(m)));
  return JSON.parse(native().nftParse(bytes)) as Parsed[];
}

/** Options for {@link listRuleset}. */
export interface ListContext {
  /** Fetches the namespace's interfaces (only when a rule matches iif/oif). */
  interfaces: () => Promise<InterfaceNames>;
}

/** A listing and the generation it shows. */
export interface Listing {
  listing: NftListing;
  generation: number;
}

/** Lists the ruleset (or part of it) as nftables JSON. */
export async function listRuleset(connection: Connection, filter: ListFilter, context: ListContext): Promise<Listing> {
  for (let attempt = 0; ; attempt++) {
    const before = await getGeneration(connection);
    const messages = await dumpAll(connection, filter);
    const after = await getGeneration(connection);
    if (before !== after && attempt < 10) continue;
    const listing = await build(parse(messages), filter, context);
    return { listing, generation: after };
  }
}

async function build(objects: readonly Parsed[], filter: ListFilter, context: ListContext): Promise<NftListing> {
  const tables = objects.filter((o): o is { type: 'table' } & ParsedTable => o.type === 'table' && (filter.family === undefined || o.family === filter.family) && (filter.table === undefined || o.name === filter.table));
  const chains = objects.filter((o): o is { type: 'chain' } & ParsedChain => o.type === 'chain');
  const sets = objects.filter((o): o is { type: 'set' } & ParsedSet => o.type === 'set');
  const rules = objects.filter((o): o is { type: 'rule' } & ParsedRule => o.type === 'rule');
  const stateful = objects.filter((o): o is { type: 'obj' } & ParsedObject => o.type === 'obj');
  const elements = new Map<string, ParsedElement[]>();
  for (const o of objects) {
    if (o.type !== 'elements') continue;
    const key = `${o.family}|${o.table}|${o.set}`;
    const list = elements.get(key);
    if (list) list.push(...o.elements);
    else elements.set(key, [...o.elements]);
  }
  let interfaces: InterfaceNames | undefined;
  // Interface indexes are listed by name, as nft lists them: in rules (iif, oif, dup to a
  // device) and in the keys and data of sets of type iface_index, alone or concatenated.
  const namesInterfaces = (typeId: number | undefined) => typeId !== undefined && (splitTypeId(typeId)?.some((type) => type.name === 'iface_index') ?? false);
  const needsInterfaces =
    rules.some((r) => r.expr.some((e) => (e.expr === 'meta' && (e.key === NFT_META_IIF || e.key === NFT_META_OIF) && e.dreg !== undefined) || (e.expr === 'dup' && e.sregDev !== undefined))) ||
    sets.some((s) => ((s.flags ?? 0) & NFT_SET_ANONYMOUS) === 0 && (namesInterfaces(s.keyType) || namesInterfaces(s.dataType)));
  if (needsInterfaces) interfaces = await context.interfaces();
  const out: NftListing['nftables'] = [{ metainfo: { version: 'routemark', json_schema_version: 1 } }];
  for (const table of tables) {
    const setKey = (name: string) => `${table.family}|${table.name}|${name}`;
    const tableSets = sets.filter((s) => s.family === table.family && s.table === table.name);
    const lookup = (name: string) => {
      const set = tableSets.find((s) => s.name === name);
      return set === undefined ? undefined : { set, elements: elements.get(setKey(name)) ?? [] };
    };
    const valueContext = { interfaces };
    const onlyObjects = objectsOnly(filter);
    if (filter.chain === undefined && filter.set === undefined && !onlyObjects) out.push(tableJson(table));
    // As nft lists a table: its counters and quotas (in the kernel's order) before its sets.
    for (const object of stateful) {
      if (object.family !== table.family || object.table !== table.name) continue;
      const json = objectJson(object);
      if (json === undefined) continue;
      if (onlyObjects && !('counter' in json ? json.counter.name === filter.counter : json.quota.name === filter.quota)) continue;
      out.push(json);
    }
    if (onlyObjects) continue;
    for (const set of tableSets) {
      if (((set.flags ?? 0) & NFT_SET_ANONYMOUS) !== 0) continue;
      if (filter.chain !== undefined || (filter.set !== undefined && set.name !== filter.set)) continue;
      out.push(setJson(set, elements.get(setKey(set.name)) ?? [], valueContext));
    }
    if (filter.set !== undefined) continue;
    const tableChains = chains.filter((c) => c.family === table.family && c.table === table.name && (filter.chain === undefined || c.name === filter.chain));
    for (const chain of tableChains) out.push(chainJson(chain));
    for (const chain of tableChains) {
      for (const rule of rules) {
        if (rule.family !== table.family || rule.table !== table.name || rule.chain !== chain.name) continue;
        const expressions = rule.expr.map(descriptorFromParsed);
        const statements = decompileRule(expressions, { family: table.family, interfaces, setElements: lookup });
        const json: NftRule = { family: familyName(rule.family) as NftRule['family'], table: rule.table, chain: rule.chain, handle: rule.handle, expr: statements };
        const comment = userdataString(rule.userdata === undefined ? undefined : Buffer.from(rule.userdata, 'hex'), NFTNL_UDATA_RULE_COMMENT);
        if (comment !== undefined) json.comment = comment;
        out.push({ rule: json } as NftObject);
      }
    }
  }
  return { nftables: out };
}

/** Which objects to reset: all of a type in a table, or one by name. */
export interface ResetRef {
  family: number;
  table: string;
  /** NFT_OBJECT_*. */
  type: number;
  name?: string;
}

/**
 * Resets named counters or quotas (NFT_MSG_GETOBJ_RESET: one request, or a dump for all of a
 * type in a table) and returns them with the values they had just before, as nft -j lists them.
 */
export async function resetObjects(connection: Connection, ref: ResetRef, operation: string): Promise<NftStatefulObject[]> {
  const write = (w: MessageWriter) => {
    writeNfgenmsg(w, ref.family);
    w.attrString(NFTA_OBJ_TABLE, ref.table);
    if (ref.name !== undefined) w.attrString(NFTA_OBJ_NAME, ref.name);
    w.attrBe32(NFTA_OBJ_TYPE, ref.type);
  };
  const type = nftMessageType(NFT_MSG_GETOBJ_RESET);
  const replies = ref.name !== undefined ? await connection.request({ operation }, type, NLM_F_REQUEST, write) : await connection.dump({ operation }, type, NLM_F_REQUEST | NLM_F_DUMP, write);
  return parse(replies).flatMap((o) => {
    // Only what was asked, even from a kernel that would ignore a dump filter.
    if (o.type !== 'obj' || o.table !== ref.table || o.objType !== ref.type) return [];
    const json = objectJson(o);
    return json === undefined ? [] : [json];
  });
}

/**
 * Every table of the namespace, without its chains, sets or rules: one table dump, parsed by
 * libnftnl in the addon. Cheap enough to call before every apply.
 */
export async function listTables(connection: Connection): Promise<NftTable[]> {
  const messages = await connection.dump({ operation: 'nft list tables' }, nftMessageType(NFT_MSG_GETTABLE), NLM_F_REQUEST | NLM_F_DUMP, (w) => writeNfgenmsg(w, NFPROTO_UNSPEC));
  if (messages.length === 0) return [];
  const parsed = JSON.parse(native().nftParse(Buffer.concat(messages.map((m) => messageBytes(m))))) as ({ type: string } & ParsedTable)[];
  return parsed.filter((p) => p.type === 'table').map((p) => tableJson(p).table);
}
