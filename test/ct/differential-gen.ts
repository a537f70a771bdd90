/**
 * Random conntrack flows, filters and bulk operations for the differential test
 * (differential.test.ts). Each comes out twice: as routemark's typed object, and as the
 * arguments of the `conntrack` command that means the same. The `conntrack` side is written from
 * conntrack(8) of conntrack-tools 1.4.7 (and what the tool was seen to do on this kernel), never
 * from src/ct, so that it stays an independent witness.
 *
 * Everything comes from one seeded PRNG: a seed always makes the same flows and operations.
 *
 * What is left out, and why:
 * - DCCP: kernel 6.16 removed its tracker (flows are kept without ports); ct-edge.test.ts covers it.
 * - TCP state SYN_SENT2 (the tool calls it LISTEN and the man page offers no SYN_SENT2).
 * - ICMP flows with a reply tuple of their own (NAT of ICMP ids): the tool has no reply
 *   type/code/id options.
 * - Labels, secmark, helpers, expectations: routemark has no API for them.
 * - Mark updates whose filter names a mark, zone or status: `conntrack -U` reads `-m` as the new
 *   mark (not a filter), refuses -w/--orig-zone/--reply-zone, and ignores -u. Deletes and lists
 *   take all of these.
 * - Mark updates with bits outside the mask: routemark refuses them by design (the kernel would
 *   XOR them in); the tool would send them.
 */
import type { FlowFilter, FlowSpec, FlowStatus, FlowTuple, SctpState, TcpState } from '../../src/index.js';
import { Random } from '../helpers/random.js';

/** One generated flow, in both spellings. */
export interface GeneratedFlow {
  family: 4 | 6;
  spec: FlowSpec;
  /** `conntrack -I` arguments (after -I). */
  tool: string[];
}

/** A generated filter, for list and count, in both spellings. */
export interface GeneratedFilter {
  filter: FlowFilter;
  /** `conntrack -L` filter arguments, without -f. */
  tool: string[];
  /** The families the tool must be asked about (it lists one family per call). */
  families: (4 | 6)[];
  /**
   * A zone the tool's listing must be narrowed to by each flow's zone id: `conntrack -L -w`
   * compares only zones of both directions and `--orig-zone` lists nothing on this kernel, so
   * the tool cannot say "zone id Z" itself (README "Conntrack marks": routemark's zone filter
   * compares zone ids, as the kernel does).
   */
  zone?: number;
}

/** A generated bulk operation, in both spellings. */
export type GeneratedOperation =
  | { kind: 'update'; filter: FlowFilter; mark: number; mask: number | undefined; family: 4 | 6; tool: string[]; selection: string[] }
  | { kind: 'delete'; filter: FlowFilter; families: (4 | 6)[]; tool: string[][] };

const TCP_STATES: readonly TcpState[] = ['NONE', 'SYN_SENT', 'SYN_RECV', 'ESTABLISHED', 'FIN_WAIT', 'CLOSE_WAIT', 'LAST_ACK', 'TIME_WAIT', 'CLOSE'];
const SCTP_STATES: readonly SctpState[] = ['CLOSED', 'COOKIE_WAIT', 'COOKIE_ECHOED', 'ESTABLISHED', 'SHUTDOWN_SENT', 'SHUTDOWN_RECD', 'SHUTDOWN_ACK_SENT'];
const ICMP_TYPES = [8, 0, 13, 14, 15, 16, 17, 18];
const ICMPV6_TYPES = [128, 129, 139, 140];
/** Protocols without a tracker of their own: ESP, AH, IPIP, IPv6-in-IPv4, OSPF, PIM, L2TP, experimental. */
const OTHER_PROTOCOLS = [50, 51, 4, 41, 89, 103, 115, 253];
/** Status flags a flow may be created with (`conntrack -u` takes these; EXPECTED and OFFLOAD too, rarely). */
const CREATE_STATUS: readonly (readonly [number, FlowStatus])[] = [[6, 'ASSURED'], [6, 'SEEN_REPLY'], [2, 'FIXED_TIMEOUT'], [1, 'EXPECTED'], [1, 'OFFLOAD']];

