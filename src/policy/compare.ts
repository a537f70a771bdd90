/**
 * Comparing what the document wants with what the kernel holds: the slot a route occupies (what
 * the kernel identifies it by) and whether a held route (or nexthop object) already is the
 * wanted one.
 */
import type { IpAddress } from '../common/ip.js';
import { AF_INET6 } from '../rtnl/constants.js';
import type { ResolvedNexthopObject } from '../rtnl/nexthops.js';
import type { ResolvedNexthop, ResolvedRoute } from '../rtnl/routes.js';

/**
 * The metric the kernel stores for a route: an IPv6 route without one, or with 0, gets 1024
 * (IP6_RT_PRIO_USER: ip6_route_info_create reads 0 as "none"); an IPv4 route keeps 0.
 */
export function effectiveMetric(route: ResolvedRoute): number {
  return route.family === AF_INET6 ? route.metric || 1024 : (route.metric ?? 0);
}

function hex(address: IpAddress | undefined): string {
  return address === undefined ? '' : Buffer.from(address.bytes).toString('hex');
}

/**
 * What the kernel identifies a route by: family, table, destination prefix, tos and metric
 * (IPv4 fib_find_alias, IPv6 fib6_add_rt2node), and an IPv6 route's source prefix (the
 * subtree fib6_add puts it in). Two routes of one slot cannot coexist when
 * added with NLM_F_EXCL, and NLM_F_REPLACE replaces the one in the slot.
 */
export function routeSlot(route: ResolvedRoute): string {
  return `${route.family}|${route.table}|${hex(route.dst)}/${route.dstLength}|${hex(route.from)}/${route.from?.length ?? 0}|${route.tos}|${effectiveMetric(route)}`;
}

function sameGateway(a: ResolvedRoute['gateway'], b: ResolvedRoute['gateway']): boolean {
  return hex(a) === hex(b) && (a?.via ?? false) === (b?.via ?? false);
}

/** The device the document names must be the one held; without one, the kernel's choice stands. */
function sameDevice(wanted: string | undefined, held: string | undefined): boolean {
  return wanted === undefined || wanted === held;
}

function sameNexthops(wanted: ResolvedNexthop[] | undefined, held: ResolvedNexthop[] | undefined): boolean {
  if (wanted === undefined || held === undefined) return wanted === held;
  if (wanted.length !== held.length) return false;
  // The kernel keeps the paths in the order given.
  return wanted.every((w, i) => {
    const h = held[i]!;
    return sameGateway(w.gateway, h.gateway) && sameDevice(w.dev, h.dev) && w.hops === h.hops && w.flags === h.flags && (w.flow ?? 0) === (h.flow ?? 0);
  });
}

function metricsText(route: ResolvedRoute): string {
  const metrics = [...(route.metrics ?? [])].sort((a, b) => a[0] - b[0]);
  return JSON.stringify([metrics, route.lock ?? 0]);
}

/**
 * Whether a route the kernel holds (as listed, then resolved) is the route the document wants,
 * both in the same slot. Fields the document leaves to the kernel (the device of a route via a
 * gateway) match whatever the kernel chose.
 */
export function routeSatisfies(wanted: ResolvedRoute, held: ResolvedRoute): boolean {
  return (
    routeSlot(wanted) === routeSlot(held) &&
    sameGateway(wanted.gateway, held.gateway) &&
    sameDevice(wanted.dev, held.dev) &&
    hex(wanted.src) === hex(held.src) &&
    (wanted.flow ?? 0) === (held.flow ?? 0) &&
    wanted.protocol === held.protocol &&
    wanted.scope === held.scope &&
    wanted.type === held.type &&
    wanted.flags === held.flags &&
    metricsText(wanted) === metricsText(held) &&
    wanted.nexthopId === held.nexthopId &&
    (wanted.pref ?? 0) === (held.pref ?? 0) &&
    sameNexthops(wanted.nexthops, held.nexthops)
  );
}

function membersText(group: [number, number][]): string {
  return JSON.stringify([...group].sort((a, b) => a[0] - b[0]));
}

/** Whether a held kernel value is the wanted one, where the document gave one at all. */
function givenMatches(wanted: number | undefined, held: number | undefined): boolean {
  return wanted === undefined || wanted === held;
}

/** Whether a group and a single nexthop stand on either side: the kernel cannot replace across. */
export function nexthopKindsDiffer(wanted: ResolvedNexthopObject, held: ResolvedNexthopObject): boolean {
  return (wanted.group === undefined) !== (held.group === undefined) || (wanted.group !== undefined && wanted.groupType !== held.groupType);
}

/**
 * Whether a nexthop object the kernel holds (as listed, then resolved) is the one the document
 * wants under the same id. Group members compare as a set of (id, weight); the resilient
 * group's bucket count and timers only where the document gives them (the kernel has defaults).
 */
export function nexthopSatisfies(wanted: ResolvedNexthopObject, held: ResolvedNexthopObject): boolean {
  if (wanted.protocol !== held.protocol || nexthopKindsDiffer(wanted, held)) return false;
  if (wanted.group !== undefined && held.group !== undefined) {
    return (
      membersText(wanted.group) === membersText(held.group) &&
      givenMatches(wanted.buckets, held.buckets) &&
      givenMatches(wanted.idleTimer, held.idleTimer) &&
      givenMatches(wanted.unbalancedTimer, held.unbalancedTimer)
    );
  }
  return wanted.blackhole === held.blackhole && wanted.family === held.family && wanted.flags === held.flags && hex(wanted.gateway) === hex(held.gateway) && wanted.dev === held.dev;
}
