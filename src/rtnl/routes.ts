import { type FamilyName, familyName, formatAddress, formatPrefix, parseAddress, parsePrefix, type IpAddress, type IpPrefix } from '../common/ip.js';
import { deviceName, integerInRange, knownKeys, optionalBoolean, plainObject, u32, type DeviceNaming } from '../common/validate.js';
import { HOST_IS_LITTLE_ENDIAN, type Attributes, type MessageWriter } from '../netlink/attributes.js';
import { ValidationError } from '../netlink/errors.js';
import { NLM_F_APPEND, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE, NLM_F_REQUEST } from '../netlink/constants.js';
import { messageAttributes, payloadStart, type NetlinkMessage } from '../netlink/message.js';
import {
  AF_INET,
  AF_INET6,
  RTAX_ADVMSS,
  RTAX_CC_ALGO,
  RTAX_CWND,
  RTAX_FASTOPEN_NO_COOKIE,
  RTAX_FEATURES,
  RTAX_HOPLIMIT,
  RTAX_INITCWND,
  RTAX_INITRWND,
  RTAX_LOCK,
  RTAX_MTU,
  RTAX_QUICKACK,
  RTAX_REORDERING,
  RTAX_RTO_MIN,
  RTAX_RTT,
  RTAX_RTTVAR,
  RTAX_SSTHRESH,
  RTAX_WINDOW,
  RTA_CACHEINFO,
  RTA_DST,
  RTA_EXPIRES,
  RTA_FLOW,
  RTA_GATEWAY,
  RTA_METRICS,
  RTA_MULTIPATH,
  RTA_NH_ID,
  RTA_OIF,
  RTA_PREF,
  RTA_PREFSRC,
  RTA_PRIORITY,
  RTA_SRC,
  RTA_TABLE,
  RTA_VIA,
  RTMSG_LEN,
  RTM_DELROUTE,
  RTM_NEWROUTE,
  RTNH_F_ONLINK,
  RTNH_LEN,
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
  RT_SCOPE_UNIVERSE,
  RT_TABLE_LOCAL,
  RT_TABLE_MAIN,
  RT_TABLE_UNSPEC,
  USER_HZ,
} from './constants.js';
import { codeOf, protocolCode, protocolName, reverse, scopeCode, scopeName, type RouteProtocolName, type RouteScope } from './names.js';
import { decodeRealms, resolveRealms } from './realms.js';
import type { TableRef, TableResolver } from './tables.js';

export type { RouteProtocolName, RouteScope } from './names.js';

/** Route types (`ip route add TYPE ...`). */
export type RouteType =
  | 'unicast' | 'local' | 'broadcast' | 'anycast' | 'multicast'
  | 'blackhole' | 'unreachable' | 'prohibit' | 'throw' | 'nat' | 'xresolve';


/** An IPv6 route's preference (`pref high`, RFC 4191): which of several default routes wins. */
export type RoutePreference = 'low' | 'medium' | 'high';

// ICMPV6_ROUTER_PREF_*: the two bits RFC 4191 puts in router advertisements.
const PREFERENCE_CODES: Record<RoutePreference, number> = { low: 3, medium: 0, high: 1 };
const PREFERENCE_NAMES = reverse(PREFERENCE_CODES);

/** Metric names, as `ip route` spells them (`mtu 1400`, `initcwnd 10`, `congctl cubic`). */
export type RouteMetricName =
  | 'mtu' | 'window' | 'rtt' | 'rttvar' | 'ssthresh' | 'cwnd' | 'advmss' | 'reordering' | 'hoplimit'
  | 'initcwnd' | 'features' | 'rtoMin' | 'initrwnd' | 'quickack' | 'congctl' | 'fastopenNoCookie';

/**
 * Route metrics (RTA_METRICS). Values are the kernel's own units: `rtt` and `rttvar` as the
 * kernel stores them (`ip` multiplies milliseconds by 8 and 4), `rtoMin` in milliseconds.
 */
export interface RouteMetrics {
  mtu?: number;
  window?: number;
  rtt?: number;
  rttvar?: number;
  ssthresh?: number;
  cwnd?: number;
  advmss?: number;
  reordering?: number;
  hoplimit?: number;
  initcwnd?: number;
  features?: number;
  rtoMin?: number;
  initrwnd?: number;
  quickack?: number;
  /** Congestion control algorithm (`congctl cubic`). */
  congctl?: string;
  fastopenNoCookie?: number;
  /** Metrics the kernel must not change by itself (`mtu lock 1400` is `lock: ['mtu']`). */
  lock?: RouteMetricName[];
}

