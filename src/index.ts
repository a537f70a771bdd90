/**
 * routemark: Linux policy routing, nf_tables and conntrack marks over netlink.
 *
 * Use {@link open} for a handle bound to a network namespace, or the top-level functions
 * (addRule, listRoutes, ...) which use a default handle in the current namespace.
 */
import { Handle, open, type OpenOptions } from './handle.js';
import type { Route } from './rtnl/routes.js';
import type { Rule } from './rtnl/rules.js';
import type { RouteFilter, RuleFilter } from './rtnl/api.js';

export { Handle, open, type OpenOptions };
export type { NetnsRef } from './netns.js';
export { NetlinkError, ValidationError, type ExtendedAck, type OperationRef } from './netlink/errors.js';
export * from './rtnl/index.js';

let defaultHandle: Handle | undefined;

/** The default handle (current namespace), created on first use. */
export function defaults(): Handle {
  if (defaultHandle === undefined || defaultHandle.isClosed) defaultHandle = new Handle();
  return defaultHandle;
}

/** Closes the default handle's sockets (it reopens on next use). */
export function closeDefaults(): void {
  defaultHandle?.close();
  defaultHandle = undefined;
}

/** Adds a policy rule in the current namespace. See {@link RuleApi.add}. */
export function addRule(rule: Rule): Promise<void> {
  return defaults().rules.add(rule);
}

/** Deletes a policy rule in the current namespace. See {@link RuleApi.delete}. */
export function deleteRule(rule: Rule): Promise<void> {
  return defaults().rules.delete(rule);
}

/** Lists policy rules in the current namespace. See {@link RuleApi.list}. */
export function listRules(filter?: RuleFilter): Promise<Rule[]> {
  return defaults().rules.list(filter);
}

/** Adds a route in the current namespace. See {@link RouteApi.add}. */
export function addRoute(route: Route): Promise<void> {
  return defaults().routes.add(route);
}

/** Deletes a route in the current namespace. See {@link RouteApi.delete}. */
export function deleteRoute(route: Route): Promise<void> {
  return defaults().routes.delete(route);
}

/** Lists routes in the current namespace. See {@link RouteApi.list}. */
export function listRoutes(filter?: RouteFilter): Promise<Route[]> {
  return defaults().routes.list(filter);
}
