/**
 * Names `ip` prints for numeric rtnetlink fields (route protocols, IP protocols), and helpers
 * that accept a name or a number and decode back to the name where one is known.
 */
import { integerInRange } from '../common/validate.js';
import { ValidationError } from '../netlink/errors.js';

/** Well-known route and rule protocols (rtm_protocol, FRA_PROTOCOL), as `ip` names them. */
export type RouteProtocolName =
  | 'unspec' | 'redirect' | 'kernel' | 'boot' | 'static' | 'gated' | 'ra' | 'mrt' | 'zebra' | 'bird'
  | 'dnrouted' | 'xorp' | 'ntk' | 'dhcp' | 'keepalived' | 'babel' | 'openr' | 'bgp' | 'isis' | 'ospf'
  | 'rip' | 'eigrp';

/** iproute2's built-in protocol table (lib/rt_names.c), values from linux/rtnetlink.h RTPROT_*. */
export const PROTOCOL_CODES: Readonly<Record<RouteProtocolName, number>> = {
  unspec: 0, // RTPROT_UNSPEC
  redirect: 1, // RTPROT_REDIRECT
  kernel: 2, // RTPROT_KERNEL
  boot: 3, // RTPROT_BOOT
  static: 4, // RTPROT_STATIC
  gated: 8, // RTPROT_GATED
  ra: 9, // RTPROT_RA
  mrt: 10, // RTPROT_MRT
  zebra: 11, // RTPROT_ZEBRA
  bird: 12, // RTPROT_BIRD
  dnrouted: 13, // RTPROT_DNROUTED
  xorp: 14, // RTPROT_XORP
  ntk: 15, // RTPROT_NTK
  dhcp: 16, // RTPROT_DHCP
  keepalived: 18, // RTPROT_KEEPALIVED
  babel: 42, // RTPROT_BABEL
  openr: 99, // RTPROT_OPENR
  bgp: 186, // RTPROT_BGP
  isis: 187, // RTPROT_ISIS
  ospf: 188, // RTPROT_OSPF
  rip: 189, // RTPROT_RIP
  eigrp: 192, // RTPROT_EIGRP
};

/** IP protocols by the names /etc/protocols gives them (what `ip -j` prints for ipproto). */
export type IpProtocolName = 'icmp' | 'igmp' | 'tcp' | 'udp' | 'gre' | 'esp' | 'ah' | 'ipv6-icmp' | 'sctp' | 'udplite';

export const IP_PROTOCOL_CODES: Readonly<Record<IpProtocolName, number>> = {
  icmp: 1, // IPPROTO_ICMP
  igmp: 2, // IPPROTO_IGMP
  tcp: 6, // IPPROTO_TCP
  udp: 17, // IPPROTO_UDP
  gre: 47, // IPPROTO_GRE
  esp: 50, // IPPROTO_ESP
  ah: 51, // IPPROTO_AH
  'ipv6-icmp': 58, // IPPROTO_ICMPV6
  sctp: 132, // IPPROTO_SCTP
  udplite: 136, // IPPROTO_UDPLITE
};

/** Name by code, for a table of codes by name. */
export function reverse<K extends string>(codes: Readonly<Record<K, number>>): Map<number, K> {
  return new Map(Object.entries(codes).map(([name, code]) => [code as number, name as K]));
}

const PROTOCOL_NAMES = reverse(PROTOCOL_CODES);
const IP_PROTOCOL_NAMES = reverse(IP_PROTOCOL_CODES);

/**
 * A code from a name in `codes` or, unless `max` is null, a number 0..max; a ValidationError
 * naming `field` otherwise.
 */
export function codeOf<K extends string>(codes: Readonly<Record<K, number>>, value: unknown, field: string, max: number | null = 255): number {
  if (typeof value === 'string' && Object.prototype.hasOwnProperty.call(codes, value)) return codes[value as K];
  if (typeof value === 'number' && max !== null) return integerInRange(value, field, 0, max);
  throw new ValidationError(field, value, `expected one of ${Object.keys(codes).join(', ')}${max === null ? '' : ` or a number 0..${max}`}`);
}