/** One path of a multipath route (`nexthop via A dev X weight 1`). */
export interface Nexthop {
  /** Gateway (`via`); an IPv6 gateway on an IPv4 route is sent as RTA_VIA. */
  gateway?: string;
  /** Output interface name. */
  dev?: string;
  /** Relative weight, 1..256 (default 1). */
  weight?: number;
  /** Pretend the gateway is on-link (`onlink`). */
  onlink?: boolean;
  /** IPv4: the realm of this path (`realm 7`), 1..65535; see {@link Route.realm}. */
  realm?: number;
  /** IPv4: the source realm of this path (`realms 3/7` is `fromRealm: 3, realm: 7`). */
  fromRealm?: number;
}

/**
 * A route (`ip route`). Absent fields are `undefined`.
 */
export interface Route {
  /** 'inet' or 'inet6'; taken from dst or gateway when absent, else 'inet'. */
  family?: FamilyName;
  /** Destination: a prefix (`10.0.0.0/8`, a bare address is a host route) or `'default'`. */
  dst?: string;
  /**
   * IPv6: the source prefix the route is for (`from 2001:db8:1::/64`, source-specific routing).
   * Refused on IPv4 routes, where the kernel ignores it: select by source with a rule there.
   */
  from?: string;
  /** Next-hop gateway (`via 192.0.2.1`); an IPv6 gateway on an IPv4 route is `via inet6 ...`. */
  gateway?: string;
  /** Output interface name (`dev v0`). */
  dev?: string;
  /** Preferred source address (`src 192.0.2.2`). */
  src?: string;
  /**
   * IPv4: the route's realm (`realm 5`), 1..65535, which `route` classifiers and the realm match
   * (`meta rtclassid`) see.
   */
  realm?: number;
  /** IPv4: the source realm (`realms 3/5` is `fromRealm: 3, realm: 5`). */
  fromRealm?: number;
  /**
   * Routing table (`table 1`, `table hof`): an id (above 255 works) or a name. Default: main,
   * but local for `local`, `broadcast`, `anycast` and `nat` routes, as ip picks it.
   */
  table?: TableRef;
  /** Route metric / priority (`metric 10`). */
  metric?: number;
  /** Who installed it (`proto`); a name or a number 0..255. Default on add: 'boot', as ip does. */
  protocol?: RouteProtocolName | number;
  /**
   * Scope; on add, as ip picks it: 'host' for local and nat routes; 'link' for broadcast,
   * multicast and anycast ones, and for a unicast route with neither a gateway nor `nexthops`
   * (nor a nexthop object); 'global' otherwise, and for every IPv6 route.
   */
  scope?: RouteScope | number;
  /** Route type; default 'unicast'. */
  type?: RouteType;
  /** Type of service (`tos 0x10`). */
  tos?: number;
  /** Pretend the gateway is on-link (`onlink`). */
  onlink?: boolean;
  /** Metrics (`mtu 1400 advmss 1360`). */
  metrics?: RouteMetrics;
  /** Paths of a multipath route; use instead of gateway/dev. */
  nexthops?: Nexthop[];
  /**
   * The nexthop object the route uses (`nhid 5`, see `handle.nexthops`); instead of gateway, dev
   * and nexthops. A listed route that has one shows only the id: the kernel refuses the object's
   * gateway and device next to it, so the route can be passed back as it is.
   */
  nexthopId?: number;
  /**
   * IPv6: the route's preference (`pref high`); listed only when not 'medium', the kernel's
   * default.
   */
  pref?: RoutePreference;
  /**
   * IPv6: seconds until the kernel deletes the route (`expires 300`). A listed route shows the
   * seconds left, so that passing it back keeps about the same deadline. Not for policy
   * documents: a route that deletes itself cannot be held in place.
   */
  expires?: number;
}

/** Every field of a Route (the policy document's JSON Schema lists the same). */
export const ROUTE_KEYS: ReadonlySet<string> = new Set([
  'family', 'dst', 'from', 'gateway', 'dev', 'src', 'realm', 'fromRealm', 'table', 'metric', 'protocol', 'scope', 'type', 'tos', 'onlink', 'metrics', 'nexthops', 'nexthopId', 'pref', 'expires',
]);
/** Every field of a Nexthop. */
export const NEXTHOP_KEYS: ReadonlySet<string> = new Set(['gateway', 'dev', 'weight', 'onlink', 'realm', 'fromRealm']);

