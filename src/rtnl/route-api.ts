/** Routes (`ip route`): add, replace, append, delete, list, flush, get, match, addMany, deleteMany. */
import { formatPrefix, parsePrefix, type FamilyName } from '../common/ip.js';
import { interfaceLookupName } from '../common/validate.js';
import { NLM_F_DUMP, NLM_F_REQUEST } from '../netlink/constants.js';
import { NetlinkError, ValidationError } from '../netlink/errors.js';
import { Errno } from '../netlink/errno.js';
import { sendChunkedRuns } from '../netlink/chunked.js';
import { type RtnlBulkOptions, type BulkResult, RtnlApi, bulkResult, familiesOf } from './base.js';
import { AF_INET, AF_INET6, RTM_GETROUTE } from './constants.js';
import { InterfaceNames, PlainRoutes, writeInRuns } from './fast.js';
import { decodeRouteLookup, encodeRouteQuery, resolveRouteQuery, type RouteLookup, type RouteQuery } from './lookup.js';
import { codeOf, protocolName, scopeCode, type RouteProtocolName, type RouteScope } from './names.js';
import {
  ROUTE_REQUESTS,
  decodeRoute,
  encodeRoute,
  encodeRouteDumpRequest,
  resolveRoute,
  routeInterfaceNames,
  routeOutputIndex,
  type ResolvedRoute,
  type Route,
  type RouteIntent,
  type RouteType,
} from './routes.js';
import type { TableRef } from './tables.js';

/** Which routes {@link RouteApi.list} returns. Every field given must match. */
export interface RouteFilter {
  /** Only this family (default: both). */
  family?: FamilyName;
  /** Only this table (an id or a name; default: main, as `ip route` shows); `'all'` for every table. */
  table?: TableRef | 'all';
  /**
   * Only routes through this interface (its name or an altname), as `ip route show dev` selects
   * them: a route by a single nexthop object on it is selected; a multipath route names its
   * devices in its paths, and is not, nor is a route by a nexthop group.
   */
  dev?: string;
  /** Only routes with this protocol (`proto`). */
  protocol?: RouteProtocolName | number;
  /** Only routes of the handle's owner (its `owner` option; a ValidationError without one). */
  owned?: boolean;
  /** Only routes of this type. */
  type?: RouteType;
  /** Only routes with this scope. */
  scope?: RouteScope | number;
  /** Only routes to exactly this destination: `'default'` or a prefix (in any spelling: `10.0.0.1` is `10.0.0.1/32`). */
  dst?: string;
  /** Report tables by name where rt_tables has one (`table: 'main'`). */
  tableNames?: boolean;
}

const FILTER_KEYS: ReadonlySet<string> = new Set(['family', 'table', 'dev', 'protocol', 'owned', 'type', 'scope', 'dst', 'tableNames']);
const TYPE_FILTER: Record<RouteType, number> = {
  unicast: 1, local: 2, broadcast: 3, anycast: 4, multicast: 5, blackhole: 6, unreachable: 7, prohibit: 8, throw: 9, nat: 10, xresolve: 11,
};

/** How a route of protocol 0 is listed. */
const UNSPEC_PROTOCOL = protocolName(0);

type RouteRequest = keyof typeof ROUTE_REQUESTS;
const OPERATIONS: Record<RouteRequest, string> = { add: 'addRoute', replace: 'replaceRoute', append: 'appendRoute', delete: 'deleteRoute' };

/** Routes (`ip route`) in one namespace. */
export class RouteApi extends RtnlApi {
  /**
   * Adds a route, like `ip route add`. Rejects with EEXIST if it exists. Its `dev` (and each
   * path's) may be an altname, as ip takes it, in every call that takes routes. On a handle with
   * an owner, a route without `protocol` is tagged with the owner id (on replace, append and the
   * bulk calls too), and a delete without `protocol` matches only the owner's routes.
   * @example await handle.routes.add({ dst: 'default', gateway: '192.0.2.1', dev: 'v0', table: 'hof' })
   */
  add(route: Route): Promise<void> {
    return this.one('add', route);
  }

  /** Adds or replaces a route, like `ip route replace` (idempotent). */
  replace(route: Route): Promise<void> {
    return this.one('replace', route);
  }

  /** Adds a route after existing ones to the same destination, like `ip route append`. */
  append(route: Route): Promise<void> {
    return this.one('append', route);
  }

  /**
   * Deletes a route, like `ip route del`: fields left out match anything. A route returned by
   * {@link list} deletes exactly that route. Rejects with ESRCH if none matches.
   */
  delete(route: Route): Promise<void> {
    return this.one('delete', route);
  }

  /** A route that names no protocol gets the handle's owner (on deletes too), if it has one. */
  private owned(route: Route, resolved: ResolvedRoute): ResolvedRoute {
    const owner = this.owner;
    if (owner !== undefined && route.protocol === undefined) resolved.protocol = owner;
    return resolved;
  }

