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

let counters = 0;

/**
 * Counter rules written with the `nft` tool in a table of their own in `ns`: one per expression
 * (e.g. `ip saddr 10.2.0.2`), in a base chain on `hook` at `priority`. `read()` returns each
 * rule's packet count, in the order given.
 */
export function nftCounters(ns: TestNetns, hook: string, priority: string, expressions: string[], family = 'ip'): { read(): number[] } {
  const table = `witness_${++counters}`;
  const rules = expressions.map((expression) => `${expression} counter\n`).join('');
  ns.exec('nft', ['-f', '-'], `table ${family} ${table} { chain counted { type filter hook ${hook} priority ${priority}; policy accept; ${rules} }\n}\n`);
  return {
    read(): number[] {
      const listing = JSON.parse(ns.exec('nft', ['-j', 'list', 'table', family, table])) as { nftables: { rule?: { expr: { counter?: { packets: number } }[] } }[] };
      return listing.nftables.flatMap((item) => {
        if (!item.rule) return [];
        const counter = item.rule.expr.find((statement) => statement.counter)?.counter;
        if (counter === undefined) throw new Error(`a rule without a counter in ${table}`);
        return [counter.packets];
      });
    },
  };
}

/**
 * Counts the packets `ns` forwards (both directions, by the `nft` tool), matching an nft
 * expression such as `ip saddr 10.2.0.2` or `meta l4proto tcp`. `read()` returns the count so far.
 */
export function forwardCounter(ns: TestNetns, expression: string): { read(): number } {
  const counter = nftCounters(ns, 'forward', '0', [expression]);
  return { read: () => counter.read()[0]! };
}