const TYPE_CODES: Record<RouteType, number> = {
  unicast: RTN_UNICAST, local: RTN_LOCAL, broadcast: RTN_BROADCAST, anycast: RTN_ANYCAST,
  multicast: RTN_MULTICAST, blackhole: RTN_BLACKHOLE, unreachable: RTN_UNREACHABLE,
  prohibit: RTN_PROHIBIT, throw: RTN_THROW, nat: RTN_NAT, xresolve: RTN_XRESOLVE,
};
const TYPE_NAMES = reverse(TYPE_CODES);


/** RTAX_* of each metric, in the kernel's (and iproute2's) order. */
const METRIC_CODES: ReadonlyArray<[Exclude<RouteMetricName, 'congctl'> | 'congctl', number]> = [
  ['mtu', RTAX_MTU],
  ['window', RTAX_WINDOW],
  ['rtt', RTAX_RTT],
  ['rttvar', RTAX_RTTVAR],
  ['ssthresh', RTAX_SSTHRESH],
  ['cwnd', RTAX_CWND],
  ['advmss', RTAX_ADVMSS],
  ['reordering', RTAX_REORDERING],
  ['hoplimit', RTAX_HOPLIMIT],
  ['initcwnd', RTAX_INITCWND],
  ['features', RTAX_FEATURES],
  ['rtoMin', RTAX_RTO_MIN],
  ['initrwnd', RTAX_INITRWND],
  ['quickack', RTAX_QUICKACK],
  ['congctl', RTAX_CC_ALGO],
  ['fastopenNoCookie', RTAX_FASTOPEN_NO_COOKIE],
];
const METRIC_BY_CODE = new Map<number, RouteMetricName>(METRIC_CODES.map(([name, code]) => [code, name]));
const METRIC_CODE_BY_NAME = new Map<string, number>(METRIC_CODES);
/** Every field of RouteMetrics. */
export const METRIC_KEYS: ReadonlySet<string> = new Set([...METRIC_CODES.map(([name]) => name), 'lock']);

/** A gateway as the kernel takes it: RTA_GATEWAY in the route's family, or RTA_VIA across. */
export interface ResolvedGateway extends IpAddress {
  /** True when sent as RTA_VIA (an IPv6 gateway for an IPv4 route). */
  via: boolean;
}

/** A nexthop checked and converted; `dev` still needs its ifindex. */
export interface ResolvedNexthop {
  gateway?: ResolvedGateway;
  dev?: string;
  /** rtnh_hops: weight - 1. */
  hops: number;
  flags: number;
  /** RTA_FLOW: source realm << 16 | realm. */
  flow?: number;
}

/** A route checked and converted to kernel values; `dev` still needs its ifindex. */
export interface ResolvedRoute {
  family: number;
  dst: IpPrefix | undefined;
  dstLength: number;
  /** IPv6 source prefix (RTA_SRC, rtm_src_len); absent for none. */
  from?: IpPrefix;
  gateway?: ResolvedGateway;
  dev?: string;
  src?: IpAddress;
  /** RTA_FLOW: source realm << 16 | realm. */
  flow?: number;
  table: number;
  metric?: number;
  protocol: number;
  scope: number;
  type: number;
  tos: number;
  flags: number;
  /** [RTAX_*, value] in kernel order; RTAX_CC_ALGO carries a string. */
  metrics?: [number, number | string][];
  lock?: number;
  nexthops?: ResolvedNexthop[];
  nexthopId?: number;
  /** RTA_PREF (ICMPV6_ROUTER_PREF_*); absent: not sent (the kernel takes medium). */
  pref?: number;
  /** RTA_EXPIRES, seconds. */
  expires?: number;
}

/** Whether a route operation is an add/replace/append (ip's defaults apply) or a delete. */
export type RouteIntent = 'add' | 'delete';

function resolveGateway(value: unknown, field: string, family: 4 | 6 | undefined): ResolvedGateway {
  const address = parseAddress(value, field);
  if (family === 6 && address.family === 4) throw new ValidationError(field, value, 'an IPv6 route needs an IPv6 gateway');
  return { ...address, via: family === 4 && address.family === 6 };
}