  private async one(request: RouteRequest, route: Route): Promise<void> {
    const intent: RouteIntent = request === 'delete' ? 'delete' : 'add';
    const resolved = this.owned(route, resolveRoute(route, 'route', intent, this.tables(), 'lookup'));
    const operation = OPERATIONS[request];
    const links = await this.interfaces(operation, routeInterfaceNames(resolved, 'route'));
    const { type, flags } = ROUTE_REQUESTS[request];
    await this.single({ operation }, type, flags, (w) => encodeRoute(w, resolved, (name) => links.get(name)));
  }

  /**
   * Lists routes, like `ip route show`. The table, family, protocol, type and device filters run
   * in the kernel (the device and protocol 0 again here, as ip does: the kernel's device filter
   * also passes multipath routes, and it reads protocol 0 as no filter); `dst` and `scope` here.
   */
  list(filter: RouteFilter = {}): Promise<Route[]> {
    return this.listFor('listRoutes', filter);
  }

  /** {@link list} on behalf of `operation` (list or flush), whose name its failures carry. */
  private async listFor(operation: string, filter: RouteFilter): Promise<Route[]> {
    this.checkFilter(filter, FILTER_KEYS);
    const tables = this.tables();
    const table = filter.table === 'all' ? undefined : filter.table === undefined ? 254 : tables.resolve(filter.table, 'filter.table');
    const protocol = this.filterProtocol(filter);
    const type = filter.type !== undefined ? codeOf(TYPE_FILTER, filter.type, 'filter.type', null) : undefined;
    const scope = filter.scope !== undefined ? scopeCode(filter.scope, 'filter.scope') : undefined;
    // The device may be named by an altname: routes are compared with its name, by its index.
    const dev = filter.dev !== undefined ? interfaceLookupName(filter.dev, 'filter.dev') : undefined;
    const wantedDst = filter.dst === undefined || filter.dst === 'default' ? undefined : parsePrefix(filter.dst, 'filter.dst');
    // As decodeRoute spells it, so that listed routes compare by a string.
    const dst = wantedDst === undefined ? filter.dst : wantedDst.length === 0 ? 'default' : formatPrefix(wantedDst.bytes, wantedDst.length);
    const families = familiesOf(filter.family).filter((family) => wantedDst === undefined || family === (wantedDst.family === 4 ? AF_INET : AF_INET6));
    const connection = this.connection;
    const [names, ifindex] = await this.linkNamesAndFilterDev(operation, dev);
    const display = filter.tableNames ? (id: number) => tables.display(id) : undefined;
    const routes: Route[] = [];
    for (const family of families) {
      let messages;
      try {
        messages = await this.step(operation, 'listing routes (RTM_GETROUTE dump)', () =>
          connection.dump({ operation: 'listRoutes' }, RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP, (w) => encodeRouteDumpRequest(w, { family, table, ifindex, protocol, type })),
        );
      } catch (error) {
        // A table that holds no route of this family does not exist for it: nothing to list.
        if (table !== undefined && error instanceof NetlinkError && error.code === 'ENOENT') continue;
        throw error;
      }
      for (const message of messages) {
        // By RTA_OIF, as ip selects: a route by a nexthop object is listed without its object's
        // device (so that it passes back to delete), but the kernel still reports it there.
        if (ifindex !== undefined && routeOutputIndex(message) !== ifindex) continue;
        const route = decodeRoute(message, (index) => names.get(index), display);
        if (dst !== undefined && route.dst !== dst) continue;
        if (protocol === 0 && route.protocol !== UNSPEC_PROTOCOL) continue;
        if (scope !== undefined && scopeCode(route.scope, 'route.scope') !== scope) continue;
        routes.push(route);
      }
    }
    return routes;
  }

  /**
   * Deletes every route the filter selects, like `ip route flush`. A table must be named
   * (`'all'` with another filter, e.g. `{ table: 'all', protocol: 99 }`). On a handle with an
   * owner only the owner's routes are flushed unless the filter names a protocol. Resolves with
   * the number deleted.
   */
  async flush(filter: Omit<RouteFilter, 'tableNames'> & { table: TableRef | 'all' }): Promise<number> {
    if (typeof filter !== 'object' || filter === null || filter.table === undefined) {
      throw new ValidationError('filter.table', (filter as { table?: unknown } | null)?.table, "name the table to flush (or 'all' with another filter)");
    }
    const routes = await this.listFor('flushRoutes', { ...this.ownerScope(filter), tableNames: false });
    return (await this.deleteMany(routes)).succeeded;
  }

  /**
   * Which route a packet would take, like `ip route get`: the kernel's answer for the given
   * destination, source, incoming interface, mark, uid, protocol and ports.
   * @example await handle.routes.get({ to: '198.51.100.7', mark: 65 }) // { dev: 'tun0', table: 'hof', ... }
   */
  async get(query: RouteQuery, options: { tableNames?: boolean } = {}): Promise<RouteLookup> {
    const resolved = resolveRouteQuery(query);
    const [message, names, tables] = await this.lookup('getRoute', resolved, false);
    return decodeRouteLookup(message, (index) => names.get(index), options.tableNames ? (id) => tables.display(id) : undefined);
  }

