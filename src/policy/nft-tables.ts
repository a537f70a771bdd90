/**
 * nf_tables tables as owned objects. A table belongs to an owner when its comment (the table's
 * userdata, NFTNL_UDATA_TABLE_COMMENT) starts with the owner's tag,
 * `routemark:OWNER:DIGEST:CONTENT`, where DIGEST is a digest of the table's contents as the
 * policy document gave them and CONTENT a digest of what the kernel listed right after creating
 * them (see {@link contentDigest}). DIGEST tells whether a table holds the document's version;
 * CONTENT whether someone changed it since (a rule added or deleted with `nft`). The document
 * cannot be compared with a listing directly: it may spell objects otherwise than the kernel
 * lists them (`counter: null`, a prefix as a string, elements the kernel merges), and the
 * kernel cannot update a table's comment later (it keeps the first one), so the tag is written
 * when the table is created.
 */
import { createHash } from 'node:crypto';
import type { ConnectionProvider } from '../netlink/provider.js';
import { NftApi } from '../nft/api.js';
import type { NftCommand, NftFamily, NftListing, NftObject, NftTable } from '../nft/json.js';
import { canonicalJson, type DesiredTable, type PolicyNftObject } from './document.js';

/** The tag; tables tagged before the content digest existed carry only OWNER:DIGEST. */
const TAG = /^routemark:(\d{1,3}):([0-9a-f]{16})(?::([0-9a-f]{16}))?(?: (.*))?$/s;

/** An nf_tables table as the kernel holds it, with its owner's tag read from its comment. */
export interface HeldTable {
  family: NftFamily;
  name: string;
  flags: NftTable['flags'];
  comment: string | undefined;
  /** The owner id in the tag, if the comment carries one. */
  owner: number | undefined;
  /** The digest in the tag. */
  digest: string | undefined;
  /** The content digest in the tag (absent from tables tagged by older versions). */
  content?: string;
}

/**
 * The comment that tags a table for an owner (the user's own comment follows the tag);
 * `content` is the {@link contentDigest} of the table as the kernel holds it.
 */
export function ownerTag(owner: number, digest: string, comment: string | undefined, content?: string): string {
  return `routemark:${owner}:${digest}${content === undefined ? '' : `:${content}`}${comment === undefined ? '' : ` ${comment}`}`;
}

/** Reads the owner's tag from a table comment. */
export function parseOwnerTag(comment: string | undefined): { owner: number; digest: string; content?: string; comment: string | undefined } | undefined {
  const match = comment === undefined ? null : TAG.exec(comment);
  if (match === null) return undefined;
  return { owner: Number(match[1]), digest: match[2]!, ...(match[3] === undefined ? {} : { content: match[3] }), comment: match[4] };
}

/**
 * What of a listed object is state the packet path changes, not configuration: counter values,
 * a quota's use, `last used`, the time an element has left. Keyed by the object holding them.
 */
const STATE_FIELDS: Readonly<Record<string, readonly string[]>> = {
  counter: ['packets', 'bytes'],
  quota: ['used', 'used_unit'],
  last: ['used'],
  elem: ['expires'],
};

/** A listed value without the state the packet path changes (see STATE_FIELDS). */
function withoutState(value: unknown, key: string | undefined): unknown {
  if (Array.isArray(value)) return value.map((v) => withoutState(v, undefined));
  if (value === null || typeof value !== 'object') return value;
  const dropped = (key !== undefined && STATE_FIELDS[key]) || [];
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (!dropped.includes(k)) out[k] = withoutState(v, k);
  }
  return out;
}

/**
 * A digest of a table's listing (`nft.list({ family, table })`) as configuration: without the
 * handles (a recreated table gets new ones), the table's comment (the tag, which holds this
 * digest), the state the packet path changes (counter values, quota use, time left), and the
 * elements of sets and maps the packet path fills (`dynamic` or `timeout` flags). Two listings
 * of one table have the same digest unless its chains, rules, sets, elements or objects changed.
 */
export function contentDigest(listing: NftListing): string {
  const objects: unknown[] = [];
  for (const item of listing.nftables) {
    if ('metainfo' in item) continue;
    const [kind, body] = Object.entries(item)[0] as [string, Record<string, unknown>];
    const { handle: _handle, ...rest } = body;
    if (kind === 'table') delete rest.comment;
    const flags = Array.isArray(rest.flags) ? (rest.flags as unknown[]) : [];
    if ((kind === 'set' || kind === 'map') && (flags.includes('dynamic') || flags.includes('timeout'))) delete rest.elem;
    objects.push({ [kind]: withoutState(rest, kind) });
  }
  return createHash('sha256').update(canonicalJson(objects)).digest('hex').slice(0, 16);
}

/**
 * Every nf_tables table of the namespace with its tag: one table dump (no chains, sets or
 * rules), parsed by libnftnl in the addon.
 */
export async function listTables(provider: ConnectionProvider): Promise<HeldTable[]> {
  const tables = await new NftApi(provider).tables();
  return tables.map((table) => {
    const tag = parseOwnerTag(table.comment);
    const held: HeldTable = { family: table.family, name: table.name, flags: table.flags, comment: table.comment, owner: tag?.owner, digest: tag?.digest };
    if (tag?.content !== undefined) held.content = tag.content;
    return held;
  });
}

/**
 * The commands that create a table of the document, tagged for its owner; `content` is its
 * {@link contentDigest} once known (from a table created from the same document before).
 */
export function createCommands(table: DesiredTable, owner: number, content?: string): NftCommand[] {
  return table.objects.map(({ object }, i) => {
    if (i === 0) {
      const given = (object as { table: NftTable }).table;
      return { add: { table: { ...given, comment: ownerTag(owner, table.digest, table.comment, content) } } };
    }
    return { add: object as NftObject };
  });
}

/** A table's reference, for delete commands. */
export function tableRef(family: NftFamily, name: string): NftCommand {
  return { delete: { table: { family, name } } };
}

/**
 * The order a table's objects are recreated in: a map's element may jump to a chain or name a
 * counter, and a rule may name all of these, so chains and stateful objects come before sets,
 * maps and their elements, and rules last. The listing's own order (sets before chains) would
 * make the kernel refuse a verdict map's `jump` to a chain not yet there, and with it the whole
 * undo transaction.
 */
const RECREATE_ORDER: readonly string[] = ['table', 'chain', 'counter', 'quota', 'set', 'map', 'element', 'rule'];

/**
 * The commands that recreate a table from its listing (for undo): every object without its
 * handle (a rule's handle would mean "after that rule"), anonymous contents as listed, in the
 * order the kernel can take them (rules of a chain keep their listed order).
 */
export function recreateCommands(listing: NftListing): NftCommand[] {
  const commands: { rank: number; command: NftCommand }[] = [];
  for (const item of listing.nftables) {
    if ('metainfo' in item) continue;
    const [kind, body] = Object.entries(item)[0] as [string, Record<string, unknown>];
    const { handle: _handle, ...rest } = body;
    const rank = RECREATE_ORDER.indexOf(kind);
    commands.push({ rank: rank < 0 ? RECREATE_ORDER.length : rank, command: { add: { [kind]: rest } as unknown as NftObject } });
  }
  // Array.prototype.sort is stable: objects of one kind stay in the listing's order.
  return commands.sort((a, b) => a.rank - b.rank).map((c) => c.command);
}

/** The document's object kinds, for messages. */
export function objectKind(object: PolicyNftObject): string {
  return Object.keys(object)[0]!;
}
