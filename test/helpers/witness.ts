/**
 * Witnesses for the scenario tests: whoami servers (examples/lab/traffic.ts) started in test
 * namespaces and ended at teardown, the namespace file nsenter takes, and nf_tables counters of
 * forwarded packets written with the `nft` tool in a node the scenario does not configure (an
 * ISP), which count the packets of a path independently of what the router says.
 */
import type { TeardownHost, TestNetns } from './netns.js';
import { openSession, startWhoami, type AskOptions, type Session, type WhoamiOptions, type WhoamiServer } from '../../examples/lab/traffic.js';

/** The namespace file of a test namespace, as the traffic helpers take it. */
export function netnsFile(ns: TestNetns): string {
  return `/run/netns/${ns.name}`;
}

/** Starts a whoami server in a test namespace; it is ended at teardown. */
export async function serveWhoami(t: TeardownHost, ns: TestNetns, options: WhoamiOptions): Promise<WhoamiServer> {
  const server = await startWhoami(netnsFile(ns), options);
  t.teardown(() => server.close());
  return server;
}

/** Opens a long-lived flow from a test namespace; it is closed at teardown. */
export function session(t: TeardownHost, ns: TestNetns, options: Omit<AskOptions, 'requests'>): Session {
  const opened = openSession(netnsFile(ns), options);
  t.teardown(() => opened.close());
  return opened;
}

/**
 * Counts the packets `ns` forwards (both directions, by the `nft` tool), matching an nft
 * expression such as `ip saddr 10.2.0.2` or `meta l4proto tcp`. `read()` returns the count so far.
 */
let counters = 0;

export function forwardCounter(ns: TestNetns, expression: string): { read(): number } {
  const table = `witness_${++counters}`;
  ns.exec('nft', ['-f', '-'], `table ip ${table} { chain counted { type filter hook forward priority 0; policy accept; ${expression} counter\n }\n}\n`);
  return {
    read(): number {
      const listing = JSON.parse(ns.exec('nft', ['-j', 'list', 'table', 'ip', table])) as { nftables: { rule?: { expr: { counter?: { packets: number } }[] } }[] };
      for (const item of listing.nftables) {
        for (const statement of item.rule?.expr ?? []) if (statement.counter) return statement.counter.packets;
      }
      throw new Error(`no counter in ${table}`);
    },
  };
}
