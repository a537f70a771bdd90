/**
 * nf_tables tables as owned objects. A table belongs to an owner when its comment (the table's
 * userdata, NFTNL_UDATA_TABLE_COMMENT) starts with the owner's tag, `routemark:OWNER:DIGEST`,
 * where DIGEST is a digest of the table's contents as the policy document gave them. Comparing
 * the digest tells whether a table holds the document's version without listing its rules.
 */
import type { ConnectionProvider } from '../netlink/provider.js';
import { NftApi } from '../nft/api.js';
import type { NftCommand, NftFamily, NftListing, NftObject, NftTable } from '../nft/json.js';
import type { DesiredTable, PolicyNftObject } from './document.js';

const TAG = /^routemark:(\d{1,3}):([0-9a-f]{16})(?: (.*))?$/s;

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
}

/** The comment that tags a table for an owner (the user's own comment follows the tag). */
export function ownerTag(owner: number, digest: string, comment: string | undefined): string {
  return `routemark:${owner}:${digest}${comment === undefined ? '' : ` ${comment}`}`;
}

/** Reads the owner's tag from a table comment. */
export function parseOwnerTag(comment: string | undefined): { owner: number; digest: string; comment: string | undefined } | undefined {
  const match = comment === undefined ? null : TAG.exec(comment);
  if (match === null) return undefined;
  return { owner: Number(match[1]), digest: match[2]!, comment: match[3] };
}

/**
 * Every nf_tables table of the namespace with its tag: one table dump (no chains, sets or
 * rules), parsed by libnftnl in the addon.
 */
export async function listTables(provider: ConnectionProvider): Promise<HeldTable[]> {
  const tables = await new NftApi(provider).tables();
  return tables.map((table) => {
    const tag = parseOwnerTag(table.comment);
    return { family: table.family, name: table.name, flags: table.flags, comment: table.comment, owner: tag?.owner, digest: tag?.digest };
  });
}

/** The commands that create a table of the document, tagged for its owner. */
export function createCommands(table: DesiredTable, owner: number): NftCommand[] {
  return table.objects.map(({ object }, i) => {
    if (i === 0) {
      const given = (object as { table: NftTable }).table;
      return { add: { table: { ...given, comment: ownerTag(owner, table.digest, table.comment) } } };
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