type PortProtocol = 'tcp' | 'udp' | 'udplite' | 'sctp';
type Kind = PortProtocol | 'icmp' | 'icmpv6' | 'gre' | 'other';

// Small pools of addresses and ports, so that some flows meet again (EEXIST) and filters match several.
function v4(rng: Random): string {
  return `10.${rng.int(0, 1)}.${rng.int(0, 3)}.${rng.int(1, 12)}`;
}

function v6(rng: Random): string {
  return rng.pick([`2001:db8::${rng.int(1, 12).toString(16)}`, `2001:db8:1::${rng.int(1, 12).toString(16)}`, `fd00:${rng.int(1, 3)}::${rng.int(1, 0xffff).toString(16)}`]);
}

function address(rng: Random, family: 4 | 6): string {
  return family === 4 ? v4(rng) : v6(rng);
}

function port(rng: Random): number {
  return rng.weighted([[4, () => rng.int(1, 20)], [2, () => rng.pick([0, 53, 80, 443, 65535])], [2, () => rng.int(1024, 65535)]] as const)();
}

function mark(rng: Random): number {
  return rng.weighted([[3, () => 0], [2, () => 0xffffffff], [4, () => rng.int(1, 8)], [2, () => rng.int(0, 0xffffffff)], [2, () => rng.pick([0x10, 0x11, 0xf0, 0x100])]] as const)();
}

/** Swaps the bytes of a 32-bit value: conntrack 1.4.7 swaps the tags it is given (README "Conntrack marks"), so it is given them swapped. */
function swap32(value: number): number {
  return (((value & 0xff) << 24) | ((value & 0xff00) << 8) | ((value >>> 8) & 0xff00) | (value >>> 24)) >>> 0;
}

function protocolOption(kind: Kind, other: number): string {
  return kind === 'other' ? String(other) : kind;
}

