/**
 * Random policy rules, routes and packets for the differential test (differential.test.ts). Each
 * object comes out twice: as routemark's typed object, and as the arguments of the `ip` command
 * that means the same. The `ip` side is written from ip-rule(8) and ip-route(8) of iproute2 6.1,
 * never from src/rtnl, so that it stays an independent witness of what the object should do.
 *
 * Everything comes from one seeded PRNG: a seed always makes the same objects.
 *
 * What is left out, and why:
 * - `dscp`, the port and dscp masks and `flowlabel` on rules: iproute2 6.1 cannot say them, so
 *   there is no witness here (rule-masks.test.ts and rules-edge.test.ts cover them against the
 *   kernel's own listing).
 * - `expires` on IPv6 routes: the listing shows the seconds left, which differ between two
 *   namespaces filled a moment apart.
 * - nexthop objects (`nhid`): a separate API with its own tests (nexthops.test.ts).
 */
import type { Nexthop, Route, RouteMetrics, RouteQuery, Rule, TableRef } from '../../src/index.js';
import { Random } from '../helpers/random.js';

/** The named tables of the test's own rt_tables (seen by routemark and, through a bind mount, by ip). */
export const TABLES: Readonly<Record<string, number>> = { hof: 100, lan1: 101, big: 5000, huge: 100000 };

/**
 * What each namespace of the test holds before anything is generated: veth pairs v0-v1 and v2-v3,
 * all up, with these addresses on v0 and v2 (their subnets' `.1`/`::1` are the gateways).
 */
export const PLUMBING = {
  v0: { inet: '192.0.2.2/24', inet6: '2001:db8::2/64' },
  v2: { inet: '198.51.100.2/24', inet6: '2001:db8:1::2/64' },
} as const;

const LOCAL_ADDRESSES = { 4: ['192.0.2.2', '198.51.100.2'], 6: ['2001:db8::2', '2001:db8:1::2'] } as const;
/** Gateways on each device's subnet, per family. */
const GATEWAYS = {
  4: { v0: ['192.0.2.1', '192.0.2.77'], v2: ['198.51.100.1'] },
  6: { v0: ['2001:db8::1', '2001:db8::77', 'fe80::1'], v2: ['2001:db8:1::1'] },
} as const;
const DEVICES = ['v0', 'v2'] as const;
/** Interface names a rule may select: existing ones, a peer without addresses, and one that does not exist (a "detached" rule). */
const RULE_INTERFACES = ['v0', 'v2', 'v1', 'lo', 'nosuch0'] as const;

/** One generated rule or route, in both spellings. */
export type GeneratedObject =
  | { kind: 'rule'; family: 4 | 6; value: Rule; ip: string[] }
  | { kind: 'route'; family: 4 | 6; value: Route; ip: string[] };

/** One generated packet to look a route up for, in both spellings. */
export interface GeneratedQuery {
  family: 4 | 6;
  value: RouteQuery;
  /** `route get ...` arguments. */
  ip: string[];
}

/** What the generated objects select, so that the packets asked about meet them. */
export interface Seen {
  prefixes: { family: 4 | 6; prefix: string }[];
  marks: number[];
  uids: number[];
  ports: number[];
}

// ---------------------------------------------------------------------------------------------
// Addresses and prefixes

function formatV4(address: number): string {
  return [address >>> 24, (address >>> 16) & 0xff, (address >>> 8) & 0xff, address & 0xff].join('.');
}

/** An IPv6 address from 128 bits, in the full eight-group form that both ip and routemark read. */
function formatV6(address: bigint): string {
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((address >> BigInt(i * 16)) & 0xffffn).toString(16));
  return groups.join(':');
}

function maskV4(address: number, length: number): number {
  return length === 0 ? 0 : (address & (0xffffffff << (32 - length))) >>> 0;
}

function maskV6(address: bigint, length: number): bigint {
  const all = (1n << 128n) - 1n;
  return length === 0 ? 0n : address & (all ^ ((1n << BigInt(128 - length)) - 1n));
}

function randomV4(rng: Random): number {
  // 10/8 mostly, and the documentation and benchmark ranges the test's rules and routes use.
  return rng.weighted([
    [6, () => ((10 << 24) | rng.int(0, 0xffffff)) >>> 0],
    [1, () => ((203 << 24) | (0 << 16) | (113 << 8) | rng.int(0, 255)) >>> 0],
    [1, () => ((198 << 24) | (rng.int(18, 19) << 16) | rng.int(0, 0xffff)) >>> 0],
  ] as const)();
}

function randomV6(rng: Random): bigint {
  // 2001:db8:X:Y::/64 with X above the plumbed subnets' 0 and 1, and random low bits.
  const high = (0x20010db8n << 96n) | (BigInt(rng.int(2, 0xffff)) << 80n) | (BigInt(rng.int(0, 0xffff)) << 64n);
  return high | (BigInt(rng.int(0, 0xffffffff)) << 32n) | BigInt(rng.int(0, 0xffffffff));
}

