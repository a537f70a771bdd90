import { parseAddress, parsePrefix, type IpPrefix, type FamilyName } from '../common/ip.js';
import { prefixContains } from '../common/prefix.js';
import { knownKeys, plainObject, u16, u32 } from '../common/validate.js';
import { ValidationError } from '../netlink/errors.js';
import { AF_INET, AF_INET6, AF_UNSPEC } from '../rtnl/constants.js';
import { SCTP_STATES, TCP_STATES, type FlowStatus, type SctpState, type TcpState } from './constants.js';
import { protocolNumber, protocolName, statusWord, type Flow, type FlowProtocolName, type FlowTuple } from './flow.js';
import type { KernelFlowFilter } from './messages.js';

/**
 * Which flows a call concerns. Mark (with mask), zone and family are filtered by the kernel;
 * the rest is checked in the library on what the kernel returns. Every field given must match.
 */
export interface FlowFilter {
  family?: FamilyName;
  /** Flows whose mark, under `markMask`, equals this (0 is a value). Kernel-side. */
  mark?: number;
  /** Mask for `mark` (default 0xffffffff). */
  markMask?: number;
  /**
   * Flows in this conntrack zone: whose zone id is this, whichever directions the zone applies to
   * (a flow made with `--orig-zone 6` is in zone 6, not 0), as the kernel filters the dump and as
   * `Flow.zone` says. Kernel-side. (`conntrack -w` compares only zones of both directions.)
   */
  zone?: number;
  protocol?: FlowProtocolName | number;
  /** Original-direction source address or prefix. */
  src?: string;
  /** Original-direction destination address or prefix. */
  dst?: string;
  sport?: number;
  dport?: number;
  /** Reply-direction source address or prefix (after NAT: who answers). */
  replySrc?: string;
  /** Reply-direction destination address or prefix (after NAT: where answers go). */
  replyDst?: string;
  /** Flows that have every one of these status flags. */
  status?: FlowStatus[];
  tcpState?: TcpState;
  sctpState?: SctpState;
  /** Any further test of your own. */
  where?: (flow: Flow) => boolean;
}

const FILTER_KEYS: ReadonlySet<string> = new Set([
  'family', 'mark', 'markMask', 'zone', 'protocol', 'src', 'dst', 'sport', 'dport', 'replySrc', 'replyDst', 'status', 'tcpState', 'sctpState', 'where',
]);

/**
 * Whether `flow` passes the part of a filter the kernel applies to dumps (family, mark under its
 * mask, zone): for flows that did not come through a filtered dump, such as events.
 */
export function passesKernelPart(kernel: KernelFlowFilter, flow: Flow): boolean {
  const { family, mark, markMask, zone } = kernel;
  if (family !== AF_UNSPEC && (family === AF_INET ? 'inet' : family === AF_INET6 ? 'inet6' : '') !== flow.family) return false;
  if (mark !== undefined && (((flow.mark ?? 0) & (markMask ?? 0xffffffff)) >>> 0) !== mark) return false;
  if (zone !== undefined && (flow.zone ?? 0) !== zone) return false;
  return true;
}

/** A filter split into what the kernel does and a predicate for the rest. */
export interface CompiledFlowFilter {
  kernel: KernelFlowFilter;
  matches: (flow: Flow) => boolean;
  /** True when the kernel does all the filtering (no flow needs decoding to be selected). */
  matchesAll: boolean;
}

function prefixTest(text: string | undefined, field: string): ((address: string) => boolean) | undefined {
  if (text === undefined) return undefined;
  const prefix: IpPrefix = parsePrefix(text, field);
  return (address: string) => {
    if (address === '') return false;
    const parsed = parseAddress(address, field);
    return prefixContains(prefix, parsed.bytes);
  };
}

/** Checks a filter and splits it into the kernel part and a predicate. */
export function compileFlowFilter(input: FlowFilter = {}, field = 'filter'): CompiledFlowFilter {
  const filter = plainObject(input, field) as FlowFilter;
  knownKeys(filter as Record<string, unknown>, field, FILTER_KEYS);
  const kernel: KernelFlowFilter = { family: AF_UNSPEC };
  if (filter.family !== undefined) {
    if (filter.family !== 'inet' && filter.family !== 'inet6') throw new ValidationError(`${field}.family`, filter.family, "expected 'inet' or 'inet6'");
    kernel.family = filter.family === 'inet' ? AF_INET : AF_INET6;
  }
  if (filter.markMask !== undefined && filter.mark === undefined) throw new ValidationError(`${field}.markMask`, filter.markMask, 'a mask needs a mark');
  if (filter.mark !== undefined) {
    kernel.mark = u32(filter.mark, `${field}.mark`);
    kernel.markMask = filter.markMask !== undefined ? u32(filter.markMask, `${field}.markMask`) : 0xffffffff;
  }
  if (filter.zone !== undefined) kernel.zone = u16(filter.zone, `${field}.zone`);

  const tests: ((flow: Flow) => boolean)[] = [];
  if (filter.protocol !== undefined) {
    const wanted = protocolName(protocolNumber(filter.protocol, `${field}.protocol`));
    tests.push((flow) => flow.protocol === wanted);
  }
  const tupleTests: [keyof FlowTuple, 'original' | 'reply', ((a: string) => boolean) | undefined][] = [
    ['src', 'original', prefixTest(filter.src, `${field}.src`)],
    ['dst', 'original', prefixTest(filter.dst, `${field}.dst`)],
    ['src', 'reply', prefixTest(filter.replySrc, `${field}.replySrc`)],
    ['dst', 'reply', prefixTest(filter.replyDst, `${field}.replyDst`)],
  ];
  for (const [key, direction, test] of tupleTests) {
    if (test) tests.push((flow) => test(flow[direction][key] as string));
  }
  if (filter.sport !== undefined) {
    const sport = u16(filter.sport, `${field}.sport`);
    tests.push((flow) => flow.original.sport === sport);
  }
  if (filter.dport !== undefined) {
    const dport = u16(filter.dport, `${field}.dport`);
    tests.push((flow) => flow.original.dport === dport);
  }
  if (filter.status !== undefined) {
    if (!Array.isArray(filter.status)) throw new ValidationError(`${field}.status`, filter.status, 'expected an array of status names');
    statusWord(filter.status, `${field}.status`); // validates the names
    const wanted = filter.status;
    tests.push((flow) => wanted.every((s) => flow.status?.includes(s)));
  }
  if (filter.tcpState !== undefined) {
    if (!TCP_STATES.includes(filter.tcpState)) throw new ValidationError(`${field}.tcpState`, filter.tcpState, `expected one of ${TCP_STATES.join(', ')}`);
    const wanted = filter.tcpState;
    tests.push((flow) => flow.tcpState === wanted);
  }
  if (filter.sctpState !== undefined) {
    if (!SCTP_STATES.includes(filter.sctpState)) throw new ValidationError(`${field}.sctpState`, filter.sctpState, `expected one of ${SCTP_STATES.join(', ')}`);
    const wanted = filter.sctpState;
    tests.push((flow) => flow.sctpState === wanted);
  }
  if (filter.where !== undefined) {
    if (typeof filter.where !== 'function') throw new ValidationError(`${field}.where`, filter.where, 'expected a function');
    tests.push(filter.where);
  }
  return { kernel, matches: (flow) => tests.every((test) => test(flow)), matchesAll: tests.length === 0 };
}
