/**
 * Random scenarios for the conntrack events differential test (events-differential.test.ts):
 * event streams to open (routemark's `events()` options and the `conntrack -E` runs that select
 * the same events), and a sequence of operations on flows, each made either by routemark or by
 * the conntrack tool, plus real traffic. The tool side is written from conntrack(8) of
 * conntrack-tools 1.4.7 and from what the tool was seen to do on this kernel, never from src/ct.
 *
 * Flows come from differential-gen.ts (each in both spellings: routemark's FlowSpec and the
 * `conntrack -I` arguments), so do the bulk mark updates and deletes by filter.
 *
 * What is left out, and why:
 * - `status` filters are given to routemark only: `conntrack -E` refuses `-u` ("Illegal option
 *   `--status' with this command"); the test narrows the tool's output by the flags it prints.
 * - `replySrc`/`replyDst` prefixes: `conntrack -r/-q` take one address ("CIDR notation
 *   unavailable for `--reply-src'"), so the filters name one address.
 * - `where`: no tool equivalent.
 * - Ports in filters only with a port protocol: the tool takes --sport/--dport after `-p` only.
 * - `--orig-zone 0` / `--reply-zone 0`: the kernel never reports zone id 0 (ctnetlink_dump_zone_id),
 *   so a zone-0 filter is `-w 0` (flows without a zone attribute) alone.
 */
import type { FlowEventType, FlowFilter, FlowKey } from '../../src/index.js';
import { Random } from '../helpers/random.js';
import { generateFlows, generateOperations, type GeneratedFlow } from './differential-gen.js';

/** Who makes an operation. */
export type Actor = 'routemark' | 'tool';

/** Which flows of a routemark stream one `conntrack -E` run shows, by the zone's direction. */
export type ZonePart = 'any' | 'both' | 'original' | 'reply';

/** One `conntrack -E` process. */
export interface ToolRun {
  /** Arguments after `conntrack -E -o extended`. */
  args: string[];
  /**
   * The part of the routemark stream's events this run shows: `conntrack -w Z` compares only a
   * zone of both directions, `--orig-zone`/`--reply-zone` only a zone of one (README "Conntrack
   * marks"), so a routemark zone filter (the zone id, any direction) is the union of three runs.
   */
  part: ZonePart;
  /** For `-w 0`: the tool also shows flows zoned in one direction (they carry no CTA_ZONE). */
  dropOneDirectionZones: boolean;
  /** The tool's output must be narrowed by these printed flags (routemark's `status` filter). */
  status: ('ASSURED' | 'SEEN_REPLY')[];
}

/** One stream: a routemark iterator and the tool runs that must show the same events. */
export interface GeneratedStream {
  types: FlowEventType[] | undefined;
  filter: FlowFilter | undefined;
  tool: ToolRun[];
}

/** One operation on flows. */
export type EventOperation =
  | { kind: 'create'; by: Actor; flow: GeneratedFlow }
  | { kind: 'createMany'; flows: GeneratedFlow[] }
  | { kind: 'updateMark'; by: Actor; flow: GeneratedFlow; mark: number; mask: number | undefined }
  | { kind: 'delete'; by: Actor; flow: GeneratedFlow }
  | { kind: 'updateMarkWhere'; by: Actor; filter: FlowFilter; mark: number; mask: number | undefined; tool: string[] }
  | { kind: 'deleteWhere'; by: Actor; filter: FlowFilter; tool: string[][] }
  | { kind: 'traffic'; protocol: 'icmp' | 'udp' | 'tcp'; family: 4 | 6 };

/** A seed's scenario. */
export interface EventScenario {
  streams: GeneratedStream[];
  operations: EventOperation[];
}

const FAMILY_OPTION = { 4: 'ipv4', 6: 'ipv6' } as const;
const PORT_PROTOCOLS = new Set(['tcp', 'udp', 'udplite', 'sctp']);

