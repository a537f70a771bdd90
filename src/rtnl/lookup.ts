/**
 * Route lookups (RTM_GETROUTE for one packet, like `ip route get`): which route, device,
 * gateway and source a packet with the given addresses, mark, uid, protocol and ports would use.
 */
import { type FamilyName, familyName, formatAddress, parseAddress, type IpAddress } from '../common/ip.js';
import { integerInRange, interfaceLookupName, knownKeys, plainObject, u32 } from '../common/validate.js';
import type { MessageWriter } from '../netlink/attributes.js';
import { ValidationError } from '../netlink/errors.js';
import { messageAttributes, payloadStart, type NetlinkMessage } from '../netlink/message.js';
import {
  FLOWLABEL_BITS,
  AF_INET,
  AF_INET6,
  RTA_DPORT,
  RTA_DST,
  RTA_FLOWLABEL,
  RTA_IIF,
  RTA_IP_PROTO,
  RTA_MARK,
  RTA_OIF,
  RTA_PREFSRC,
  RTA_PRIORITY,
  RTA_SPORT,
  RTA_SRC,
  RTA_TABLE,
  RTA_UID,
  RTMSG_LEN,
  RTM_F_FIB_MATCH,
  RTM_F_LOOKUP_TABLE,
} from './constants.js';
import { IP_PROTOCOL_CODES, type IpProtocolName, ipProtocolCode } from './names.js';
import { decodeGateway, linkAttribute, type RouteType } from './routes.js';
import type { TableRef } from './tables.js';

/** The packet to look a route up for (`ip route get TO from FROM iif I mark M uid U ...`). */
export interface RouteQuery {
  /** Destination address (`ip route get TO`). */
  to: string;
  /** Source address (`from`). */
  from?: string;
  /** Incoming interface (`iif`), its name or an altname: the lookup is made as for a forwarded packet. */
  iif?: string;
  /** Outgoing interface the socket is bound to (`oif`), its name or an altname. */
  oif?: string;
  /** Firewall mark (`mark`). */
  mark?: number;
  /** User id of the sending socket (`uid`). */
  uid?: number;
  /**
   * IP protocol (`ipproto tcp`): the kernel's lookup takes only tcp, udp, and icmp for an IPv4
   * destination or ipv6-icmp for an IPv6 one (by name or number).
   */
  ipproto?: IpProtocolName | number;
  /** Source port (`sport`). */
  sport?: number;
  /** Destination port (`dport`). */
  dport?: number;
  /** Type of service (`tos`). */
  tos?: number;
  /** IPv6: the packet's flow label, 0..0xfffff (RTA_FLOWLABEL; kernel 6.14), for rules that match it. */
  flowlabel?: number;
}

/** What `routes.get` answers: the route the kernel chose for the packet. */
export interface RouteLookup {
  family: FamilyName;
  /** The destination asked about. */
  dst: string;
  /** The source asked about, if one was given. */
  from?: string;
  /** The route type: 'unicast', 'local', 'blackhole', 'unreachable', ... */
  type: RouteType | number;
  /** The table the route was found in. */
  table: TableRef;
  /** The next hop, if not on-link. */
  gateway?: string;
  /** The output device. */
  dev?: string;
  /** The incoming interface, when asked as forwarded. */
  iif?: string;
  /** The source address the kernel would pick (`prefsrc`). */
  src?: string;
  /** The route's metric, if it has one. */
  metric?: number;
  /** The mark used, as the kernel echoes it. */
  mark?: number;
  /** The uid used, as the kernel echoes it. */
  uid?: number;
}

const QUERY_KEYS: ReadonlySet<string> = new Set(['to', 'from', 'iif', 'oif', 'mark', 'uid', 'ipproto', 'sport', 'dport', 'tos', 'flowlabel']);

/** A query checked and converted; interface names still need their indexes. */
export interface ResolvedRouteQuery {
  family: number;
  to: IpAddress;
  from?: IpAddress;
  iif?: string;
  oif?: string;
  mark?: number;
  uid?: number;
  ipproto?: number;
  sport?: number;
  dport?: number;
  tos: number;
  flowlabel?: number;
}

/**
 * The IP protocol of a lookup, by name or number. The kernel's RTM_GETROUTE
 * (rtm_getroute_parse_ip_proto) takes only tcp and udp, and icmp for IPv4 or ipv6-icmp for
 * IPv6, and refuses any other with EOPNOTSUPP ("Unsupported ip proto"), always.
 */
function lookupProtocol(value: unknown, field: string, family: 4 | 6): number {
  const code = ipProtocolCode(value, field);
  const icmp = family === 4 ? IP_PROTOCOL_CODES.icmp : IP_PROTOCOL_CODES['ipv6-icmp'];
  if (code !== IP_PROTOCOL_CODES.tcp && code !== IP_PROTOCOL_CODES.udp && code !== icmp) {
    throw new ValidationError(field, value, `the kernel's route lookup takes only tcp, udp or ${family === 4 ? 'icmp' : 'ipv6-icmp'} for an IPv${family} destination`);
  }
  return code;
}