/** Generates `count` flows for `seed`. */
export function generateFlows(seed: number, count: number): GeneratedFlow[] {
  const rng = new Random(seed);
  const flows: GeneratedFlow[] = [];
  for (let i = 0; i < count; i++) {
    const kind = rng.weighted<Kind>([[5, 'tcp'], [5, 'udp'], [1, 'udplite'], [2, 'sctp'], [2, 'icmp'], [2, 'icmpv6'], [2, 'gre'], [2, 'other']]);
    const family: 4 | 6 = kind === 'icmp' ? 4 : kind === 'icmpv6' ? 6 : rng.chance(0.6) ? 4 : 6;
    const other = rng.pick(OTHER_PROTOCOLS);
    const src = address(rng, family);
    let dst = address(rng, family);
    if (dst === src) dst = family === 4 ? '10.9.9.9' : '2001:db8:9::9';
    const spec: FlowSpec = { protocol: kind === 'other' ? other : kind, src, dst };
    const tool: string[] = ['-p', protocolOption(kind, other), '-s', src, '-d', dst];
    const ports = kind === 'tcp' || kind === 'udp' || kind === 'udplite' || kind === 'sctp';
    if (ports) {
      spec.sport = port(rng);
      spec.dport = port(rng);
      tool.push('--sport', String(spec.sport), '--dport', String(spec.dport));
    } else if (kind === 'gre' && rng.chance(0.7)) {
      spec.sport = rng.int(0, 0xffff);
      spec.dport = rng.int(0, 0xffff);
      tool.push('--srckey', String(spec.sport), '--dstkey', String(spec.dport));
    } else if (kind === 'gre') {
      // Without keys routemark makes keys 0 (README); the tool insists on being told (exit 2 without).
      tool.push('--srckey', '0', '--dstkey', '0');
    } else if (kind === 'icmp' || kind === 'icmpv6') {
      const opt = kind === 'icmp' ? '--icmp' : '--icmpv6';
      spec.icmpType = rng.pick(kind === 'icmp' ? ICMP_TYPES : ICMPV6_TYPES);
      spec.icmpCode = rng.chance(0.8) ? 0 : rng.int(1, 3);
      spec.icmpId = rng.int(0, 0xffff);
      tool.push(`${opt}-type`, String(spec.icmpType), `${opt}-code`, String(spec.icmpCode), `${opt}-id`, String(spec.icmpId));
    }
    // A reply tuple that is not the inverse of the original: NAT.
    if (kind !== 'icmp' && kind !== 'icmpv6' && rng.chance(0.25)) {
      const reply: FlowTuple = { src: rng.chance(0.7) ? address(rng, family) : dst, dst: rng.chance(0.5) ? address(rng, family) : src };
      tool.push('-r', reply.src, '-q', reply.dst);
      if (ports || (kind === 'gre' && spec.sport !== undefined)) {
        reply.sport = rng.chance(0.5) ? port(rng) : spec.dport!;
        reply.dport = rng.chance(0.5) ? port(rng) : spec.sport!;
        if (kind === 'gre') tool.push('--reply-key-src', String(reply.sport), '--reply-key-dst', String(reply.dport));
        else tool.push('--reply-port-src', String(reply.sport), '--reply-port-dst', String(reply.dport));
      } else if (kind === 'gre') {
        // Keys 0, as routemark writes a GRE reply tuple without them; the tool wants them said.
        tool.push('--reply-key-src', '0', '--reply-key-dst', '0');
      }
      spec.reply = reply;
    }
    spec.timeout = rng.int(100, 100000);
    tool.push('-t', String(spec.timeout));
    if (kind === 'tcp' && rng.chance(0.8)) {
      spec.tcpState = rng.pick(TCP_STATES);
      tool.push('--state', spec.tcpState);
    } else if (kind === 'tcp') {
      // routemark's default; the tool has none, so it is spelled out.
      tool.push('--state', 'ESTABLISHED');
    }
    if (kind === 'sctp') {
      spec.sctpState = rng.pick(SCTP_STATES);
      spec.sctpVtag = { original: rng.int(0, 0xffffffff), reply: rng.chance(0.2) ? 0 : rng.int(0, 0xffffffff) };
      tool.push('--state', spec.sctpState, '--orig-vtag', String(swap32(spec.sctpVtag.original)), '--reply-vtag', String(swap32(spec.sctpVtag.reply)));
    }
    // -u before -m: conntrack 1.4.7 lets a later -u overwrite the mark given by -m (seen: -m 6 -u SEEN_REPLY makes mark 2).
    if (rng.chance(0.3)) {
      const status = [...new Set([rng.weighted(CREATE_STATUS), ...(rng.chance(0.4) ? [rng.weighted(CREATE_STATUS)] : [])])];
      spec.status = status;
      tool.push('-u', status.join(','));
    }
    if (rng.chance(0.75)) {
      spec.mark = mark(rng);
      tool.push('-m', String(spec.mark));
    }
    if (rng.chance(0.25)) {
      const zone = rng.pick([0, 1, 2, 3, 65535]);
      const direction = rng.weighted<'both' | 'original' | 'reply'>([[2, 'both'], [1, 'original'], [1, 'reply']]);
      spec.zone = zone;
      if (direction !== 'both') spec.zoneDirection = direction;
      tool.push(direction === 'both' ? '-w' : direction === 'original' ? '--orig-zone' : '--reply-zone', String(zone));
    }
    flows.push({ family, spec, tool });
  }
  // Some exact duplicates (EEXIST on both sides), and a few refused by both.
  for (let i = 0; i < Math.max(1, count / 20); i++) flows.splice(rng.int(0, flows.length), 0, structuredClone(rng.pick(flows)));
  return flows;
}

// ---------------------------------------------------------------------------------------------
// Filters