/** The key routemark finds a generated flow by. */
export function flowKeyOf(flow: GeneratedFlow): FlowKey {
  const { protocol, src, dst, sport, dport, icmpType, icmpCode, icmpId, zone, zoneDirection } = flow.spec;
  const original = { src, dst, ...(sport !== undefined ? { sport, dport } : {}), ...(icmpType !== undefined ? { icmpType, icmpCode, icmpId } : {}) };
  return { protocol, original, ...(zone !== undefined ? { zone } : {}), ...(zoneDirection !== undefined ? { zoneDirection } : {}) };
}

/**
 * The `conntrack` options that select one generated flow (for -U and -D): family, protocol,
 * addresses, ports, and its zone option. GRE keys and ICMP fields are left out (the tool's -U/-D
 * select by them poorly); the selection may then take more flows than the one, which is fine:
 * both streams see whatever the kernel did.
 */
export function toolSelectionOf(flow: GeneratedFlow): string[] {
  const spec = flow.spec;
  const args = ['-f', FAMILY_OPTION[flow.family], '-p', String(spec.protocol), '-s', spec.src, '-d', spec.dst];
  if (typeof spec.protocol === 'string' && PORT_PROTOCOLS.has(spec.protocol)) args.push('--sport', String(spec.sport), '--dport', String(spec.dport));
  return args;
}

/** The tool's zone option for a flow's zone, for -D (-U refuses them). */
export function toolZoneOf(flow: GeneratedFlow): string[] {
  const { zone, zoneDirection } = flow.spec;
  if (zone === undefined || zone === 0) return [];
  return [zoneDirection === 'original' ? '--orig-zone' : zoneDirection === 'reply' ? '--reply-zone' : '-w', String(zone)];
}

function markValue(rng: Random): number {
  return rng.weighted([[3, () => 0], [1, () => 0xffffffff], [4, () => rng.int(1, 8)], [1, () => rng.int(0, 0xffffffff)], [2, () => rng.pick([0x10, 0x11, 0xf0, 0x100])]] as const)();
}

function prefixAround(rng: Random, address: string, family: 4 | 6): string {
  if (family === 4) {
    const length = rng.pick([8, 16, 24, 32]);
    const value = address.split('.').reduce((a, b) => ((a << 8) | Number(b)) >>> 0, 0);
    const masked = (value & (length === 0 ? 0 : 0xffffffff << (32 - length))) >>> 0;
    return `${[masked >>> 24, (masked >>> 16) & 0xff, (masked >>> 8) & 0xff, masked & 0xff].join('.')}/${length}`;
  }
  if (rng.chance(0.5)) return `${address}/128`;
  // The generated IPv6 addresses share their first 32 bits by pool (2001:db8::/32, fd00:N::/32).
  return address.startsWith('2001:db8') ? '2001:db8::/32' : `${address.split(':').slice(0, 2).join(':')}::/32`;
}

type Piece = 'family' | 'mark' | 'protocol' | 'ports' | 'state' | 'src' | 'dst' | 'replySrc' | 'replyDst' | 'zone' | 'status';
const PIECES: readonly (readonly [number, Piece])[] = [
  [3, 'family'], [4, 'mark'], [3, 'protocol'], [2, 'ports'], [1, 'state'], [2, 'src'], [1, 'dst'], [1, 'replySrc'], [1, 'replyDst'], [3, 'zone'], [2, 'status'],
];
const TYPE_SETS: readonly (readonly [number, FlowEventType[] | undefined])[] = [
  [4, undefined], [1, ['new']], [1, ['update']], [1, ['destroy']], [1, ['new', 'destroy']], [1, ['update', 'destroy']],
];

/**
 * Flows that real traffic makes (events-differential.test.ts sends it from 192.0.2.1 or
 * 2001:db8:ff::1 to port 7 of the peer): filters built around them see the events the kernel
 * makes by itself (marks left out, TCP states, SEEN_REPLY and ASSURED), not only ctnetlink's.
 */