/** A prefix; `masked` clears the host bits (a route needs that; a rule keeps whatever it is given). */
function randomPrefix(rng: Random, family: 4 | 6, masked: boolean, lengths?: readonly number[]): string {
  if (family === 4) {
    const length = rng.pick(lengths ?? [8, 12, 16, 20, 24, 28, 32]);
    const address = randomV4(rng);
    return `${formatV4(masked ? maskV4(address, length) : address)}/${length}`;
  }
  const length = rng.pick(lengths ?? [32, 48, 56, 64, 96, 128]);
  // Below /32 the prefix would leave 2001:db8::/32; keep it there.
  const address = randomV6(rng);
  return `${formatV6(masked ? maskV6(address, length) : address)}/${length}`;
}

/** A random address inside a prefix (its own address for a host prefix). */
function addressIn(rng: Random, family: 4 | 6, prefix: string): string {
  const [text, lengthText] = prefix.split('/') as [string, string | undefined];
  const length = Number(lengthText ?? (family === 4 ? 32 : 128));
  if (family === 4) {
    const base = text.split('.').reduce((a, b) => ((a << 8) | Number(b)) >>> 0, 0);
    const host = length === 32 ? 0 : rng.int(1, Math.min(2 ** (32 - length) - 1, 0x7fffffff));
    return formatV4((maskV4(base, length) | host) >>> 0);
  }
  const base = text.split(':').reduce((a, b) => (a << 16n) | BigInt(parseInt(b || '0', 16)), 0n);
  const hostBits = 128 - length;
  const host = hostBits === 0 ? 0n : BigInt(rng.int(1, 0x7fffffff)) & ((1n << BigInt(hostBits)) - 1n);
  return formatV6(maskV6(base, length) | host);
}

// ---------------------------------------------------------------------------------------------
// Shared pieces

/** A table in both spellings: ids below and above 255, names from the test's rt_tables, main. */
function randomTable(rng: Random): { value: TableRef; ip: string } {
  return rng.weighted<() => { value: TableRef; ip: string }>([
    [4, () => {
      const id = rng.int(1, 252);
      return { value: id, ip: String(id) };
    }],
    [2, () => {
      const id = rng.pick([256, 1000, 65535, 65536, rng.int(257, 0xfffffffe)]);
      return { value: id, ip: String(id) };
    }],
    [3, () => {
      const name = rng.pick(Object.keys(TABLES));
      // A name in one spelling and its id in the other mean the same table.
      return rng.chance(0.2) ? { value: TABLES[name]!, ip: name } : { value: name, ip: name };
    }],
    [1, () => ({ value: 'main', ip: 'main' })],
  ])();
}

/** A route or rule protocol in both spellings (a name ip's rt_protos knows, or a number). */
function randomProtocol(rng: Random): { value: Rule['protocol']; ip: string } {
  const choice = rng.pick<NonNullable<Rule['protocol']>>(['static', 'boot', 'dhcp', 'zebra', 99, 200, 254]);
  return { value: choice, ip: String(choice) };
}

/** A type-of-service byte: valid ones have the ECN bits clear; the invalid ones test that both refuse. */
function randomTos(rng: Random): number {
  return rng.chance(0.1) ? rng.pick([0x01, 0x03, 0x12]) : rng.pick([0x04, 0x08, 0x10, 0x18, 0x20, 0x28, 0xb8]);
}

function hex(value: number): string {
  return `0x${value.toString(16)}`;
}

/** A port or a range, in a random one of routemark's spellings; rarely one the kernel refuses. */
function randomPorts(rng: Random, seen: Seen): { value: NonNullable<Rule['sport']>; ip: string } {
  let start = rng.int(1, 65534);
  let end = rng.chance(0.4) ? Math.min(65534, start + rng.int(1, 2000)) : start;
  if (rng.chance(0.06)) [start, end] = rng.pick([[end + 1, start] as const, [0, 0] as const, [65535, 65535] as const, [100, 65535] as const]);
  seen.ports.push(start === end ? start : start + 1);
  const ip = start === end ? String(start) : `${start}-${end}`;
  if (start === end && rng.chance(0.7)) return { value: start, ip };
  return { value: rng.chance(0.5) ? { start, end } : `${start}-${end}`, ip };
}

// ---------------------------------------------------------------------------------------------
// Objects as parts

/**
 * One piece of an object in both spellings: what it sets on the typed object, and its words on
 * the ip command line. `section` orders the words (ip wants a route's type before its prefix,
 * and its paths last); `key` names the piece, so that a variant can change, drop or add one.
 */
interface Part<T> {
  key: string;
  value: Partial<T>;
  ip: string[];
  section: number;
}

