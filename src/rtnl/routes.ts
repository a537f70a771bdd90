import { type FamilyName, familyName, formatAddress, formatPrefix, parseAddress, parsePrefix, type IpAddress, type IpPrefix } from '../common/ip.js';
import { integerInRange, interfaceName, knownKeys, plainObject, u32 } from '../common/validate.js';
import type { MessageWriter } from '../netlink/attributes.js';
import { ValidationError } from '../netlink/errors.js';
import { NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST } from '../netlink/constants.js';
import { messageAttributes, payloadStart, type NetlinkMessage } from '../netlink/message.js';
import {
  AF_INET,
  AF_INET6,
  RTA_DST,
  RTA_GATEWAY,
  RTA_OIF,
  RTA_PREFSRC,
  RTA_PRIORITY,
  RTA_TABLE,
  RTMSG_LEN,
  RTM_DELROUTE,
  RTM_NEWROUTE,
  RTN_ANYCAST,
  RTN_BLACKHOLE,
  RTN_BROADCAST,
  RTN_LOCAL,
  RTN_MULTICAST,
  RTN_NAT,
  RTN_PROHIBIT,
  RTN_THROW,
  RTN_UNICAST,
  RTN_UNREACHABLE,
  RTN_UNSPEC,
  RTN_XRESOLVE,
  RTPROT_BOOT,
  RT_SCOPE_HOST,
  RT_SCOPE_LINK,
  RT_SCOPE_NOWHERE,
  RT_SCOPE_SITE,
  RT_SCOPE_UNIVERSE,
  RT_TABLE_MAIN,
  RT_TABLE_UNSPEC,
} from './constants.js';

/** Route types (`ip route add TYPE ...`). */
export type RouteType =
  | 'unicast' | 'local' | 'broadcast' | 'anycast' | 'multicast'
  | 'blackhole' | 'unreachable' | 'prohibit' | 'throw' | 'nat' | 'xresolve';

/** Route scopes, with the names `ip` prints ('global' is RT_SCOPE_UNIVERSE). */
export type RouteScope = 'global' | 'site' | 'link' | 'host' | 'nowhere';

/** Well-known route protocols (rtm_protocol), as `ip` names them. */
export type RouteProtocolName = 'unspec' | 'redirect' | 'kernel' | 'boot' | 'static' | 'dhcp' | 'ra';

/**
 * A route (`ip route`). Absent fields are `undefined`.
 */
export interface Route {
  /** 'inet' or 'inet6'; taken from dst or gateway when absent, else 'inet'. */
  family?: FamilyName;
  /** Destination: a prefix (`10.0.0.0/8`, a bare address is a host route) or `'default'`. */
  dst?: string;
  /** Next-hop gateway (`via 192.0.2.1`). */
  gateway?: string;
  /** Output interface name (`dev v0`). */
  dev?: string;
  /** Preferred source address (`src 192.0.2.2`). */
  src?: string;
  /** Routing table id (`table 1`); ids above 255 work. Default: main (254). */
  table?: number;
  /** Route metric / priority (`metric 10`). */
  metric?: number;
  /** Who installed it (`proto`); a name or a number 0..255. Default on add: 'boot', as ip does. */
  protocol?: RouteProtocolName | number;
  /** Scope; on add, 'link' for routes without a gateway and 'global' otherwise, as ip does. */
  scope?: RouteScope | number;
  /** Route type; default 'unicast'. */
  type?: RouteType;
}

const ROUTE_KEYS: ReadonlySet<string> = new Set([
  'family', 'dst', 'gateway', 'dev', 'src', 'table', 'metric', 'protocol', 'scope', 'type',
]);

const TYPE_CODES: Record<RouteType, number> = {
  unicast: RTN_UNICAST, local: RTN_LOCAL, broadcast: RTN_BROADCAST, anycast: RTN_ANYCAST,
  multicast: RTN_MULTICAST, blackhole: RTN_BLACKHOLE, unreachable: RTN_UNREACHABLE,
  prohibit: RTN_PROHIBIT, throw: RTN_THROW, nat: RTN_NAT, xresolve: RTN_XRESOLVE,
};
const TYPE_NAMES = new Map<number, RouteType>(Object.entries(TYPE_CODES).map(([k, v]) => [v, k as RouteType]));

