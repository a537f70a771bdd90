/** Top-level rtnetlink functions on the default handle (current namespace). */
import { defaults } from '../default-handle.js';
import type { Address } from '../rtnl/addresses.js';
import type { AddressFilter, RtnlBulkOptions, BulkResult, NexthopFilter, RouteFilter, RuleFilter } from '../rtnl/api.js';
import type { Link, LinkChanges, LinkSpec } from '../rtnl/links.js';
import type { RouteLookup, RouteQuery } from '../rtnl/lookup.js';
import type { NexthopObject } from '../rtnl/nexthops.js';
import type { Route } from '../rtnl/routes.js';
import type { Rule } from '../rtnl/rules.js';
import type { TableRef } from '../rtnl/tables.js';

/** Adds a policy rule in the current namespace. See {@link RuleApi.add}. */
export function addRule(rule: Rule): Promise<void> {
  return defaults().rules.add(rule);
}

/** Deletes a policy rule in the current namespace. See {@link RuleApi.delete}. */
export function deleteRule(rule: Rule): Promise<void> {
  return defaults().rules.delete(rule);
}

/** Adds a policy rule unless exactly it exists. See {@link RuleApi.ensure}. */
export function ensureRule(rule: Rule): Promise<boolean> {
  return defaults().rules.ensure(rule);
}

/** Deletes a policy rule if it exists. See {@link RuleApi.remove}. */
export function removeRule(rule: Rule): Promise<boolean> {
  return defaults().rules.remove(rule);
}

/** Lists policy rules in the current namespace. See {@link RuleApi.list}. */
export function listRules(filter?: RuleFilter): Promise<Rule[]> {
  return defaults().rules.list(filter);
}

/** Deletes the policy rules a filter selects. See {@link RuleApi.flush}. */
export function flushRules(filter?: Omit<RuleFilter, 'tableNames'>): Promise<number> {
  return defaults().rules.flush(filter);
}

/** Adds many policy rules, with each outcome. See {@link RuleApi.addMany}. */
export function addRules(rules: readonly Rule[], options?: RtnlBulkOptions): Promise<BulkResult> {
  return defaults().rules.addMany(rules, options);
}

/** Deletes many policy rules, with each outcome. See {@link RuleApi.deleteMany}. */
export function deleteRules(rules: readonly Rule[], options?: RtnlBulkOptions): Promise<BulkResult> {
  return defaults().rules.deleteMany(rules, options);
}

/** Adds a route in the current namespace. See {@link RouteApi.add}. */
export function addRoute(route: Route): Promise<void> {
  return defaults().routes.add(route);
}

/** Adds or replaces a route. See {@link RouteApi.replace}. */
export function replaceRoute(route: Route): Promise<void> {
  return defaults().routes.replace(route);
}

/** Appends a route. See {@link RouteApi.append}. */
export function appendRoute(route: Route): Promise<void> {
  return defaults().routes.append(route);
}

/** Deletes a route in the current namespace. See {@link RouteApi.delete}. */
export function deleteRoute(route: Route): Promise<void> {
  return defaults().routes.delete(route);
}

/** Lists routes in the current namespace. See {@link RouteApi.list}. */
export function listRoutes(filter?: RouteFilter): Promise<Route[]> {
  return defaults().routes.list(filter);
}

/** Deletes the routes a filter selects. See {@link RouteApi.flush}. */
export function flushRoutes(filter: Omit<RouteFilter, 'tableNames'> & { table: TableRef | 'all' }): Promise<number> {
  return defaults().routes.flush(filter);
}

/** Which route a packet would take (`ip route get`). See {@link RouteApi.get}. */
export function getRoute(query: RouteQuery, options?: { tableNames?: boolean }): Promise<RouteLookup> {
  return defaults().routes.get(query, options);
}

/** Adds many routes, with each outcome. See {@link RouteApi.addMany}. */
export function addRoutes(routes: readonly Route[], options?: RtnlBulkOptions): Promise<BulkResult> {
  return defaults().routes.addMany(routes, options);
}

/** Deletes many routes, with each outcome. See {@link RouteApi.deleteMany}. */
export function deleteRoutes(routes: readonly Route[], options?: RtnlBulkOptions): Promise<BulkResult> {
  return defaults().routes.deleteMany(routes, options);
}

/** Lists links. See {@link LinkApi.list}. */
export function listLinks(): Promise<Link[]> {
  return defaults().links.list();
}

/** One link by name or index. See {@link LinkApi.get}. */
export function getLink(nameOrIndex: string | number): Promise<Link | undefined> {
  return defaults().links.get(nameOrIndex);
}

/** Creates a veth pair or a bridge. See {@link LinkApi.add}. */
export function addLink(spec: LinkSpec): Promise<void> {
  return defaults().links.add(spec);
}

/** Deletes a link. See {@link LinkApi.delete}. */
export function deleteLink(name: string): Promise<void> {
  return defaults().links.delete(name);
}

/** Changes a link (up/down, mtu, master, netns). See {@link LinkApi.set}. */
export function setLink(name: string, changes: LinkChanges): Promise<void> {
  return defaults().links.set(name, changes);
}

/** Adds an address. See {@link AddressApi.add}. */
export function addAddress(address: Address): Promise<void> {
  return defaults().addresses.add(address);
}

/** Deletes an address. See {@link AddressApi.delete}. */
export function deleteAddress(address: Address): Promise<void> {
  return defaults().addresses.delete(address);
}

/** Lists addresses. See {@link AddressApi.list}. */
export function listAddresses(filter?: AddressFilter): Promise<Address[]> {
  return defaults().addresses.list(filter);
}

/** Adds a nexthop object in the current namespace; resolves with its id. See {@link NexthopApi.add}. */
export function addNexthop(nexthop: NexthopObject): Promise<number> {
  return defaults().nexthops.add(nexthop);
}

/** Adds or replaces a nexthop object; every route using it follows. See {@link NexthopApi.replace}. */
export function replaceNexthop(nexthop: NexthopObject): Promise<number> {
  return defaults().nexthops.replace(nexthop);
}

/** Deletes a nexthop object by id (and the routes using it). See {@link NexthopApi.delete}. */
export function deleteNexthop(nexthop: number | NexthopObject): Promise<void> {
  return defaults().nexthops.delete(nexthop);
}

/** Lists nexthop objects. See {@link NexthopApi.list}. */
export function listNexthops(filter?: NexthopFilter): Promise<NexthopObject[]> {
  return defaults().nexthops.list(filter);
}