/** A generated object before it is put together: its family, kind and parts. */
interface Draft<T> {
  family: 4 | 6;
  parts: Part<T>[];
}

function part<T>(key: string, section: number, value: Partial<T>, ...ip: string[]): Part<T> {
  return { key, section, value, ip };
}

function assemble<T>(parts: readonly Part<T>[]): { value: T; ip: string[] } {
  const value = {} as T;
  for (const piece of parts) Object.assign(value as object, piece.value);
  const ip = [...parts].sort((a, b) => a.section - b.section).flatMap((piece) => piece.ip);
  return { value, ip };
}

/**
 * A variant of an earlier object, so that near-duplicates meet: the same again, or one part
 * changed, dropped or added. This is where the kernel's duplicate checks (EEXIST), the
 * first-match deletes, and addMany's own duplicate check are put to the test.
 */
function variant<T>(rng: Random, draft: Draft<T>, regenerate: (key: string) => Part<T> | undefined, optional: readonly string[]): Draft<T> {
  const parts = [...draft.parts];
  const operation = rng.weighted([[2, 'same'], [5, 'change'], [2, 'drop'], [3, 'add']] as const);
  const present = parts.filter((piece) => optional.includes(piece.key));
  if (operation === 'change' || (operation === 'drop' && present.length > 0)) {
    const pool = operation === 'change' ? parts : present;
    const at = parts.indexOf(rng.pick(pool));
    const replacement = operation === 'change' ? regenerate(parts[at]!.key) : undefined;
    if (replacement === undefined) parts.splice(at, 1);
    else parts[at] = replacement;
  } else if (operation === 'add' || operation === 'drop') {
    const missing = optional.filter((key) => !parts.some((piece) => piece.key === key));
    const added = missing.length > 0 ? regenerate(rng.pick(missing)) : undefined;
    if (added !== undefined) parts.push(added);
  }
  return { family: draft.family, parts };
}

// ---------------------------------------------------------------------------------------------
// Rules

const SELECTOR = 0;
const ACTION = 1;

/** The optional parts of a rule, which variants drop and add. */
const RULE_OPTIONAL = ['not', 'from', 'to', 'tos', 'fwmark', 'iif', 'oif', 'pref', 'uidrange', 'ipproto', 'sport', 'dport', 'suppress', 'ifgroup', 'realms', 'protocol'] as const;

/** A new rule part of `key` (undefined where it does not apply to the family). */
function rulePart(rng: Random, key: string, family: 4 | 6, seen: Seen): Part<Rule> | undefined {
  switch (key) {
    case 'not':
      return part('not', SELECTOR, { not: true }, 'not');
    case 'from':
    case 'to': {
      const prefix = randomPrefix(rng, family, rng.chance(0.8));
      seen.prefixes.push({ family, prefix });
      return part(key, SELECTOR, { [key]: prefix }, key, prefix);
    }
    case 'tos': {
      const tos = randomTos(rng);
      return part('tos', SELECTOR, { tos }, 'tos', hex(tos));
    }
    case 'fwmark': {
      const mark = rng.weighted([[4, rng.int(1, 255)], [1, rng.int(0, 0xffffffff)], [0.5, 0]] as const);
      seen.marks.push(mark);
      if (!rng.chance(0.4)) return part('fwmark', SELECTOR, { fwmark: mark }, 'fwmark', String(mark));
      const mask = rng.pick([0xff, 0xff00, 0xffffffff, 0xf0, rng.int(1, 0xffffffff)]);
      return part('fwmark', SELECTOR, { fwmark: mark, fwmask: mask }, 'fwmark', `${hex(mark)}/${hex(mask)}`);
    }
    case 'iif':
    case 'oif': {
      const name = rng.pick(RULE_INTERFACES);
      return part(key, SELECTOR, { [key]: name }, key, name);
    }
    case 'pref': {
      const priority = rng.chance(0.03) ? 0 : rng.int(1, 40000);
      return part('pref', SELECTOR, { priority }, 'pref', String(priority));
    }
    case 'uidrange': {
      let start = rng.int(0, 2000);
      let end = rng.chance(0.5) ? start : start + rng.int(1, 100);
      if (rng.chance(0.05)) [start, end] = [end + 1, start];
      seen.uids.push(start);
      const uidrange = start === end && rng.chance(0.5) ? start : rng.chance(0.5) ? `${start}-${end}` : { start, end };
      return part('uidrange', SELECTOR, { uidrange }, 'uidrange', `${start}-${end}`);
    }
    case 'ipproto': {
      const ipproto = family === 4 ? rng.pick<NonNullable<Rule['ipproto']>>(['tcp', 'udp', 'icmp', 'gre', 6, 17]) : rng.pick<NonNullable<Rule['ipproto']>>(['tcp', 'udp', 'ipv6-icmp', 58, 6]);
      return part('ipproto', SELECTOR, { ipproto }, 'ipproto', String(ipproto));
    }
    case 'sport':
    case 'dport': {
      const ports = randomPorts(rng, seen);
      return part(key, SELECTOR, { [key]: ports.value }, key, ports.ip);
    }
    case 'suppress': {
      const suppressPrefixLength = rng.pick([0, 1, 8, 24, 32, 48, 64, 128]);
      return part('suppress', ACTION, { suppressPrefixLength }, 'suppress_prefixlength', String(suppressPrefixLength));
    }
    case 'ifgroup': {
      const suppressIfgroup = rng.int(0, 10);
      return part('ifgroup', ACTION, { suppressIfgroup }, 'suppress_ifgroup', String(suppressIfgroup));
    }
    case 'realms': {
      if (family !== 4) return undefined;
      const realm = rng.int(1, 255);
      if (!rng.chance(0.5)) return part('realms', ACTION, { realm }, 'realms', String(realm));
      const fromRealm = rng.int(1, 255);
      return part('realms', ACTION, { realm, fromRealm }, 'realms', `${fromRealm}/${realm}`);
    }
    case 'protocol': {
      const protocol = randomProtocol(rng);
      return part('protocol', ACTION, { protocol: protocol.value }, 'protocol', protocol.ip);
    }
    case 'action':
      return ruleAction(rng);
    case 'family':
      return family === 6 ? part('family', SELECTOR, { family: 'inet6' }) : undefined;
    default:
      return undefined;
  }
}