function resolveMetrics(value: unknown, field: string): { metrics: [number, number | string][]; lock: number } {
  const metrics = plainObject(value, field);
  knownKeys(metrics, field, METRIC_KEYS);
  const out: [number, number | string][] = [];
  for (const [name, code] of METRIC_CODES) {
    const v = metrics[name];
    if (v === undefined) continue;
    if (name === 'congctl') {
      if (typeof v !== 'string' || !/^[a-z0-9_-]{1,15}$/i.test(v)) throw new ValidationError(`${field}.congctl`, v, 'expected a congestion control name');
      out.push([code, v]);
    } else if (name === 'hoplimit') {
      out.push([code, integerInRange(v, `${field}.hoplimit`, 0, 255)]);
    } else if (name === 'quickack' || name === 'fastopenNoCookie') {
      out.push([code, integerInRange(v, `${field}.${name}`, 0, 1)]);
    } else {
      out.push([code, u32(v, `${field}.${name}`)]);
    }
  }
  // TCP takes a route's rto_min only when it is locked (tcp_rto_min), so ip always locks it.
  let lock = metrics.rtoMin !== undefined ? 1 << RTAX_RTO_MIN : 0;
  if (metrics.lock !== undefined) {
    if (!Array.isArray(metrics.lock)) throw new ValidationError(`${field}.lock`, metrics.lock, 'expected an array of metric names');
    metrics.lock.forEach((name: unknown, i: number) => {
      const code = typeof name === 'string' ? METRIC_CODE_BY_NAME.get(name) : undefined;
      if (code === undefined) throw new ValidationError(`${field}.lock[${i}]`, name, 'expected a metric name');
      lock |= 1 << code;
    });
  }
  return { metrics: out, lock };
}

function onlinkFlag(value: unknown, field: string): number {
  return optionalBoolean(value, field) ? RTNH_F_ONLINK : 0;
}

function resolveTable(value: unknown, field: string, tables: TableResolver | undefined): number {
  if (tables) return tables.resolve(value, field);
  if (typeof value === 'string') throw new ValidationError(field, value, 'table names need a table resolver');
  return u32(value, field);
}

/**
 * The table of a route that names none, as ip picks it (iproute_modify, for add and delete
 * alike): local, broadcast, nat and anycast routes belong in table local, which the kernel
 * consults first; every other type in main.
 */
function defaultTable(type: number): number {
  return type === RTN_LOCAL || type === RTN_BROADCAST || type === RTN_NAT || type === RTN_ANYCAST ? RT_TABLE_LOCAL : RT_TABLE_MAIN;
}

/**
 * Checks a route and converts it to kernel values, with `ip route`'s defaults for the intent.
 * Table names are resolved with `tables`; `naming` says which device names are taken (see
 * {@link DeviceNaming}).
 */
