/**
 * Comparing nftables JSON listings in the differential tests: key order means nothing, and a
 * failure shows the objects only one side has.
 */

import { makeNetns, type TeardownHost, type TestNetns } from '../helpers/netns.js';
import { nftFile } from './helpers.js';

/** A listing's objects (`{ table: ... }`, `{ rule: ... }`, ...), metainfo left out. */
export type Listing = Record<string, Record<string, unknown>>[];

/** The message of an error, on one line and cut short. */
export function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s+/g, ' ').slice(0, 400);
}

/** JSON with every object's keys sorted: listings compare as parsed JSON, where key order means nothing. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v));
}

/** The objects one listing has that the other has not, as JSON: what a failure shows. */
export function listingDiff(left: Listing, right: Listing, leftName: string, rightName: string): string {
  const l = left.map((o) => canonical(o));
  const r = right.map((o) => canonical(o));
  const onlyLeft = l.filter((k) => !r.includes(k));
  const onlyRight = r.filter((k) => !l.includes(k));
  const show = (items: string[]) => items.slice(0, 3).map((item) => `    ${item.length > 1500 ? `${item.slice(0, 1500)}...` : item}`).join('\n');
  if (onlyLeft.length === 0 && onlyRight.length === 0) return `  the same objects in another order:\n  ${leftName}: ${l.map((k) => k.slice(0, 80)).join(', ')}`;
  return `  only in ${leftName} (${onlyLeft.length}):\n${show(onlyLeft)}\n  only in ${rightName} (${onlyRight.length}):\n${show(onlyRight)}`;
}

/**
 * A listing as nft -j -f reads it back: each table's chains before its sets and maps. nft lists
 * sets first, and then cannot read a verdict map whose elements jump to a chain it has not made
 * yet ("Could not process rule: No such file or directory"), its own listing included.
 */
export function chainsFirst(listing: { nftables: readonly object[] }): { nftables: object[] } {
  const out: object[] = [];
  let tableStart = -1;
  for (const item of listing.nftables) {
    if ('table' in item) tableStart = out.length;
    if ('chain' in item && tableStart >= 0) {
      // After the table and the chains already moved up.
      let at = tableStart + 1;
      while (at < out.length && 'chain' in out[at]!) at++;
      out.splice(at, 0, item);
    } else out.push(item);
  }
  return { nftables: out };
}

/**
 * A namespace for a differential run, with the same veth links, made in the same order, as the
 * other namespaces of the run: iif/oif and iface_index values are the indexes the kernel stores.
 */
export function differentialNetns(t: TeardownHost, prefix: string, links: readonly string[]): TestNetns {
  const ns = makeNetns(t, prefix);
  for (const name of links) ns.ip('link', 'add', name, 'type', 'veth', 'peer', 'name', `${name}p`);
  return ns;
}

/** Loads a listing into `ns` with nft -j -f, chains first (see chainsFirst); nft's refusal, or undefined. */
export function nftLoad(ns: TestNetns, listing: { nftables: readonly object[] }): string | undefined {
  try {
    nftFile(ns, ['-j'], JSON.stringify(chainsFirst(listing)));
    return undefined;
  } catch (error) {
    return messageOf(error);
  }
}