/** What a rule does: look a table up (by id, above 255, by name), goto, blackhole, ..., or l3mdev. */
function ruleAction(rng: Random): Part<Rule> {
  const kind = rng.weighted([[70, 'lookup'], [8, 'goto'], [4, 'blackhole'], [4, 'unreachable'], [3, 'prohibit'], [4, 'nop'], [4, 'l3mdev']] as const);
  if (kind === 'lookup') {
    const value: Partial<Rule> = rng.chance(0.15) ? { action: 'lookup' } : {};
    if (!rng.chance(0.85)) return part('action', ACTION, value);
    const table = randomTable(rng);
    return part('action', ACTION, { ...value, table: table.value }, rng.chance(0.5) ? 'table' : 'lookup', table.ip);
  }
  // The target is set when the rule is put together: it must come after the rule's priority.
  if (kind === 'goto') return part('action', ACTION, rng.chance(0.5) ? { action: 'goto' } : {}, 'goto');
  // l3mdev takes its table from the device; rarely with one, which both refuse.
  if (kind === 'l3mdev') return rng.chance(0.1) ? part('action', SELECTOR, { l3mdev: true, table: 7 }, 'l3mdev', 'table', '7') : part('action', SELECTOR, { l3mdev: true }, 'l3mdev');
  return part('action', ACTION, { action: kind }, kind);
}

/** A random rule's parts. */
function draftRule(rng: Random, seen: Seen): Draft<Rule> {
  const family: 4 | 6 = rng.chance(0.4) ? 6 : 4;
  const parts: Part<Rule>[] = [];
  const add = (key: string, p: number) => {
    if (!rng.chance(p)) return;
    const piece = rulePart(rng, key, family, seen);
    if (piece !== undefined) parts.push(piece);
  };
  add('family', 0.5);
  for (const [key, p] of [['not', 0.12], ['from', 0.4], ['to', 0.3], ['tos', 0.1], ['fwmark', 0.35], ['iif', 0.15], ['oif', 0.1], ['pref', 0.8], ['uidrange', 0.15], ['ipproto', 0.25], ['sport', 0.2], ['dport', 0.2]] as const) add(key, p);
  const action = ruleAction(rng);
  parts.push(action);
  const lookup = action.value.action === 'lookup' || (action.value.action === undefined && !action.value.l3mdev && action.ip[0] !== 'goto');
  if (lookup) {
    add('suppress', 0.1);
    add('ifgroup', 0.05);
  }
  add('realms', 0.05);
  add('protocol', 0.3);
  return { family, parts };
}

/**
 * A rule put together: a goto gets its target after the rule's priority (rarely at or before
 * it, which the kernel refuses), and the family and ip's arguments are made explicit where
 * nothing else says them.
 */