/** A route/rule protocol from a name or a number. */
export function protocolCode(value: unknown, field: string): number {
  return codeOf(PROTOCOL_CODES, value, field);
}

/** The name `ip` prints for a protocol number, or the number. */
export function protocolName(code: number): RouteProtocolName | number {
  return PROTOCOL_NAMES.get(code) ?? code;
}

/** An IP protocol number from a name or a number. */
export function ipProtocolCode(value: unknown, field: string): number {
  if (value === 'icmpv6') return IP_PROTOCOL_CODES['ipv6-icmp'];
  return codeOf(IP_PROTOCOL_CODES, value, field);
}

/** The /etc/protocols name of an IP protocol number, or the number. */
export function ipProtocolName(code: number): IpProtocolName | number {
  return IP_PROTOCOL_NAMES.get(code) ?? code;
}

/** A port, or an inclusive range of ports: `443`, `{ start: 1000, end: 2000 }` or `'1000-2000'`. */
export type PortRange = number | { start: number; end: number } | string;

/** One user id, or an inclusive range: `469`, `{ start: 469, end: 469 }` or `'469-469'`. */
export type UidRange = number | { start: number; end: number } | string;

/**
 * Checks a single value or an inclusive {start, end} range within [min, max], start <= end.
 * Returns [start, end].
 */
export function range(value: unknown, field: string, min: number, max: number, what: string): [number, number] {
  if (typeof value === 'string') {
    const match = /^(\d{1,10})(?:-(\d{1,10}))?$/.exec(value);
    if (!match) throw new ValidationError(field, value, `expected ${what} or a range such as 1000-2000`);
    const start = Number(match[1]);
    const end = match[2] === undefined ? start : Number(match[2]);
    if (start < min || start > max || end < min || end > max) throw new ValidationError(field, value, `expected ${what} in ${min}..${max}`);
    if (start > end) throw new ValidationError(field, value, 'range start must not exceed its end');
    return [start, end];
  }
  if (typeof value === 'number') {
    integerInRange(value, field, min, max, what);
    return [value, value];
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const { start, end } = value as { start?: unknown; end?: unknown };
    integerInRange(start, `${field}.start`, min, max, what);
    integerInRange(end, `${field}.end`, min, max, what);
    if ((start as number) > (end as number)) throw new ValidationError(field, value, 'range start must not exceed its end');
    const keys = Object.keys(value);
    if (keys.some((k) => k !== 'start' && k !== 'end')) throw new ValidationError(field, value, 'expected { start, end }');
    return [start as number, end as number];
  }
  throw new ValidationError(field, value, `expected ${what} or { start, end }`);
}

/** The inverse of {@link range}: a number when start equals end. */
export function rangeValue(start: number, end: number): number | { start: number; end: number } {
  return start === end ? start : { start, end };
}

/** Route and address scopes, with the names `ip` prints ('global' is RT_SCOPE_UNIVERSE). */
export type RouteScope = 'global' | 'site' | 'link' | 'host' | 'nowhere';

const SCOPE_CODES: Readonly<Record<RouteScope, number>> = {
  global: 0, // RT_SCOPE_UNIVERSE
  site: 200, // RT_SCOPE_SITE
  link: 253, // RT_SCOPE_LINK
  host: 254, // RT_SCOPE_HOST
  nowhere: 255, // RT_SCOPE_NOWHERE
};
const SCOPE_NAMES = reverse(SCOPE_CODES);

/** A scope from a name ('universe' too, as ip accepts it) or a number 0..255. */
export function scopeCode(value: unknown, field: string): number {
  if (value === 'universe') return SCOPE_CODES.global;
  return codeOf(SCOPE_CODES, value, field);
}

/** The name `ip` prints for a scope, or the number. */
export function scopeName(code: number): RouteScope | number {
  return SCOPE_NAMES.get(code) ?? code;
}