const SCOPE_CODES: Record<RouteScope, number> = {
  global: RT_SCOPE_UNIVERSE, site: RT_SCOPE_SITE, link: RT_SCOPE_LINK, host: RT_SCOPE_HOST, nowhere: RT_SCOPE_NOWHERE,
};
const SCOPE_NAMES = new Map<number, RouteScope>(Object.entries(SCOPE_CODES).map(([k, v]) => [v, k as RouteScope]));

const PROTOCOL_CODES: Record<RouteProtocolName, number> = {
  unspec: 0, redirect: 1, kernel: 2, boot: 3, static: 4, ra: 9, dhcp: 16,
};
const PROTOCOL_NAMES = new Map<number, RouteProtocolName>(Object.entries(PROTOCOL_CODES).map(([k, v]) => [v, k as RouteProtocolName]));

/** A route checked and converted to kernel values; `dev` still needs its ifindex. */
export interface ResolvedRoute {
  family: number;
  dst: IpPrefix | undefined;
  dstLength: number;
  gateway?: IpAddress;
  dev?: string;
  src?: IpAddress;
  table: number;
  metric?: number;
  protocol: number;
  scope: number;
  type: number;
}

/** Whether a route operation is an add/replace (ip's defaults apply) or a delete. */
export type RouteIntent = 'add' | 'delete';

function codeOf<K extends string>(codes: Record<K, number>, value: unknown, field: string, allowNumber: boolean): number {
  if (typeof value === 'string' && Object.prototype.hasOwnProperty.call(codes, value)) return codes[value as K];
  if (allowNumber && typeof value === 'number') return integerInRange(value, field, 0, 255);
  throw new ValidationError(field, value, `expected one of ${Object.keys(codes).join(', ')}${allowNumber ? ' or 0..255' : ''}`);
}

/** Checks a route and converts it to kernel values, with `ip route`'s defaults for the intent. */
export function resolveRoute(input: Route, field = 'route', intent: RouteIntent = 'add'): ResolvedRoute {
  const route = plainObject(input, field) as Route;
  knownKeys(route as Record<string, unknown>, field, ROUTE_KEYS);
  let family: 4 | 6 | undefined;
  if (route.family !== undefined) {
    if (route.family !== 'inet' && route.family !== 'inet6') throw new ValidationError(`${field}.family`, route.family, "expected 'inet' or 'inet6'");
    family = route.family === 'inet' ? 4 : 6;
  }
  let dst: IpPrefix | undefined;
  if (route.dst !== undefined && route.dst !== 'default') {
    dst = parsePrefix(route.dst, `${field}.dst`, family);
    family ??= dst.family;
  }
  const gateway = route.gateway !== undefined ? parseAddress(route.gateway, `${field}.gateway`, family) : undefined;
  family ??= gateway?.family;
  const src = route.src !== undefined ? parseAddress(route.src, `${field}.src`, family) : undefined;
  family ??= src?.family ?? 4;

  const type = route.type !== undefined ? codeOf(TYPE_CODES, route.type, `${field}.type`, false) : intent === 'add' ? RTN_UNICAST : RTN_UNSPEC;
  let scope: number;
  if (route.scope !== undefined) {
    scope = route.scope === ('universe' as RouteScope) ? RT_SCOPE_UNIVERSE : codeOf(SCOPE_CODES, route.scope, `${field}.scope`, true);
  } else if (intent === 'delete') {
    scope = RT_SCOPE_NOWHERE;
  } else if (type === RTN_LOCAL || type === RTN_NAT) {
    scope = RT_SCOPE_HOST;
  } else if (type === RTN_BROADCAST || type === RTN_MULTICAST || type === RTN_ANYCAST) {
    scope = RT_SCOPE_LINK;
  } else if ((type === RTN_UNICAST || type === RTN_UNSPEC) && gateway === undefined) {
    scope = RT_SCOPE_LINK;
  } else {
    scope = RT_SCOPE_UNIVERSE;
  }
  const protocol = route.protocol !== undefined
    ? codeOf(PROTOCOL_CODES, route.protocol, `${field}.protocol`, true)
    : intent === 'add' ? RTPROT_BOOT : 0;
  const resolved: ResolvedRoute = {
    family: family === 4 ? AF_INET : AF_INET6,
    dst,
    dstLength: dst?.length ?? 0,
    table: route.table !== undefined ? u32(route.table, `${field}.table`) : RT_TABLE_MAIN,
    protocol,
    scope,
    type,
  };
  if (resolved.table === RT_TABLE_UNSPEC) throw new ValidationError(`${field}.table`, route.table, 'table 0 is not a table');
  if (gateway) resolved.gateway = gateway;
  if (src) resolved.src = src;
  if (route.dev !== undefined) resolved.dev = interfaceName(route.dev, `${field}.dev`);
  if (route.metric !== undefined) resolved.metric = u32(route.metric, `${field}.metric`);
  return resolved;
}