function finishRule(rng: Random, draft: Draft<Rule>): GeneratedObject {
  const parts = draft.parts.map((piece) => ({ ...piece, ip: [...piece.ip], value: { ...piece.value } }));
  const action = parts.find((piece) => piece.key === 'action');
  if (action?.ip[0] === 'goto') {
    let pref = parts.find((piece) => piece.key === 'pref');
    if (pref === undefined) {
      const priority = rng.int(1, 30000);
      pref = part('pref', SELECTOR, { priority }, 'pref', String(priority));
      parts.push(pref);
    }
    const priority = pref.value.priority!;
    const target = rng.chance(0.1) ? rng.int(Math.max(0, priority - 100), priority) : priority + rng.int(1, 500);
    action.value.goto = target;
    action.ip = ['goto', String(target)];
  }
  const { value, ip } = assemble(parts);
  // Without a prefix an IPv6 rule must say its family: ip -6, and routemark's family.
  if (draft.family === 6 && value.from === undefined && value.to === undefined) value.family = 'inet6';
  // `ip rule add` alone is refused by ip itself ("requires arguments"); `table main` is what
  // both take as the default.
  if (ip.length === 0) ip.push('table', 'main');
  return { kind: 'rule', family: draft.family, value, ip: [...(draft.family === 6 ? ['-6'] : []), 'rule', 'add', ...ip] };
}

// ---------------------------------------------------------------------------------------------
// Routes

const ROUTE_DST = 0;
const ROUTE_NODE = 1;
const ROUTE_INFO = 2;
/** ip takes a route's options before its first `nexthop`, which starts the list of paths. */
const ROUTE_PATHS = 3;

/** The optional parts of a route, which variants drop and add. */
const ROUTE_OPTIONAL = ['tos', 'table', 'proto', 'scope', 'metric', 'pref', 'from', 'src', 'realms', 'metrics'] as const;

/** Lockable metrics with their ip names (`mtu lock 1400`). */
const NUMERIC_METRICS: readonly (readonly [name: keyof RouteMetrics & string, ip: string, min: number, max: number, lockable: boolean])[] = [
  ['mtu', 'mtu', 1280, 9000, true],
  ['advmss', 'advmss', 536, 8960, true],
  ['window', 'window', 1000, 65535, true],
  ['rtt', 'rtt', 8, 8000, true], // raw kernel units: ip passes a value without a suffix as it is
  ['rttvar', 'rttvar', 4, 4000, true],
  ['ssthresh', 'ssthresh', 1, 1000, true],
  ['cwnd', 'cwnd', 1, 100, true],
  ['reordering', 'reordering', 1, 127, true],
  ['hoplimit', 'hoplimit', 1, 255, true],
  ['initcwnd', 'initcwnd', 1, 100, true],
  ['initrwnd', 'initrwnd', 1, 100, true],
];

function randomMetrics(rng: Random): { value: RouteMetrics; ip: string[] } {
  const value: RouteMetrics = {};
  const ip: string[] = [];
  const lock: NonNullable<RouteMetrics['lock']> = [];
  const count = rng.int(1, 3);
  for (let i = 0; i < count; i++) {
    const which = rng.int(0, NUMERIC_METRICS.length + 4);
    if (which < NUMERIC_METRICS.length) {
      const [name, ipName, min, max, lockable] = NUMERIC_METRICS[which]!;
      if (value[name] !== undefined) continue;
      const number = rng.int(min, max);
      (value as Record<string, number>)[name] = number;
      if (lockable && rng.chance(0.3)) {
        lock.push(name as NonNullable<RouteMetrics['lock']>[number]);
        ip.push(ipName, 'lock', String(number));
      } else {
        ip.push(ipName, String(number));
      }
    } else if (which === NUMERIC_METRICS.length && value.rtoMin === undefined) {
      value.rtoMin = rng.int(10, 500);
      ip.push('rto_min', `${value.rtoMin}ms`);
    } else if (which === NUMERIC_METRICS.length + 1 && value.quickack === undefined) {
      value.quickack = rng.int(0, 1);
      ip.push('quickack', String(value.quickack));
    } else if (which === NUMERIC_METRICS.length + 2 && value.congctl === undefined) {
      // reno, cubic and bbr are built into the test machine's kernel; another name is refused.
      value.congctl = rng.chance(0.05) ? 'nosuchcc' : rng.pick(['reno', 'cubic', 'bbr']);
      ip.push('congctl', value.congctl);
    } else if (which === NUMERIC_METRICS.length + 3 && value.fastopenNoCookie === undefined) {
      value.fastopenNoCookie = rng.int(0, 1);
      ip.push('fastopen_no_cookie', String(value.fastopenNoCookie));
    } else if (value.features === undefined) {
      value.features = 1; // ecn, the one feature ip names
      ip.push('features', 'ecn');
    }
  }
  if (lock.length > 0) value.lock = lock;
  return { value, ip };
}

