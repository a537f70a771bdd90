/** rtnetlink: policy rules, routes, links, addresses, route lookups and named tables. */
export { RuleApi, RouteApi, LinkApi, AddressApi, type RuleFilter, type RouteFilter, type AddressFilter, type BulkResult, type RtnlBulkOptions } from './api.js';
export type { Rule, RuleAction } from './rules.js';
export type { Route, RouteType, RouteScope, RouteProtocolName, RouteMetrics, RouteMetricName, Nexthop } from './routes.js';
export type { RouteQuery, RouteLookup } from './lookup.js';
export type { Link, LinkSpec, VethSpec, BridgeSpec, DummySpec, VrfSpec, VlanSpec, MacvlanSpec, MacvlanMode, TunSpec, TunMode, TunInfo, LinkChanges, LinkNetns, OperState } from './links.js';
export type { Address, AddressProtocolName } from './addresses.js';
export { NeighbourApi, type Neighbour, type NeighbourEntry, type NeighbourFilter, type NeighbourFlushFilter, type NeighbourState } from './neighbours.js';
export { NexthopApi, type NexthopFilter } from './nexthop-api.js';
export type { NexthopObject, NexthopGroupMember, NexthopGroupType, ResilientGroup } from './nexthops.js';
export type { IpProtocolName, PortRange, UidRange } from './names.js';
export { TableNames, useTableNames, parseRtTables, type TableRef, type TableNamesOptions, type TableNameMap } from './tables.js';