/**
 * Writes a route message body (struct rtmsg and attributes) in the order iproute2 uses for
 * `ip route add PREFIX via GW src ADDR table T metric M dev DEV`, so that the bytes equal those
 * of the equivalent `ip` command. `ifindex` is the index of `route.dev`.
 */
export function encodeRoute(writer: MessageWriter, route: ResolvedRoute, ifindex: number | undefined): void {
  const smallTable = route.table < 256;
  writer.u8(route.family);
  writer.u8(route.dstLength);
  writer.u8(0); // src_len
  writer.u8(0); // tos
  writer.u8(smallTable ? route.table : RT_TABLE_UNSPEC);
  writer.u8(route.protocol);
  writer.u8(route.scope);
  writer.u8(route.type);
  writer.u32(0); // flags
  if (route.dst && route.dstLength > 0) writer.attrBytes(RTA_DST, route.dst.bytes);
  if (route.gateway) writer.attrBytes(RTA_GATEWAY, route.gateway.bytes);
  if (route.src) writer.attrBytes(RTA_PREFSRC, route.src.bytes);
  if (!smallTable) writer.attrU32(RTA_TABLE, route.table);
  if (route.metric !== undefined) writer.attrU32(RTA_PRIORITY, route.metric);
  if (ifindex !== undefined) writer.attrU32(RTA_OIF, ifindex);
}

/** Message type and flags of each route request, as `ip route` sends them (NLM_F_ACK aside). */
export const ROUTE_REQUESTS = {
  add: { type: RTM_NEWROUTE, flags: NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL },
  delete: { type: RTM_DELROUTE, flags: NLM_F_REQUEST },
} as const;

/** Filters the kernel applies to a route dump (with NETLINK_GET_STRICT_CHK). */
export interface RouteDumpFilter {
  family: number;
  table?: number;
  protocol?: number;
  type?: number;
  ifindex?: number;
}

/** Writes a route dump request; the kernel filters by table, protocol, type and oif. */
export function encodeRouteDumpRequest(writer: MessageWriter, filter: RouteDumpFilter): void {
  writer.u8(filter.family);
  writer.u8(0);
  writer.u8(0);
  writer.u8(0);
  writer.u8(0); // table: sent as RTA_TABLE so that ids above 255 work
  writer.u8(filter.protocol ?? 0);
  writer.u8(0);
  writer.u8(filter.type ?? 0);
  writer.u32(0);
  if (filter.table !== undefined) writer.attrU32(RTA_TABLE, filter.table);
  if (filter.ifindex !== undefined) writer.attrU32(RTA_OIF, filter.ifindex);
}

/** Decodes an RTM_NEWROUTE message. `linkName` maps an ifindex to its name. */
export function decodeRoute(message: NetlinkMessage, linkName: (ifindex: number) => string | undefined): Route {
  const data = message.data;
  const base = payloadStart(message);
  const family = data[base]!;
  const dstLength = data[base + 1]!;
  const headerTable = data[base + 4]!;
  const protocol = data[base + 5]!;
  const scope = data[base + 6]!;
  const type = data[base + 7]!;
  const attrs = messageAttributes(message, RTMSG_LEN);
  const route: Route = { family: familyName(family === AF_INET6 ? 6 : 4) };
  const dst = attrs.bytes(RTA_DST);
  route.dst = dst ? formatPrefix(dst, dstLength) : dstLength === 0 ? 'default' : undefined;
  const gateway = attrs.bytes(RTA_GATEWAY);
  if (gateway) route.gateway = formatAddress(gateway);
  const oif = attrs.u32(RTA_OIF);
  if (oif !== undefined) {
    const name = linkName(oif);
    if (name !== undefined) route.dev = name;
  }
  const src = attrs.bytes(RTA_PREFSRC);
  if (src) route.src = formatAddress(src);
  route.table = attrs.u32(RTA_TABLE) ?? headerTable;
  const metric = attrs.u32(RTA_PRIORITY);
  if (metric !== undefined) route.metric = metric;
  route.protocol = PROTOCOL_NAMES.get(protocol) ?? protocol;
  route.scope = SCOPE_NAMES.get(scope) ?? scope;
  const typeName = TYPE_NAMES.get(type);
  if (typeName) route.type = typeName;
  return route;
}