function trafficFlow(rng: Random): GeneratedFlow {
  const family = rng.chance(0.7) ? 4 : 6;
  const protocol = rng.pick(['tcp', 'tcp', 'udp', family === 4 ? 'icmp' : 'icmpv6'] as const);
  const [src, dst] = family === 4 ? ['192.0.2.1', '192.0.2.2'] : ['2001:db8:ff::1', '2001:db8:ff::2'];
  const spec: GeneratedFlow['spec'] = { protocol, src, dst };
  // The source port is the client's choice: a port filter names the server's.
  if (protocol === 'tcp' || protocol === 'udp') Object.assign(spec, { sport: 7, dport: 7 });
  if (protocol === 'tcp') spec.tcpState = rng.pick(['ESTABLISHED', 'TIME_WAIT', 'SYN_SENT', 'FIN_WAIT', 'CLOSE', 'SYN_RECV'] as const);
  return { family, spec, tool: [] };
}

/**
 * IPv6 addresses whose text has edge cases (RFC 5952 "::" placement, a lone zero group, IPv4
 * tails): the tool prints them with inet_ntop, routemark with its own formatter.
 */
const EDGE_V6 = ['2001:db8:0:0:1:0:0:1', '2001:db8:0:1:1:1:1:1', '::ffff:192.0.2.7', '::192.0.2.8', '2001:db8::', '1::', 'fe80:0:0:1:0:0:0:1', '::100', '::ffff:0:c000:201'];

function edgeFlow(rng: Random): GeneratedFlow {
  const src = rng.pick(EDGE_V6);
  const sport = rng.int(1, 65535);
  const spec: GeneratedFlow['spec'] = { protocol: 'udp', src, dst: '2001:db8::1', sport, dport: 53, timeout: 300 };
  return { family: 6, spec, tool: ['-p', 'udp', '-s', src, '-d', '2001:db8::1', '--sport', String(sport), '--dport', '53', '-t', '300'] };
}

/** A filtered stream built around one flow (so that it sees something). */
function generateStream(rng: Random, flows: readonly GeneratedFlow[]): GeneratedStream {
  const around = rng.chance(0.35) ? trafficFlow(rng) : rng.pick(flows);
  const spec = around.spec;
  const filter: FlowFilter = {};
  const args: string[] = [];
  let zone: number | undefined;
  let status: ('ASSURED' | 'SEEN_REPLY')[] = [];
  const pieces = [...new Set(Array.from({ length: rng.int(1, 3) }, () => rng.weighted(PIECES)))];
  for (const piece of pieces) {
    switch (piece) {
      case 'family':
        filter.family = around.family === 4 ? 'inet' : 'inet6';
        args.push('-f', FAMILY_OPTION[around.family]);
        break;
      case 'mark': {
        const value = rng.chance(0.6) ? (spec.mark ?? 0) : markValue(rng);
        if (rng.chance(0.4)) {
          const mask = rng.pick([0xff, 0xf0, 0x0f, 0x1, 0xffff0000]);
          filter.mark = (value & mask) >>> 0;
          filter.markMask = mask;
          args.push('-m', `${filter.mark}/${mask}`);
        } else {
          filter.mark = value;
          args.push('-m', String(value));
        }
        break;
      }
      case 'protocol':
      case 'ports':
      case 'state': {
        if (filter.protocol !== undefined) break;
        filter.protocol = spec.protocol;
        args.push('-p', String(spec.protocol));
        const ported = typeof spec.protocol === 'string' && PORT_PROTOCOLS.has(spec.protocol);
        if (piece === 'ports' && ported) {
          if (rng.chance(0.5) && around.tool.length > 0) {
            filter.sport = spec.sport!;
            args.push('--sport', String(spec.sport));
          } else {
            filter.dport = spec.dport!;
            args.push('--dport', String(spec.dport));
          }
        }
        if (piece === 'state' && spec.protocol === 'tcp') {
          filter.tcpState = spec.tcpState ?? 'ESTABLISHED';
          args.push('--state', filter.tcpState);
        } else if (piece === 'state' && spec.protocol === 'sctp' && spec.sctpState !== undefined) {
          filter.sctpState = spec.sctpState;
          args.push('--state', filter.sctpState);
        }
        break;
      }
      case 'src':
        filter.src = prefixAround(rng, spec.src, around.family);
        args.push('-s', filter.src);
        break;
      case 'dst':
        filter.dst = prefixAround(rng, spec.dst, around.family);
        args.push('-d', filter.dst);
        break;
      case 'replySrc':
        filter.replySrc = spec.reply?.src ?? spec.dst;
        args.push('-r', filter.replySrc);
        break;
      case 'replyDst':
        filter.replyDst = spec.reply?.dst ?? spec.src;
        args.push('-q', filter.replyDst);
        break;
      case 'zone':
        zone = spec.zone ?? rng.pick([0, 0, 1, 2]);
        filter.zone = zone;
        break;
      case 'status':
        status = rng.pick<('ASSURED' | 'SEEN_REPLY')[]>([['ASSURED'], ['SEEN_REPLY'], ['ASSURED', 'SEEN_REPLY']]);
        filter.status = status;
        break;
    }
  }
  const types = rng.weighted(TYPE_SETS);
  const eventArgs = types === undefined ? [] : ['-e', types.map((type) => type.toUpperCase()).join(',')];
  const run = (part: ZonePart, zoneArgs: string[], dropOneDirectionZones = false): ToolRun => ({ args: [...eventArgs, ...args, ...zoneArgs], part, dropOneDirectionZones, status });
  let tool: ToolRun[];
  if (zone === undefined) tool = [run('any', [])];
  else if (zone === 0) tool = [run('any', ['-w', '0'], true)];
  else tool = [run('both', ['-w', String(zone)]), run('original', ['--orig-zone', String(zone)]), run('reply', ['--reply-zone', String(zone)])];
  return { types, filter, tool };
}