/** One path: a gateway on a device's subnet, a device alone, an IPv6 gateway for IPv4 (via inet6), or onlink. */
function randomPath(rng: Random, family: 4 | 6, multipath: boolean): { value: Nexthop; ip: string[] } {
  const dev = rng.pick(DEVICES);
  const form = rng.weighted([[10, 'gateway'], [multipath ? 4 : 5, 'dev'], [family === 4 ? 2 : 0, 'via6'], [1, 'onlink'], [0.5, 'mismatch'], [multipath ? 0 : 2, 'gatewayOnly']] as const);
  const value: Nexthop = {};
  const ip: string[] = [];
  if (form === 'gateway' || form === 'gatewayOnly') {
    const gateway = rng.pick(GATEWAYS[family][dev]);
    value.gateway = gateway;
    ip.push('via', gateway);
    // A link-local gateway needs its device; without one both are refused.
    if (form === 'gateway') value.dev = dev;
  } else if (form === 'via6') {
    const gateway = rng.pick(GATEWAYS[6][dev]);
    value.gateway = gateway;
    value.dev = dev;
    ip.push('via', 'inet6', gateway);
  } else if (form === 'onlink') {
    value.gateway = family === 4 ? `10.255.${rng.int(0, 255)}.1` : `2001:db8:ff:${rng.int(0, 0xffff).toString(16)}::1`;
    value.dev = dev;
    value.onlink = true;
    ip.push('via', value.gateway);
  } else if (form === 'mismatch') {
    // A gateway that is not on the device's subnet: refused by the kernel.
    value.gateway = rng.pick(GATEWAYS[family][dev === 'v0' ? 'v2' : 'v0']);
    value.dev = dev;
    ip.push('via', value.gateway);
  } else {
    value.dev = dev;
  }
  if (value.dev !== undefined) ip.push('dev', value.dev);
  if (value.onlink) ip.push('onlink');
  return { value, ip };
}

type RouteTypeChoice = NonNullable<Route['type']>;

/** Where a route of this type goes: a gateway or device (unicast and the like), a device (local), or nowhere. */
function routePaths(rng: Random, family: 4 | 6, type: RouteTypeChoice): Part<Route> | undefined {
  if (type === 'unicast') {
    if (rng.chance(0.15)) {
      const paths: string[] = [];
      const nexthops: Nexthop[] = [];
      for (let i = rng.int(2, 3); i > 0; i--) {
        const path = randomPath(rng, family, true);
        paths.push('nexthop', ...path.ip);
        if (rng.chance(0.5)) {
          path.value.weight = rng.int(1, 256);
          paths.push('weight', String(path.value.weight));
        }
        if (family === 4 && rng.chance(0.05)) {
          path.value.realm = rng.int(1, 255);
          paths.push('realms', String(path.value.realm));
        }
        nexthops.push(path.value);
      }
      return part('path', ROUTE_PATHS, { nexthops }, ...paths);
    }
    const path = randomPath(rng, family, false);
    return part('path', ROUTE_INFO, path.value, ...path.ip);
  }
  if (type === 'local') {
    const dev = rng.pick(['lo', 'v0']);
    return part('path', ROUTE_INFO, { dev }, 'dev', dev);
  }
  if (type === 'multicast' || type === 'broadcast' || type === 'anycast' || type === 'nat') {
    const dev = rng.pick(DEVICES);
    return part('path', ROUTE_INFO, { dev }, 'dev', dev);
  }
  // blackhole, unreachable, prohibit and throw take no device: rarely one, which both refuse.
  return rng.chance(0.03) ? part('path', ROUTE_INFO, { dev: 'v0' }, 'dev', 'v0') : undefined;
}

/** A new route part of `key` (undefined where it does not apply to the family or type). */
function routePart(rng: Random, key: string, family: 4 | 6, type: RouteTypeChoice, seen: Seen): Part<Route> | undefined {
  switch (key) {
    case 'tos': {
      const tos = family === 4 ? randomTos(rng) : 0x10; // IPv6 routes take no tos: refused by both
      return part('tos', ROUTE_NODE, { tos }, 'tos', hex(tos));
    }
    case 'table': {
      const table = randomTable(rng);
      return part('table', ROUTE_NODE, { table: table.value }, 'table', table.ip);
    }
    case 'proto': {
      const protocol = randomProtocol(rng);
      return part('proto', ROUTE_NODE, { protocol: protocol.value }, 'proto', protocol.ip);
    }
    case 'scope': {
      const scope = rng.pick<NonNullable<Route['scope']>>(['host', 'link', 'global', 200]);
      return part('scope', ROUTE_NODE, { scope }, 'scope', String(scope));
    }
    case 'metric': {
      const metric = rng.chance(0.1) ? 0 : rng.int(1, 5000);
      return part('metric', ROUTE_NODE, { metric }, 'metric', String(metric));
    }
    case 'pref': {
      if (family !== 6) return undefined;
      const pref = rng.pick(['low', 'medium', 'high'] as const);
      return part('pref', ROUTE_NODE, { pref }, 'pref', pref);
    }
    case 'from': {
      if (family !== 6) return undefined;
      const from = randomPrefix(rng, 6, true, [48, 56, 64]);
      return part('from', ROUTE_NODE, { from }, 'from', from);
    }
    case 'src': {
      if (type !== 'unicast' && type !== 'local') return undefined;
      // A preferred source must be a local address; rarely not, which the kernel refuses.
      const src = rng.chance(0.9) ? rng.pick(LOCAL_ADDRESSES[family]) : family === 4 ? '10.254.0.1' : '2001:db8:fe::1';
      return part('src', ROUTE_INFO, { src }, 'src', src);
    }
    case 'realms': {
      if (family !== 4 || type !== 'unicast') return undefined;
      const realm = rng.int(1, 255);
      if (!rng.chance(0.5)) return part('realms', ROUTE_INFO, { realm }, 'realms', String(realm));
      const fromRealm = rng.int(1, 255);
      return part('realms', ROUTE_INFO, { realm, fromRealm }, 'realms', `${fromRealm}/${realm}`);
    }
    case 'metrics': {
      if (type !== 'unicast' && type !== 'local') return undefined;
      const metrics = randomMetrics(rng);
      return part('metrics', ROUTE_INFO, { metrics: metrics.value }, ...metrics.ip);
    }
    case 'path':
      return routePaths(rng, family, type);
    case 'dst':
      return routeDestination(rng, family, type, seen);
    default:
      return undefined;
  }
}