function prefixOf(rng: Random, text: string, family: 4 | 6): string {
  if (family === 4) {
    const length = rng.pick([8, 16, 24, 30, 32]);
    const value = text.split('.').reduce((a, b) => ((a << 8) | Number(b)) >>> 0, 0);
    const masked = length === 0 ? 0 : (value & (0xffffffff << (32 - length))) >>> 0;
    return `${[masked >>> 24, (masked >>> 16) & 0xff, (masked >>> 8) & 0xff, masked & 0xff].join('.')}/${length}`;
  }
  // The generated IPv6 addresses differ in their first 48 bits or their last 16.
  const length = rng.pick([32, 48, 128]);
  if (length === 128) return `${text}/128`;
  const groups = text.includes('2001:db8:1::') ? ['2001', 'db8', '1'] : text.startsWith('2001:db8::') ? ['2001', 'db8', '0'] : text.split(':').slice(0, 2).concat(['0']);
  return `${groups.slice(0, length / 16).join(':')}::/${length}`;
}

/** Everything the generated flows hold that a filter can name. */
function pools(flows: readonly GeneratedFlow[]) {
  return {
    marks: flows.map((f) => f.spec.mark ?? 0),
    flows,
  };
}

type Piece = 'family' | 'mark' | 'protocol' | 'ports' | 'src' | 'dst' | 'replySrc' | 'status' | 'tcpState' | 'sctpState' | 'zone';

/**
 * Builds a filter from the pieces named, around a flow taken from `flows` (so that it matches
 * something): routemark's FlowFilter, the tool's options, and the families to ask the tool about.
 */
function buildFilter(rng: Random, flows: readonly GeneratedFlow[], pieces: readonly Piece[]): GeneratedFilter {
  const around = rng.pick(flows);
  const spec = around.spec;
  const filter: FlowFilter = {};
  const tool: string[] = [];
  let families: (4 | 6)[] = [4, 6];
  let zone: number | undefined;
  const kind = typeof spec.protocol === 'number' ? 'other' : spec.protocol;
  for (const piece of pieces) {
    switch (piece) {
      case 'family':
        filter.family = around.family === 4 ? 'inet' : 'inet6';
        families = [around.family];
        break;
      case 'mark': {
        const value = rng.chance(0.5) ? (spec.mark ?? 0) : rng.pick(pools(flows).marks);
        if (rng.chance(0.4)) {
          const mask = rng.pick([0xff, 0xf0, 0x0f, 0x1, 0, 0xffff0000]);
          filter.mark = (value & mask) >>> 0;
          filter.markMask = mask;
          tool.push('-m', `${filter.mark}/${mask}`);
        } else {
          filter.mark = value;
          tool.push('-m', String(value));
        }
        break;
      }
      case 'protocol':
      case 'ports':
        if (filter.protocol !== undefined) break;
        filter.protocol = spec.protocol;
        tool.push('-p', String(spec.protocol));
        if (piece === 'ports' && spec.sport !== undefined && kind !== 'gre') {
          if (rng.chance(0.5)) {
            filter.sport = spec.sport;
            tool.push('--sport', String(spec.sport));
          } else {
            filter.dport = spec.dport!;
            tool.push('--dport', String(spec.dport));
          }
        }
        break;
      case 'src':
        filter.src = prefixOf(rng, spec.src, around.family);
        tool.push('-s', filter.src);
        families = [around.family];
        break;
      case 'dst':
        filter.dst = prefixOf(rng, spec.dst, around.family);
        tool.push('-d', filter.dst);
        families = [around.family];
        break;
      case 'replySrc':
        // `-r` takes an address (the man page offers no CIDR for the reply direction).
        filter.replySrc = spec.reply?.src ?? spec.dst;
        tool.push('-r', filter.replySrc);
        families = [around.family];
        break;
      case 'status': {
        const status = rng.pick<FlowStatus[]>([['ASSURED'], ['SEEN_REPLY'], ['ASSURED', 'SEEN_REPLY']]);
        filter.status = status;
        // First: a -u after -m overwrites the mark filter in conntrack 1.4.7 (as it does on create).
        tool.unshift('-u', status.join(','));
        break;
      }
      case 'tcpState':
        if (filter.protocol !== undefined) break;
        filter.protocol = 'tcp';
        filter.tcpState = spec.tcpState ?? rng.pick(TCP_STATES);
        tool.push('-p', 'tcp', '--state', filter.tcpState);
        break;
      case 'sctpState':
        if (filter.protocol !== undefined) break;
        filter.protocol = 'sctp';
        filter.sctpState = spec.sctpState ?? rng.pick(SCTP_STATES);
        tool.push('-p', 'sctp', '--state', filter.sctpState);
        break;
      case 'zone':
        zone = spec.zone ?? rng.pick([0, 1, 2]);
        filter.zone = zone;
        break;
    }
  }
  return { filter, tool, families, ...(zone !== undefined ? { zone } : {}) };
}