export function resolveRoute(input: Route, field = 'route', intent: RouteIntent = 'add', tables?: TableResolver, naming: DeviceNaming = 'name'): ResolvedRoute {
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
  const src = route.src !== undefined ? parseAddress(route.src, `${field}.src`, family) : undefined;
  family ??= src?.family;
  let gateway: ResolvedGateway | undefined;
  if (route.gateway !== undefined) {
    // Without anything else to go by, the gateway's family is the route's.
    family ??= parseAddress(route.gateway, `${field}.gateway`).family;
    gateway = resolveGateway(route.gateway, `${field}.gateway`, family);
  }
  let nexthops: ResolvedNexthop[] | undefined;
  if (route.nexthops !== undefined) {
    if (!Array.isArray(route.nexthops) || route.nexthops.length === 0) {
      throw new ValidationError(`${field}.nexthops`, route.nexthops, 'expected a non-empty array of nexthops');
    }
    if (route.gateway !== undefined || route.dev !== undefined) {
      throw new ValidationError(`${field}.nexthops`, route.nexthops, 'give either gateway/dev or nexthops, not both');
    }
    if (family === undefined) {
      const first = route.nexthops.find((n) => n && typeof n === 'object' && n.gateway !== undefined);
      if (first) family = parseAddress(first.gateway, `${field}.nexthops[${route.nexthops.indexOf(first)}].gateway`).family;
    }
    nexthops = route.nexthops.map((n, i) => {
      const nf = `${field}.nexthops[${i}]`;
      const nexthop = plainObject(n, nf) as Nexthop;
      knownKeys(nexthop as Record<string, unknown>, nf, NEXTHOP_KEYS);
      const resolved: ResolvedNexthop = {
        hops: nexthop.weight !== undefined ? integerInRange(nexthop.weight, `${nf}.weight`, 1, 256) - 1 : 0,
        flags: onlinkFlag(nexthop.onlink, `${nf}.onlink`),
      };
      if (nexthop.gateway !== undefined) resolved.gateway = resolveGateway(nexthop.gateway, `${nf}.gateway`, family);
      const flow = resolveRealms(nexthop, nf, family ?? 4, 'routes');
      if (flow !== undefined) resolved.flow = flow;
      if (nexthop.dev !== undefined) resolved.dev = deviceName(nexthop.dev, `${nf}.dev`, naming);
      if (resolved.gateway === undefined && resolved.dev === undefined) {
        throw new ValidationError(nf, n, 'a nexthop needs a gateway or a dev');
      }
      return resolved;
    });
  }
  let nexthopId: number | undefined;
  if (route.nexthopId !== undefined) {
    nexthopId = integerInRange(route.nexthopId, `${field}.nexthopId`, 1, 0xffffffff, 'a nexthop id');
    const other = route.gateway !== undefined ? 'gateway' : route.dev !== undefined ? 'dev' : route.nexthops !== undefined ? 'nexthops' : undefined;
    if (other !== undefined) throw new ValidationError(`${field}.${other}`, route[other], 'give either nexthopId or gateway/dev/nexthops: the nexthop object has them');
  }
  family ??= 4;

  const type = route.type !== undefined ? codeOf(TYPE_CODES, route.type, `${field}.type`, null) : intent === 'add' ? RTN_UNICAST : RTN_UNSPEC;
  let scope: number;
  // As ip does (iproute_modify: `!gw_ok && !nhs_ok && !nhid`): only a route with neither a
  // gateway, nor paths (with gateways or not), nor a nexthop object is a connected one.
  const routed = gateway !== undefined || nexthops !== undefined || nexthopId !== undefined;
  if (route.scope !== undefined) {
    scope = scopeCode(route.scope, `${field}.scope`);
  } else if (family === 6) {
    // As ip: IPv6 routes have no scope (the kernel lists them all as global).
    scope = RT_SCOPE_UNIVERSE;
  } else if (intent === 'delete') {
    scope = RT_SCOPE_NOWHERE;
  } else if (type === RTN_LOCAL || type === RTN_NAT) {
    scope = RT_SCOPE_HOST;
  } else if (type === RTN_BROADCAST || type === RTN_MULTICAST || type === RTN_ANYCAST) {
    scope = RT_SCOPE_LINK;
  } else if ((type === RTN_UNICAST || type === RTN_UNSPEC) && !routed) {
    scope = RT_SCOPE_LINK;
  } else {
    scope = RT_SCOPE_UNIVERSE;
  }
  const protocol = route.protocol !== undefined ? protocolCode(route.protocol, `${field}.protocol`) : intent === 'add' ? RTPROT_BOOT : 0;
  const resolved: ResolvedRoute = {
    family: family === 4 ? AF_INET : AF_INET6,
    dst,
    dstLength: dst?.length ?? 0,
    table: route.table !== undefined ? resolveTable(route.table, `${field}.table`, tables) : defaultTable(type),
    protocol,
    scope,
    type,
    tos: route.tos !== undefined ? integerInRange(route.tos, `${field}.tos`, 0, 255) : 0,
    flags: onlinkFlag(route.onlink, `${field}.onlink`),
  };
  if (resolved.table === RT_TABLE_UNSPEC) throw new ValidationError(`${field}.table`, route.table, 'table 0 is not a table');
  if (route.from !== undefined) {
    if (family !== 6) throw new ValidationError(`${field}.from`, route.from, 'the kernel ignores a source prefix on IPv4 routes: select by source with a rule (rules.add({ from, table }))');
    const from = parsePrefix(route.from, `${field}.from`, 6);
    if (from.length > 0) resolved.from = from;
  }
  if (gateway) resolved.gateway = gateway;
  if (src) resolved.src = src;
  const flow = resolveRealms(route, field, family, 'routes');
  if (flow !== undefined) resolved.flow = flow;
  if (route.dev !== undefined) resolved.dev = deviceName(route.dev, `${field}.dev`, naming);
  if (route.metric !== undefined) resolved.metric = u32(route.metric, `${field}.metric`);
  if (route.metrics !== undefined) {
    const { metrics, lock } = resolveMetrics(route.metrics, `${field}.metrics`);
    if (metrics.length > 0) resolved.metrics = metrics;
    if (lock !== 0) resolved.lock = lock;
  }
  if (nexthops) resolved.nexthops = nexthops;
  if (nexthopId !== undefined) resolved.nexthopId = nexthopId;
  if (route.pref !== undefined) {
    const pref = typeof route.pref === 'string' && Object.hasOwn(PREFERENCE_CODES, route.pref) ? PREFERENCE_CODES[route.pref] : undefined;
    if (pref === undefined) throw new ValidationError(`${field}.pref`, route.pref, "expected 'low', 'medium' or 'high'");
    if (family !== 6) throw new ValidationError(`${field}.pref`, route.pref, 'only IPv6 routes have a preference');
    resolved.pref = pref;
  }
  if (route.expires !== undefined) {
    resolved.expires = integerInRange(route.expires, `${field}.expires`, 0, 0xffffffff, 'a number of seconds');
    if (family !== 6) throw new ValidationError(`${field}.expires`, route.expires, 'only IPv6 routes expire (the kernel keeps IPv4 routes until deleted)');
  }
  return resolved;
}