/** A route's type and destination, one part: ip wants the type just before the prefix. */
function routeDestination(rng: Random, family: 4 | 6, type: RouteTypeChoice, seen: Seen): Part<Route> {
  let dst: string;
  if (type === 'local' || type === 'broadcast' || type === 'anycast') {
    dst = rng.chance(0.8) ? randomPrefix(rng, family, true, family === 4 ? [32] : [128]) : randomPrefix(rng, family, true);
  } else if (type === 'multicast') {
    dst = family === 4 ? `239.${rng.int(0, 255)}.${rng.int(0, 255)}.0/24` : `ff0e:0:0:0:0:0:${rng.int(0, 0xffff).toString(16)}:0/112`;
  } else if (rng.chance(0.08)) {
    dst = 'default';
  } else {
    // Rarely with host bits set, which the kernel refuses for a route.
    dst = randomPrefix(rng, family, !rng.chance(0.03));
  }
  if (dst !== 'default') seen.prefixes.push({ family, prefix: dst });
  const spelled = type !== 'unicast' || rng.chance(0.15);
  return spelled ? part('dst', ROUTE_DST, { type, dst }, type, dst) : part('dst', ROUTE_DST, { dst }, dst);
}

/** A random route's parts (its type is its dst part's). */
function draftRoute(rng: Random, seen: Seen): Draft<Route> {
  const family: 4 | 6 = rng.chance(0.35) ? 6 : 4;
  const type = rng.weighted<RouteTypeChoice>([
    [70, 'unicast'], [5, 'local'], [5, 'blackhole'], [4, 'unreachable'], [3, 'prohibit'], [4, 'throw'],
    [family === 4 ? 1 : 0, 'broadcast'], [0.5, 'multicast'], [0.5, 'anycast'], [family === 4 ? 0.3 : 0, 'nat'],
  ]);
  const parts: Part<Route>[] = [routeDestination(rng, family, type, seen)];
  for (const [key, p] of [['tos', 0.05], ['table', 0.5], ['proto', 0.3], ['scope', 0.05], ['metric', 0.3], ['pref', 0.1], ['from', 0.05], ['path', 1], ['src', 0.15], ['realms', 0.05], ['metrics', 0.2]] as const) {
    if (!rng.chance(p)) continue;
    const piece = routePart(rng, key, family, type, seen);
    if (piece !== undefined) parts.push(piece);
  }
  return { family, parts };
}

function routeType(draft: Draft<Route>): RouteTypeChoice {
  return draft.parts.find((piece) => piece.key === 'dst')?.value.type ?? 'unicast';
}

/** A route put together, its family said where nothing else would say it. */
function finishRoute(rng: Random, draft: Draft<Route>): GeneratedObject {
  const { value, ip } = assemble(draft.parts);
  if (draft.family === 6 && (value.dst === 'default' || rng.chance(0.3))) value.family = 'inet6';
  // routemark takes a route's family from its gateway when nothing else says it (README: "the
  // gateway's family is the route's"): an IPv4 route to `default` via inet6 must say it is IPv4,
  // as ip must be told with -4.
  const firstGateway = value.gateway ?? value.nexthops?.find((path) => path.gateway !== undefined)?.gateway;
  if (draft.family === 4 && value.dst === 'default' && (firstGateway?.includes(':') || rng.chance(0.3))) value.family = 'inet';
  return { kind: 'route', family: draft.family, value, ip: [draft.family === 6 ? '-6' : '-4', 'route', 'add', ...ip] };
}

/**
 * A seed's objects: rules and routes mixed, in the order both sides add them, a quarter of them
 * variants of earlier ones; and what they select, for the packets.
 */