const LIST_PIECES: readonly (readonly [number, Piece])[] = [
  [2, 'family'], [4, 'mark'], [3, 'protocol'], [3, 'ports'], [2, 'src'], [2, 'dst'], [1, 'replySrc'], [2, 'status'], [1, 'tcpState'], [1, 'sctpState'], [2, 'zone'],
];

/** Random filters for list and count, each built around one of `flows`. */
export function generateFilters(seed: number, count: number, flows: readonly GeneratedFlow[]): GeneratedFilter[] {
  const rng = new Random(seed ^ 0x5eed);
  return Array.from({ length: count }, () => {
    const pieces = Array.from({ length: rng.int(1, 3) }, () => rng.weighted(LIST_PIECES));
    return buildFilter(rng, flows, [...new Set(pieces)]);
  });
}

const UPDATE_PIECES: readonly (readonly [number, Piece])[] = [[3, 'protocol'], [3, 'ports'], [2, 'src'], [2, 'dst'], [1, 'replySrc']];
const DELETE_PIECES: readonly (readonly [number, Piece])[] = [[2, 'family'], [4, 'mark'], [3, 'protocol'], [2, 'ports'], [2, 'src'], [1, 'dst'], [1, 'replySrc'], [2, 'status'], [1, 'tcpState'], [2, 'zone']];

/** Random mark updates (with masks) and deletes by filter. */
export function generateOperations(seed: number, count: number, flows: readonly GeneratedFlow[]): GeneratedOperation[] {
  const rng = new Random(seed ^ 0x0be7);
  const operations: GeneratedOperation[] = [];
  for (let i = 0; i < count; i++) {
    if (rng.chance(0.6)) {
      const pieces = [...new Set(Array.from({ length: rng.int(0, 2) }, () => rng.weighted(UPDATE_PIECES)))];
      const built = buildFilter(rng, flows, ['family', ...pieces]);
      const family = built.families[0]!;
      // conntrack -U: `-m MARK/MASK` zeroes MASK's bits and XORs MARK in; without a mask, sets MARK.
      const mask = rng.chance(0.5) ? rng.pick([0xff, 0xf0, 0x0f, 0xffff0000, 0x80000001, 0xffffffff]) : undefined;
      const value = mask === undefined ? mark(rng) : (rng.int(0, 0xffffffff) & mask) >>> 0;
      const selection = built.tool;
      const tool = ['-U', '-f', family === 4 ? 'ipv4' : 'ipv6', ...selection, '-m', mask === undefined ? String(value) : `${value}/${mask}`];
      operations.push({ kind: 'update', filter: built.filter, mark: value, mask, family, tool, selection });
    } else {
      const pieces = [...new Set(Array.from({ length: rng.int(1, 2) }, () => rng.weighted(DELETE_PIECES)))];
      const built = buildFilter(rng, flows, pieces);
      // The tool's zone options each take one kind of zone; a zone id is their union. Zone 0
      // is left to list filters: `-w 0` also takes flows zoned in the reply direction only.
      let zoneOptions: string[][] = [[]];
      if (built.zone !== undefined) {
        if (built.zone === 0) {
          delete built.filter.zone;
        } else {
          zoneOptions = [['-w', String(built.zone)], ['--orig-zone', String(built.zone)], ['--reply-zone', String(built.zone)]];
        }
      }
      const tool = built.families.flatMap((family) => zoneOptions.map((zone) => ['-D', '-f', family === 4 ? 'ipv4' : 'ipv6', ...built.tool, ...zone]));
      operations.push({ kind: 'delete', filter: built.filter, families: built.families, tool });
    }
  }
  return operations;
}
