/**
 * Helpers for the nf_tables tests: golden fixtures, nft listings without handles, and rule
 * expressions as the kernel holds them (read through the addon's libnftnl parser).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open, type Handle } from '../../src/index.js';
import { NETLINK_NETFILTER, NLM_F_DUMP, NLM_F_REQUEST } from '../../src/netlink/constants.js';
import { messageBytes } from '../../src/netlink/message.js';
import { native } from '../../src/native.js';
import { NFPROTO_UNSPEC, NFTA_RULE_TABLE, NFT_MSG_GETRULE, nftMessageType } from '../../src/nft/constants.js';
import { writeNfgenmsg } from '../../src/nft/messages.js';
import { makeNetns, type TeardownHost, type TestNetns } from '../helpers/netns.js';
import { repoUrl } from '../helpers/paths.js';

/** One golden fixture (test/fixtures/nft, recorded from nft by scripts/record-nft-fixtures.mjs). */
export interface Fixture {
  name: string;
  description: string;
  /** The table as nft text, as it was loaded with `nft -f`. */
  nft: string;
  table: { family: string; name: string };
  chain: Record<string, unknown>;
  /** Named sets, maps and other chains of the table, as `nft -j` lists them. */
  objects: Record<string, Record<string, unknown>>[];
  /** The rule as `nft -j` lists it (without its handle), or as JSON where nft lists text. */
  rule: { family: string; table: string; chain: string; expr: unknown[]; comment?: string };
  /**
   * Only where nft 1.0.6 lists statements of the rule as text (it has no JSON for them, and
   * reads none): the rule as nft lists it.
   */
  nftRule?: { family: string; table: string; chain: string; expr: unknown[]; comment?: string };
}

const fixtureDir = repoUrl('test/fixtures/nft/').pathname;

/** Every golden fixture, by file name. */
export function loadFixtures(): Fixture[] {
  return readdirSync(fixtureDir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ name: f.replace(/\.json$/, ''), ...(JSON.parse(readFileSync(join(fixtureDir, f), 'utf8')) as Omit<Fixture, 'name'>) }));
}

/** A copy without `handle` keys (anywhere), for comparing listings of different namespaces. */
export function withoutHandles<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (key, v: unknown) => (key === 'handle' ? undefined : v))) as T;
}

/** `nft -j list table FAMILY NAME` in a namespace, metainfo and handles removed. */
export function nftTable<T = unknown>(ns: TestNetns, family: string, table: string): T[] {
  const listing = JSON.parse(ns.exec('nft', ['-j', 'list', 'table', family, table])) as { nftables: T[] };
  return withoutHandles(listing.nftables.filter((o) => !('metainfo' in (o as object))));
}

/** `nft -j list ruleset` in a namespace, metainfo and handles removed. */
export function nftObjects(ns: TestNetns): Record<string, Record<string, unknown>>[] {
  return withoutHandles(ns.nftJson().nftables.filter((o) => !('metainfo' in o))) as Record<string, Record<string, unknown>>[];
}

/** The objects of one table in a listing (table, sets, chains, rules). */
export function tableObjects(objects: readonly Record<string, Record<string, unknown>>[], family: string, table: string): Record<string, Record<string, unknown>>[] {
  return objects.filter((o) => {
    const body = Object.values(o)[0]!;
    return body.family === family && (body.table === table || ('table' in o && body.name === table));
  });
}

/** The rule expressions the kernel holds for a table, read back through libnftnl. */
export async function kernelRules(handle: Handle, table: string): Promise<Record<string, unknown>[]> {
  const messages = await handle.connection(NETLINK_NETFILTER).dump({ operation: 'test dump' }, nftMessageType(NFT_MSG_GETRULE), NLM_F_REQUEST | NLM_F_DUMP, (w) => {
    writeNfgenmsg(w, NFPROTO_UNSPEC);
    w.attrString(NFTA_RULE_TABLE, table);
  });
  const parsed = JSON.parse(native().nftParse(Buffer.concat(messages.map((m) => messageBytes(m))))) as Record<string, unknown>[];
  return parsed.map(({ handle, position, ...rest }) => rest);
}

/**
 * `nft [args] -f FILE` in a namespace, FILE holding `content` (nft opens /dev/stdin by name for
 * JSON, which fails when stdin is a socket, as Node's pipes are).
 */
export function nftFile(ns: TestNetns, args: string[], content: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'routemark-nft-'));
  try {
    const file = join(dir, 'input');
    writeFileSync(file, content);
    return ns.exec('nft', [...args, '-f', file]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Two fresh namespaces for comparing routemark with nft: `ours`, with a routemark handle (closed
 * at teardown), and `witness`, where the test has nft -j -f do the same. `text`, if given, is
 * loaded into both with nft -f first.
 */
export async function oursAndWitness(t: TeardownHost, text?: string): Promise<{ ours: TestNetns; witness: TestNetns; handle: Handle }> {
  const ours = makeNetns(t);
  const witness = makeNetns(t);
  if (text !== undefined) {
    nftFile(ours, [], text);
    nftFile(witness, [], text);
  }
  const handle = await open({ netns: ours.name });
  t.teardown(() => handle.close());
  return { ours, witness, handle };
}
