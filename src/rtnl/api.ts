/** The rtnetlink API classes a Handle holds: rules, routes, links and addresses. */
export { RuleApi, type RuleFilter } from './rule-api.js';
export { RouteApi, type RouteFilter } from './route-api.js';
export { LinkApi, AddressApi, type AddressFilter } from './link-api.js';
export type { BulkResult, RtnlBulkOptions } from './base.js';
export { NeighbourApi } from './neighbours.js';
export { NexthopApi, type NexthopFilter } from './nexthop-api.js';
