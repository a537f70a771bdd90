/** rtnetlink: policy rules, routes, links and addresses. */
export { RuleApi, RouteApi, LinkApi, AddressApi, type RuleFilter, type RouteFilter } from './api.js';
export type { Rule, RuleAction } from './rules.js';
export type { Route, RouteType, RouteScope, RouteProtocolName } from './routes.js';