/**
 * A scenario for `seed`: `streamCount` filtered streams (the unfiltered one is always opened
 * too) and about `operationCount` operations on `flowCount` generated flows.
 */
export function generateEventScenario(seed: number, flowCount: number, streamCount: number, operationCount: number): EventScenario {
  const rng = new Random(seed ^ 0xe7e7);
  const flows = generateFlows(seed, flowCount);
  const streams = Array.from({ length: streamCount }, () => generateStream(rng, flows));
  const bulk = generateOperations(seed, Math.ceil(operationCount / 6), flows);
  const operations: EventOperation[] = [];
  const made: GeneratedFlow[] = [];
  let next = 0;
  const actor = (): Actor => (rng.chance(0.5) ? 'routemark' : 'tool');
  const create = () => {
    const flow = flows[next++ % flows.length]!;
    made.push(flow);
    return flow;
  };
  // A start that fills the table, then a mix.
  for (let i = 0; i < 6; i++) operations.push({ kind: 'create', by: actor(), flow: create() });
  operations.push({ kind: 'createMany', flows: Array.from({ length: rng.int(2, 5) }, create) });
  const edge = edgeFlow(rng);
  made.push(edge);
  operations.push({ kind: 'create', by: actor(), flow: edge });
  while (operations.length < operationCount) {
    const kind = rng.weighted<EventOperation['kind']>([[4, 'create'], [1, 'createMany'], [4, 'updateMark'], [3, 'delete'], [2, 'bulk' as never], [3, 'traffic']]);
    if (kind === 'create') operations.push({ kind, by: actor(), flow: create() });
    else if (kind === 'createMany') operations.push({ kind, flows: Array.from({ length: rng.int(2, 4) }, create) });
    else if (kind === 'updateMark') {
      const mask = rng.chance(0.3) ? rng.pick([0xff, 0xf0, 0xffff0000]) : undefined;
      const value = mask === undefined ? markValue(rng) : (rng.int(0, 0xffffffff) & mask) >>> 0;
      operations.push({ kind, by: actor(), flow: rng.pick(made), mark: value, mask });
    } else if (kind === 'delete') {
      operations.push({ kind, by: actor(), flow: rng.pick(made) });
    } else if (kind === 'traffic') {
      operations.push({ kind, protocol: rng.pick(['icmp', 'udp', 'tcp'] as const), family: rng.chance(0.7) ? 4 : 6 });
    } else {
      const operation = bulk.shift();
      if (operation === undefined) continue;
      if (operation.kind === 'update') operations.push({ kind: 'updateMarkWhere', by: actor(), filter: operation.filter, mark: operation.mark, mask: operation.mask, tool: operation.tool });
      else operations.push({ kind: 'deleteWhere', by: actor(), filter: operation.filter, tool: operation.tool });
    }
  }
  return { streams, operations };
}