  /**
   * The routing-table entry a packet would match, like `ip route get fibmatch`: a Route as
   * {@link list} returns it, which passes unchanged to delete or replace.
   */
  async match(query: RouteQuery, options: { tableNames?: boolean } = {}): Promise<Route> {
    const resolved = resolveRouteQuery(query);
    const [message, names, tables] = await this.lookup('matchRoute', resolved, true);
    return decodeRoute(message, (index) => names.get(index), options.tableNames ? (id) => tables.display(id) : undefined);
  }

  /** The kernel's answer to a route query for `operation` (get or match), with link and table names. */
  private async lookup(operation: string, query: ReturnType<typeof resolveRouteQuery>, fibMatch: boolean) {
    const wanted: [string, string][] = [];
    if (query.iif !== undefined) wanted.push([query.iif, 'query.iif']);
    if (query.oif !== undefined) wanted.push([query.oif, 'query.oif']);
    const links = await this.interfaces(operation, wanted);
    const tables = this.tables();
    const [replies, names] = await Promise.all([
      this.connection.request({ operation }, RTM_GETROUTE, NLM_F_REQUEST, (w) => encodeRouteQuery(w, query, (name) => links.get(name), fibMatch)),
      this.linkNames(operation),
    ]);
    const message = replies[0];
    if (!message) throw new NetlinkError({ errno: Errno.ENODATA, operation, netns: this.provider.netnsLabel, detail: 'the kernel sent no route' });
    return [message, names, tables] as const;
  }

  /**
   * Adds many routes with as few system calls as the socket buffers allow, in the caller's
   * order, with the outcome of each (EEXIST for one that exists). Bad input, unknown
   * interfaces included, rejects with a ValidationError before anything is sent.
   */
  addMany(routes: readonly Route[], options?: RtnlBulkOptions): Promise<BulkResult> {
    return this.many('add', routes, options);
  }

  /** Adds or replaces many routes (`ip route replace` each), with the outcome of each. */
  replaceMany(routes: readonly Route[], options?: RtnlBulkOptions): Promise<BulkResult> {
    return this.many('replace', routes, options);
  }

  /** Deletes many routes, with the outcome of each in the caller's order (ESRCH if missing). */
  deleteMany(routes: readonly Route[], options?: RtnlBulkOptions): Promise<BulkResult> {
    return this.many('delete', routes, options);
  }

  private async many(request: RouteRequest, routes: readonly Route[], options: RtnlBulkOptions | undefined): Promise<BulkResult> {
    if (!Array.isArray(routes)) throw new ValidationError('routes', routes, 'expected an array of routes');
    const intent: RouteIntent = request === 'delete' ? 'delete' : 'add';
    const tables = this.tables();
    const { type, flags } = ROUTE_REQUESTS[request];
    const operation = `${request}Routes`;
    const owner = this.owner;
    // Everything is checked before anything is sent: a bad item rejects the call, an unknown
    // interface too (one lookup per name, after the routes are checked). Then the routes are
    // encoded chunk by chunk, the kernel working on one chunk while the next is written.
    const plain = new PlainRoutes(routes.length);
    const devices = new InterfaceNames();
    const resolved: (ResolvedRoute | undefined)[] = new Array<ResolvedRoute | undefined>(routes.length);
    const altnames: [name: string, field: string][] = [];
    let allPlain = true;
    for (let index = 0; index < routes.length; index++) {
      const route = routes[index]!;
      if (plain.parse(index, route, intent, devices, owner)) continue;
      const full = this.owned(route, resolveRoute(route, `routes[${index}]`, intent, tables, 'lookup'));
      for (const [name, field] of routeInterfaceNames(full, `routes[${index}]`)) {
        // An altname is no name the plain routes take (idOf refuses it): it is looked up apart.
        if (devices.idOf(name, field) < 0) altnames.push([name, field]);
      }
      resolved[index] = full;
      allPlain = false;
    }
    const links = await this.interfaces(operation, [...devices.wanted, ...altnames]);
    plain.useInterfaces(devices.indexes(links));
    if (allPlain) {
      // The usual bulk call: no per-item callbacks at all.
      const errors = await sendChunkedRuns(this.connection, routes.length, 48, (batch, from, to) => plain.writeRun(batch, from, to, operation, type, flags, intent));
      return bulkResult(errors, options);
    }
    const ifindex = (name: string) => links.get(name);
    const errors = await sendChunkedRuns(this.connection, routes.length, 48, (batch, from, to) =>
      writeInRuns(
        from,
        to,
        (index) => resolved[index] === undefined,
        (start, end) => plain.writeRun(batch, start, end, operation, type, flags, intent),
        (index) => {
          batch.begin(batch.operationAt(operation, index), type, flags);
          encodeRoute(batch.writer, resolved[index]!, ifindex);
          batch.end();
        },
      ),
    );
    return bulkResult(errors, options);
  }
}