/** Every interface name a resolved route refers to, with the field that named it. */
export function routeInterfaceNames(route: ResolvedRoute, field: string): [string, string][] {
  const names: [string, string][] = [];
  if (route.dev !== undefined) names.push([route.dev, `${field}.dev`]);
  route.nexthops?.forEach((n, i) => {
    if (n.dev !== undefined) names.push([n.dev, `${field}.nexthops[${i}].dev`]);
  });
  return names;
}

function writeGateway(writer: MessageWriter, gateway: ResolvedGateway): void {
  if (!gateway.via) {
    writer.attrBytes(RTA_GATEWAY, gateway.bytes);
    return;
  }
  // struct rtvia { __kernel_sa_family_t rtvia_family; __u8 rtvia_addr[]; }
  const payload = new Uint8Array(2 + gateway.bytes.length);
  new DataView(payload.buffer).setUint16(0, gateway.family === 6 ? AF_INET6 : AF_INET, HOST_IS_LITTLE_ENDIAN);
  payload.set(gateway.bytes, 2);
  writer.attrBytes(RTA_VIA, payload);
}

/**
 * Writes a route message body (struct rtmsg and attributes) in the order iproute2 uses for
 * `ip route add PREFIX via GW src ADDR table T metric M nhid N expires E pref P dev DEV METRICS
 * nexthop ...`, so that the
 * bytes equal those of the equivalent `ip` command. `ifindex` maps interface names to indexes.
 */
export function encodeRoute(writer: MessageWriter, route: ResolvedRoute, ifindex: (name: string) => number | undefined): void {
  const smallTable = route.table < 256;
  writer.u8(route.family);
  writer.u8(route.dstLength);
  writer.u8(route.from?.length ?? 0);
  writer.u8(route.tos);
  writer.u8(smallTable ? route.table : RT_TABLE_UNSPEC);
  writer.u8(route.protocol);
  writer.u8(route.scope);
  writer.u8(route.type);
  writer.u32(route.flags);
  if (route.dst && route.dstLength > 0) writer.attrBytes(RTA_DST, route.dst.bytes);
  if (route.from) writer.attrBytes(RTA_SRC, route.from.bytes);
  if (route.gateway) writeGateway(writer, route.gateway);
  if (route.src) writer.attrBytes(RTA_PREFSRC, route.src.bytes);
  if (route.flow !== undefined) writer.attrU32(RTA_FLOW, route.flow);
  if (!smallTable) writer.attrU32(RTA_TABLE, route.table);
  if (route.metric !== undefined) writer.attrU32(RTA_PRIORITY, route.metric);
  if (route.nexthopId !== undefined) writer.attrU32(RTA_NH_ID, route.nexthopId);
  if (route.expires !== undefined) writer.attrU32(RTA_EXPIRES, route.expires);
  if (route.pref !== undefined) writer.attrU8(RTA_PREF, route.pref);
  if (route.dev !== undefined) {
    const index = ifindex(route.dev);
    if (index !== undefined) writer.attrU32(RTA_OIF, index);
  }
  if (route.metrics || route.lock) {
    writer.beginNest(RTA_METRICS);
    for (const [code, value] of route.metrics ?? []) {
      if (typeof value === 'string') writer.attrBytes(code, Buffer.from(value)); // without a NUL, as ip sends it
      else writer.attrU32(code, value);
    }
    if (route.lock) writer.attrU32(RTAX_LOCK, route.lock);
    writer.endNest();
  }
  if (route.nexthops) {
    writer.beginNest(RTA_MULTIPATH);
    for (const nexthop of route.nexthops) {
      // struct rtnexthop { u16 rtnh_len; u8 rtnh_flags; u8 rtnh_hops; s32 rtnh_ifindex; } + attributes
      const start = writer.length;
      writer.u16(0);
      writer.u8(nexthop.flags);
      writer.u8(nexthop.hops);
      writer.s32(nexthop.dev !== undefined ? (ifindex(nexthop.dev) ?? 0) : 0);
      if (nexthop.gateway) writeGateway(writer, nexthop.gateway);
      if (nexthop.flow !== undefined) writer.attrU32(RTA_FLOW, nexthop.flow);
      patchU16(writer, start, writer.length - start);
    }
    writer.endNest();
  }
}