/** Checks a route query; a ValidationError naming the field otherwise. */
export function resolveRouteQuery(input: RouteQuery, field = 'query'): ResolvedRouteQuery {
  const query = plainObject(input, field) as unknown as RouteQuery;
  knownKeys(query as unknown as Record<string, unknown>, field, QUERY_KEYS);
  const to = parseAddress(query.to, `${field}.to`);
  const resolved: ResolvedRouteQuery = {
    family: to.family === 4 ? AF_INET : AF_INET6,
    to,
    tos: query.tos !== undefined ? integerInRange(query.tos, `${field}.tos`, 0, 255) : 0,
  };
  if (query.from !== undefined) resolved.from = parseAddress(query.from, `${field}.from`, to.family);
  // Links are looked up by these names (an altname too) before the query is sent.
  if (query.iif !== undefined) resolved.iif = interfaceLookupName(query.iif, `${field}.iif`);
  if (query.oif !== undefined) resolved.oif = interfaceLookupName(query.oif, `${field}.oif`);
  if (query.mark !== undefined) resolved.mark = u32(query.mark, `${field}.mark`);
  if (query.uid !== undefined) resolved.uid = integerInRange(query.uid, `${field}.uid`, 0, 0xfffffffe, 'a user id');
  if (query.ipproto !== undefined) resolved.ipproto = lookupProtocol(query.ipproto, `${field}.ipproto`, to.family);
  if (query.sport !== undefined) resolved.sport = integerInRange(query.sport, `${field}.sport`, 0, 65535, 'a port');
  if (query.dport !== undefined) resolved.dport = integerInRange(query.dport, `${field}.dport`, 0, 65535, 'a port');
  if ((resolved.sport !== undefined || resolved.dport !== undefined) && resolved.ipproto === undefined) {
    throw new ValidationError(`${field}.ipproto`, undefined, 'ports need ipproto (tcp or udp)');
  }
  if (query.flowlabel !== undefined) {
    if (to.family !== 6) throw new ValidationError(`${field}.flowlabel`, query.flowlabel, 'a flow label needs an IPv6 destination');
    resolved.flowlabel = integerInRange(query.flowlabel, `${field}.flowlabel`, 0, FLOWLABEL_BITS);
  }
  return resolved;
}

/**
 * Writes an RTM_GETROUTE request for one packet, in the order of `ip route get TO from F uid U
 * ipproto P sport S dport D iif I oif O mark M`. `fibMatch` asks for the FIB entry that matched
 * (`ip route get fibmatch`) instead of the resulting route.
 */
export function encodeRouteQuery(writer: MessageWriter, query: ResolvedRouteQuery, ifindex: (name: string) => number | undefined, fibMatch = false): void {
  const bits = query.family === AF_INET ? 32 : 128;
  writer.u8(query.family);
  writer.u8(bits); // dst_len
  writer.u8(query.from ? bits : 0); // src_len
  writer.u8(query.tos);
  writer.u8(0); // table
  writer.u8(0); // protocol
  writer.u8(0); // scope
  writer.u8(0); // type
  // IPv4 reports the table it found the route in only when asked; IPv6 always does, and refuses the flag.
  writer.u32((fibMatch ? RTM_F_FIB_MATCH : 0) | (query.family === AF_INET ? RTM_F_LOOKUP_TABLE : 0));
  writer.attrBytes(RTA_DST, query.to.bytes);
  if (query.from) writer.attrBytes(RTA_SRC, query.from.bytes);
  if (query.uid !== undefined) writer.attrU32(RTA_UID, query.uid);
  if (query.ipproto !== undefined) writer.attrU8(RTA_IP_PROTO, query.ipproto);
  if (query.sport !== undefined) writer.attrBe16(RTA_SPORT, query.sport);
  if (query.dport !== undefined) writer.attrBe16(RTA_DPORT, query.dport);
  if (query.iif !== undefined) writer.attrU32(RTA_IIF, ifindex(query.iif) ?? 0);
  if (query.oif !== undefined) writer.attrU32(RTA_OIF, ifindex(query.oif) ?? 0);
  if (query.mark !== undefined) writer.attrU32(RTA_MARK, query.mark);
  if (query.flowlabel !== undefined) writer.attrBe32(RTA_FLOWLABEL, query.flowlabel);
}

const TYPE_NAMES: ReadonlyArray<RouteType | undefined> = [
  undefined, 'unicast', 'local', 'broadcast', 'anycast', 'multicast', 'blackhole', 'unreachable', 'prohibit', 'throw', 'nat', 'xresolve',
];

/** Decodes the kernel's answer to a lookup (an RTM_NEWROUTE for the packet). */
export function decodeRouteLookup(message: NetlinkMessage, linkName: (ifindex: number) => string | undefined, tableName?: (id: number) => TableRef): RouteLookup {
  const data = message.data;
  const base = payloadStart(message);
  const family = data[base]!;
  const headerTable = data[base + 4]!;
  const type = data[base + 7]!;
  const attrs = messageAttributes(message, RTMSG_LEN);
  const table = attrs.u32(RTA_TABLE) ?? headerTable;
  const dst = attrs.bytes(RTA_DST);
  const lookup: RouteLookup = {
    family: familyName(family === AF_INET6 ? 6 : 4),
    dst: dst ? formatAddress(dst) : '',
    type: TYPE_NAMES[type] ?? type,
    table: tableName ? tableName(table) : table,
  };
  const from = attrs.bytes(RTA_SRC);
  if (from && !from.every((b) => b === 0)) lookup.from = formatAddress(from);
  const gateway = decodeGateway(attrs);
  if (gateway !== undefined) lookup.gateway = gateway;
  const dev = linkAttribute(attrs, RTA_OIF, linkName);
  if (dev !== undefined) lookup.dev = dev;
  const iif = linkAttribute(attrs, RTA_IIF, linkName);
  if (iif !== undefined) lookup.iif = iif;
  const prefsrc = attrs.bytes(RTA_PREFSRC);
  if (prefsrc) lookup.src = formatAddress(prefsrc);
  for (const [type, key] of [[RTA_PRIORITY, 'metric'], [RTA_MARK, 'mark'], [RTA_UID, 'uid']] as const) {
    const value = attrs.u32(type);
    if (value !== undefined) lookup[key] = value;
  }
  return lookup;
}
