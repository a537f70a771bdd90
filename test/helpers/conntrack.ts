/**
 * The `conntrack` tool as a witness: its listing parsed into plain flows for comparison with
 * what routemark lists. Parses the text format (`conntrack -L -o extended`), which, unlike the
 * XML one, shows ICMP type/code/id.
 */
import type { TestNetns } from './netns.js';

/** One flow as the conntrack tool prints it. */
export interface ToolFlow {
  family: 'inet' | 'inet6';
  protocol: string;
  original: Record<string, string>;
  reply: Record<string, string>;
  mark: number;
  zone: number | undefined;
  /** Set when the zone holds in one direction only (`zone-orig=`, `zone-reply=`). */
  zoneDirection: 'original' | 'reply' | undefined;
  state: string | undefined;
  flags: string[];
}

const TUPLE_KEYS = new Set(['src', 'dst', 'sport', 'dport', 'type', 'code', 'id']);
/** GRE's keys, printed in hex, are what routemark calls the ports of a GRE flow. */
const GRE_KEYS = new Map([['srckey', 'sport'], ['dstkey', 'dport']]);

/** Parses `conntrack -L -o extended` output. */
export function parseConntrackText(text: string): ToolFlow[] {
  const flows: ToolFlow[] = [];
  for (const line of text.split('\n')) {
    const tokens = line.trim().split(/\s+/);
    if (tokens.length < 5 || !/^ipv[46]$/.test(tokens[0]!)) continue;
    const flow: ToolFlow = {
      family: tokens[0] === 'ipv6' ? 'inet6' : 'inet',
      protocol: tokens[2]!,
      original: {},
      reply: {},
      mark: 0,
      zone: undefined,
      zoneDirection: undefined,
      state: undefined,
      flags: [],
    };
    let direction: 'original' | 'reply' = 'original';
    for (const token of tokens.slice(5)) {
      const eq = token.indexOf('=');
      if (eq < 0) {
        if (token.startsWith('[')) flow.flags.push(token.slice(1, -1));
        else flow.state = token;
        continue;
      }
      const key = token.slice(0, eq);
      const value = token.slice(eq + 1);
      // The second src= starts the reply tuple; id= is the ICMP id (the entry id needs -o id).
      if (key === 'src' && flow.original.src !== undefined) direction = 'reply';
      if (TUPLE_KEYS.has(key)) flow[direction][key] = value;
      else if (GRE_KEYS.has(key)) flow[direction][GRE_KEYS.get(key)!] = String(Number(value));
      else if (key === 'mark') flow.mark = Number(value);
      else if (key === 'zone') flow.zone = Number(value);
      else if (key === 'zone-orig' || key === 'zone-reply') {
        flow.zone = Number(value);
        flow.zoneDirection = key === 'zone-orig' ? 'original' : 'reply';
      }
    }
    flows.push(flow);
  }
  return flows;
}

/** Every flow in the namespace (both families), as the conntrack tool lists them. */
export function toolFlows(ns: TestNetns, ...filter: string[]): ToolFlow[] {
  const run = (family: string) => ns.exec('conntrack', ['-L', '-f', family, '-o', 'extended', ...filter]);
  return [...parseConntrackText(run('ipv4')), ...parseConntrackText(run('ipv6'))];
}

/** A comparable key for a tool flow. */
export function toolFlowKey(flow: ToolFlow): string {
  const t = (x: Record<string, string>) => [x.src, x.dst, x.sport ?? '', x.dport ?? '', x.type ?? '', x.code ?? '', x.id ?? ''].join(',');
  const zone = `${flow.zone ?? 0}${flow.zoneDirection === undefined ? '' : `/${flow.zoneDirection}`}`;
  return `${flow.family} ${flow.protocol} ${t(flow.original)} > ${t(flow.reply)} mark=${flow.mark} zone=${zone} state=${flow.state ?? ''}`;
}

/**
 * Runs an idempotent tool command (a mark within its mask, or a delete) again, up to 3 times,
 * while it fails with "Operation failed: Protocol error" (EPROTO): conntrack-tools 1.4.7 changes
 * flows from inside its own walk of the table, and on a loaded machine a request of that walk
 * sometimes fails that way partway. `message` is where the outcome holds the tool's error text.
 */
export function againOnToolEproto<T extends { status: number | null }>(run: () => T, message: (outcome: T) => string): T {
  let outcome = run();
  for (let again = 0; again < 3 && outcome.status !== 0 && /Operation failed: Protocol error/.test(message(outcome)); again++) outcome = run();
  return outcome;
}
