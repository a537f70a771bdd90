/** Top-level rtnetlink functions on the default handle (current namespace). */
import { defaults } from '../default-handle.js';
import type { RouteFilter, RuleFilter } from '../rtnl/api.js';
import type { Route } from '../rtnl/routes.js';
import type { Rule } from '../rtnl/rules.js';

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