function patchU16(writer: MessageWriter, offset: number, value: number): void {
  const bytes = writer.bytes();
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setUint16(offset, value, HOST_IS_LITTLE_ENDIAN);
}

/** Message type and flags of each route request, as `ip route` sends them (NLM_F_ACK aside). */
export const ROUTE_REQUESTS = {
  add: { type: RTM_NEWROUTE, flags: NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL },
  replace: { type: RTM_NEWROUTE, flags: NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE },
  append: { type: RTM_NEWROUTE, flags: NLM_F_REQUEST | NLM_F_CREATE | NLM_F_APPEND },
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

/** The name of the interface an ifindex attribute (RTA_OIF, RTA_IIF) names, if known. */
export function linkAttribute(attrs: Attributes, type: number, linkName: (ifindex: number) => string | undefined): string | undefined {
  const index = attrs.u32(type);
  return index === undefined ? undefined : linkName(index);
}

/**
 * The index of the device a listed route goes out of (RTA_OIF), which `ip route show dev`
 * selects by. A route by a single nexthop object carries its object's device there for old
 * readers (nexthop_compat_mode), which decodeRoute leaves out of the Route; a multipath route
 * (or one by a group) carries none.
 */
export function routeOutputIndex(message: NetlinkMessage): number | undefined {
  return messageAttributes(message, RTMSG_LEN).u32(RTA_OIF);
}

/** A gateway from RTA_GATEWAY or RTA_VIA, formatted. */
export function decodeGateway(attrs: Attributes): string | undefined {
  const gateway = attrs.bytes(RTA_GATEWAY);
  if (gateway) return formatAddress(gateway);
  const via = attrs.bytes(RTA_VIA);
  if (via && via.length > 2) return formatAddress(via.subarray(2));
  return undefined;
}

function decodeMetrics(attrs: Attributes): RouteMetrics | undefined {
  const nest = attrs.nested(RTA_METRICS);
  if (!nest || nest.size === 0) return undefined;
  const metrics: RouteMetrics = {};
  for (const [type] of nest) {
    if (type === RTAX_LOCK) {
      const lock = nest.u32(RTAX_LOCK) ?? 0;
      const names: RouteMetricName[] = [];
      for (const [name, code] of METRIC_CODES) if (lock & (1 << code)) names.push(name);
      if (names.length > 0) metrics.lock = names;
      continue;
    }
    const name = METRIC_BY_CODE.get(type);
    if (name === undefined) continue;
    if (name === 'congctl') {
      const value = nest.string(type);
      if (value !== undefined) metrics.congctl = value;
    } else {
      const value = nest.u32(type);
      if (value !== undefined) metrics[name] = value;
    }
  }
  return Object.keys(metrics).length > 0 ? metrics : undefined;
}

function decodeNexthops(attrs: Attributes, linkName: (ifindex: number) => string | undefined): Nexthop[] | undefined {
  const payload = attrs.bytes(RTA_MULTIPATH);
  if (!payload) return undefined;
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const nexthops: Nexthop[] = [];
  let offset = 0;
  while (offset + RTNH_LEN <= payload.length) {
    const length = view.getUint16(offset, HOST_IS_LITTLE_ENDIAN);
    if (length < RTNH_LEN || offset + length > payload.length) break;
    const flags = view.getUint8(offset + 2);
    const hops = view.getUint8(offset + 3);
    const ifindex = view.getInt32(offset + 4, HOST_IS_LITTLE_ENDIAN);
    const inner = attrs.nestedAt(payload.byteOffset - attrs.data.byteOffset + offset + RTNH_LEN, payload.byteOffset - attrs.data.byteOffset + offset + length);
    const nexthop: Nexthop = {};
    const gateway = decodeGateway(inner);
    if (gateway !== undefined) nexthop.gateway = gateway;
    const name = ifindex > 0 ? linkName(ifindex) : undefined;
    if (name !== undefined) nexthop.dev = name;
    nexthop.weight = hops + 1;
    if (flags & RTNH_F_ONLINK) nexthop.onlink = true;
    decodeRealms(inner.u32(RTA_FLOW), nexthop);
    nexthops.push(nexthop);
    offset += (length + 3) & ~3;
  }
  return nexthops;
}

/**
 * Decodes an RTM_NEWROUTE message. `linkName` maps an ifindex to its name; `tableName` may turn
 * table ids into names.
 */
export function decodeRoute(message: NetlinkMessage, linkName: (ifindex: number) => string | undefined, tableName?: (id: number) => TableRef): Route {
  const data = message.data;
  const base = payloadStart(message);
  const family = data[base]!;
  const dstLength = data[base + 1]!;
  const srcLength = data[base + 2]!;
  const tos = data[base + 3]!;
  const headerTable = data[base + 4]!;
  const protocol = data[base + 5]!;
  const scope = data[base + 6]!;
  const type = data[base + 7]!;
  const flags = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(base + 8, HOST_IS_LITTLE_ENDIAN);
  const attrs = messageAttributes(message, RTMSG_LEN);
  const route: Route = { family: familyName(family === AF_INET6 ? 6 : 4) };
  const dst = attrs.bytes(RTA_DST);
  route.dst = dst ? formatPrefix(dst, dstLength) : dstLength === 0 ? 'default' : undefined;
  const from = srcLength > 0 ? attrs.bytes(RTA_SRC) : undefined;
  if (from) route.from = formatPrefix(from, srcLength);
  // With a nexthop object, the kernel adds its gateway and device for old readers (sysctl
  // nexthop_compat_mode); they are the object's, not the route's.
  const nexthopId = attrs.u32(RTA_NH_ID);
  if (nexthopId !== undefined) {
    route.nexthopId = nexthopId;
  } else {
    const gateway = decodeGateway(attrs);
    if (gateway !== undefined) route.gateway = gateway;
    const dev = linkAttribute(attrs, RTA_OIF, linkName);
    if (dev !== undefined) route.dev = dev;
  }
  const src = attrs.bytes(RTA_PREFSRC);
  if (src) route.src = formatAddress(src);
  decodeRealms(attrs.u32(RTA_FLOW), route);
  const table = attrs.u32(RTA_TABLE) ?? headerTable;
  route.table = tableName ? tableName(table) : table;
  const metric = attrs.u32(RTA_PRIORITY);
  if (metric !== undefined) route.metric = metric;
  route.protocol = protocolName(protocol);
  route.scope = scopeName(scope);
  // A route by a blackhole nexthop object is listed as type blackhole, and one by an onlink
  // object with that flag; both belong to the object: the route itself is unicast, which its
  // delete must say.
  const typeName = nexthopId !== undefined && type === RTN_BLACKHOLE ? 'unicast' : TYPE_NAMES.get(type);
  if (typeName) route.type = typeName;
  if (tos !== 0) route.tos = tos;
  if (flags & RTNH_F_ONLINK && nexthopId === undefined) route.onlink = true;
  const metrics = decodeMetrics(attrs);
  if (metrics) route.metrics = metrics;
  const nexthops = nexthopId === undefined ? decodeNexthops(attrs, linkName) : undefined;
  if (nexthops) route.nexthops = nexthops;
  const pref = attrs.u8(RTA_PREF);
  if (pref !== undefined && pref !== PREFERENCE_CODES.medium) {
    const name = PREFERENCE_NAMES.get(pref);
    if (name !== undefined) route.pref = name;
  }
  // A request carries RTA_EXPIRES in seconds; the kernel reports the time left in RTA_CACHEINFO:
  // rta_expires (s32, USER_HZ ticks) at offset 8, 0 for a route that stays.
  const expires = attrs.u32(RTA_EXPIRES);
  if (expires !== undefined) route.expires = expires;
  const cacheinfo = attrs.bytes(RTA_CACHEINFO);
  if (cacheinfo !== undefined && cacheinfo.length >= 12) {
    const ticks = new DataView(cacheinfo.buffer, cacheinfo.byteOffset, cacheinfo.byteLength).getInt32(8, HOST_IS_LITTLE_ENDIAN);
    if (ticks !== 0) route.expires = Math.max(0, Math.floor(ticks / USER_HZ));
  }
  return route;
}