export function generateObjects(seed: number, count: number): { objects: GeneratedObject[]; seen: Seen } {
  const rng = new Random(seed);
  const seen: Seen = { prefixes: [], marks: [], uids: [], ports: [] };
  const rules: Draft<Rule>[] = [];
  const routes: Draft<Route>[] = [];
  const objects: GeneratedObject[] = [];
  for (let i = 0; i < count; i++) {
    if (rng.chance(0.5)) {
      let draft: Draft<Rule>;
      if (rules.length > 0 && rng.chance(0.25)) {
        const base = rng.pick(rules);
        draft = variant(rng, base, (key) => rulePart(rng, key, base.family, seen), RULE_OPTIONAL);
      } else {
        draft = draftRule(rng, seen);
      }
      rules.push(draft);
      objects.push(finishRule(rng, draft));
    } else {
      let draft: Draft<Route>;
      if (routes.length > 0 && rng.chance(0.25)) {
        const base = rng.pick(routes);
        draft = variant(rng, base, (key) => routePart(rng, key, base.family, routeType(base), seen), ROUTE_OPTIONAL);
      } else {
        draft = draftRoute(rng, seen);
      }
      routes.push(draft);
      objects.push(finishRoute(rng, draft));
    }
  }
  return { objects, seen };
}

// ---------------------------------------------------------------------------------------------
// Packets

/** A random packet (`ip route get ...`) aimed mostly at what the objects select. */
export function generateQuery(rng: Random, seen: Seen): GeneratedQuery {
  const family: 4 | 6 = rng.chance(0.35) ? 6 : 4;
  const mine = seen.prefixes.filter((p) => p.family === family);
  const to = rng.weighted<() => string>([
    [6, () => (mine.length > 0 ? addressIn(rng, family, rng.pick(mine).prefix) : formatV4(randomV4(rng)))],
    [2, () => rng.pick(family === 4 ? ['192.0.2.1', '192.0.2.99', '198.51.100.50', '192.0.2.2'] : ['2001:db8::1', '2001:db8:1::99', '2001:db8::2'])],
    [2, () => (family === 4 ? formatV4(randomV4(rng)) : formatV6(randomV6(rng)))],
  ])();
  const value: RouteQuery = { to };
  const ip = ['route', 'get', to];
  const forwarded = rng.chance(0.15);
  if (forwarded) {
    // As a packet arriving on a device, from a source a rule may select.
    value.from = mine.length > 0 && rng.chance(0.7) ? addressIn(rng, family, rng.pick(mine).prefix) : family === 4 ? '203.0.113.9' : '2001:db8:abcd::9';
    value.iif = rng.pick(['v0', 'v2', 'v1']);
    ip.push('from', value.from, 'iif', value.iif);
  } else if (rng.chance(0.2)) {
    value.from = rng.pick(LOCAL_ADDRESSES[family]);
    ip.push('from', value.from);
  }
  if (!forwarded && rng.chance(0.05)) {
    value.oif = rng.pick(DEVICES);
    ip.push('oif', value.oif);
  }
  if (rng.chance(0.3)) {
    value.mark = seen.marks.length > 0 && rng.chance(0.8) ? rng.pick(seen.marks) : rng.int(1, 0xffff);
    ip.push('mark', String(value.mark));
  }
  if (rng.chance(0.2)) {
    value.uid = seen.uids.length > 0 && rng.chance(0.8) ? rng.pick(seen.uids) : rng.int(0, 5000);
    ip.push('uid', String(value.uid));
  }
  if (rng.chance(0.05)) {
    value.ipproto = family === 4 ? 'icmp' : 'ipv6-icmp';
    ip.push('ipproto', value.ipproto);
  } else if (rng.chance(0.3)) {
    value.ipproto = rng.pick(['tcp', 'udp'] as const);
    ip.push('ipproto', value.ipproto);
    const port = () => (seen.ports.length > 0 && rng.chance(0.7) ? Math.min(65535, rng.pick(seen.ports)) : rng.int(1, 65535));
    if (rng.chance(0.6)) {
      value.sport = port();
      ip.push('sport', String(value.sport));
    }
    if (rng.chance(0.8)) {
      value.dport = port();
      ip.push('dport', String(value.dport));
    }
  }
  if (family === 4 && rng.chance(0.1)) {
    value.tos = rng.pick([0x04, 0x08, 0x10, 0x18, 0x20, 0x28, 0xb8]);
    ip.push('tos', hex(value.tos));
  }
  return { family, value, ip };
}

/** A seed's packets (from a PRNG of their own, so that changing the count of one changes nothing else). */
export function generateQueries(seed: number, count: number, seen: Seen): GeneratedQuery[] {
  const rng = new Random(seed ^ 0x5bd1e995);
  return Array.from({ length: count }, () => generateQuery(rng, seen));
}
