import { Batch } from '../netlink/batch.js';
import type { Connection } from '../netlink/connection.js';
import { NLM_F_DUMP, NLM_F_REQUEST } from '../netlink/constants.js';
import { NetlinkError, type OperationRef } from '../netlink/errors.js';
import type { ConnectionProvider } from '../netlink/provider.js';
import type { MessageWriter } from '../netlink/attributes.js';
import { NETLINK_ROUTE } from '../netlink/constants.js';
import { AF_INET, AF_INET6, AF_UNSPEC, RTM_GETROUTE, RTM_GETRULE } from './constants.js';
import { linkNameMap, resolveInterfaces } from './links.js';
import { ROUTE_REQUESTS, decodeRoute, encodeRoute, encodeRouteDumpRequest, resolveRoute, type Route } from './routes.js';
import { RULE_REQUESTS, decodeRule, encodeRule, encodeRuleDumpRequest, resolveRule, type Rule } from './rules.js';
import type { FamilyName } from '../common/ip.js';

/** Sends one message and throws the kernel's error, attributed to `ref`. */
async function single(connection: Connection, ref: OperationRef, type: number, flags: number, write: (w: MessageWriter) => void): Promise<void> {
  const batch = new Batch({ initialCapacity: 256 });
  batch.add(ref, type, flags, write);
  const result = await connection.execute(batch);
  if (result.errors[0]) throw result.errors[0];
}

function familyCode(family: FamilyName | undefined): number {
  return family === 'inet' ? AF_INET : family === 'inet6' ? AF_INET6 : AF_UNSPEC;
}

/** Which rules {@link RuleApi.list} returns. */
export interface RuleFilter {
  /** Only this family (default: both). */
  family?: FamilyName;
  /** Only rules that look up this table. */
  table?: number;
  /** Only rules with this priority. */
  priority?: number;
  /** Only rules matching this fwmark. */
  fwmark?: number;
  /** Only rules with this protocol (owner). */
  protocol?: number;
}

/** Policy routing rules (`ip rule`) in one namespace. */
export class RuleApi {
  constructor(private readonly provider: ConnectionProvider) {}

  private get connection(): Connection {
    return this.provider.connection(NETLINK_ROUTE);
  }

  /**
   * Adds a rule, like `ip rule add`. Rejects with NetlinkError EEXIST if an identical rule
   * exists.
   * @example await handle.rules.add({ fwmark: 65, priority: 1000, table: 1 })
   */
  async add(rule: Rule): Promise<void> {
    const resolved = resolveRule(rule, 'rule');
    await single(this.connection, { operation: 'addRule' }, RULE_REQUESTS.add.type, RULE_REQUESTS.add.flags, (w) => encodeRule(w, resolved));
  }

  /**
   * Deletes the first rule matching every field given, like `ip rule del`. A rule returned by
   * {@link list} deletes exactly that rule. Rejects with ENOENT if none matches.
   */
  async delete(rule: Rule): Promise<void> {
    const resolved = resolveRule(rule, 'rule', true);
    await single(this.connection, { operation: 'deleteRule' }, RULE_REQUESTS.delete.type, RULE_REQUESTS.delete.flags, (w) => encodeRule(w, resolved));
  }

  /** Lists rules, like `ip rule list`, in the kernel's order (by priority). */
  async list(filter: RuleFilter = {}): Promise<Rule[]> {
    const families = filter.family ? [familyCode(filter.family)] : [AF_INET, AF_INET6];
    const rules: Rule[] = [];
    for (const family of families) {
      const messages = await this.connection.dump({ operation: 'listRules' }, RTM_GETRULE, NLM_F_REQUEST | NLM_F_DUMP, (w) => encodeRuleDumpRequest(w, family));
      for (const message of messages) {
        const rule = decodeRule(message);
        if (filter.table !== undefined && rule.table !== filter.table) continue;
        if (filter.priority !== undefined && rule.priority !== filter.priority) continue;
        if (filter.fwmark !== undefined && rule.fwmark !== filter.fwmark) continue;
        if (filter.protocol !== undefined && (rule.protocol ?? 0) !== filter.protocol) continue;
        rules.push(rule);
      }
    }
    return rules;
  }
}

/** Which routes {@link RouteApi.list} returns. */
export interface RouteFilter {
  /** Only this family (default: both). */
  family?: FamilyName;
  /** Only this table (default: main, as `ip route` shows); `'all'` for every table. */
  table?: number | 'all';
  /** Only routes through this interface. */
  dev?: string;
}

/** Routes (`ip route`) in one namespace. */
export class RouteApi {
  constructor(private readonly provider: ConnectionProvider) {}

  private get connection(): Connection {
    return this.provider.connection(NETLINK_ROUTE);
  }

  /**
   * Adds a route, like `ip route add`. Rejects with EEXIST if it exists.
   * @example await handle.routes.add({ dst: 'default', gateway: '192.0.2.1', dev: 'v0', table: 1 })
   */
  async add(route: Route): Promise<void> {
    const resolved = resolveRoute(route, 'route', 'add');
    const links = resolved.dev ? await resolveInterfaces(this.connection, [[resolved.dev, 'route.dev']], this.provider.netnsLabel) : undefined;
    await single(this.connection, { operation: 'addRoute' }, ROUTE_REQUESTS.add.type, ROUTE_REQUESTS.add.flags, (w) =>
      encodeRoute(w, resolved, resolved.dev ? links!.get(resolved.dev) : undefined),
    );
  }

  /**
   * Deletes a route, like `ip route del`: fields left out match anything. A route returned by
   * {@link list} deletes exactly that route. Rejects with ESRCH if none matches.
   */
  async delete(route: Route): Promise<void> {
    const resolved = resolveRoute(route, 'route', 'delete');
    const links = resolved.dev ? await resolveInterfaces(this.connection, [[resolved.dev, 'route.dev']], this.provider.netnsLabel) : undefined;
    await single(this.connection, { operation: 'deleteRoute' }, ROUTE_REQUESTS.delete.type, ROUTE_REQUESTS.delete.flags, (w) =>
      encodeRoute(w, resolved, resolved.dev ? links!.get(resolved.dev) : undefined),
    );
  }

  /** Lists routes, like `ip route show`; the table, family and device filters run in the kernel. */
  async list(filter: RouteFilter = {}): Promise<Route[]> {
    const connection = this.connection;
    const [names, ifindex] = await Promise.all([
      linkNameMap(connection),
      filter.dev ? resolveInterfaces(connection, [[filter.dev, 'filter.dev']], this.provider.netnsLabel).then((m) => m.get(filter.dev!)) : undefined,
    ]);
    const table = filter.table === 'all' ? undefined : (filter.table ?? 254);
    const families = filter.family ? [familyCode(filter.family)] : [AF_INET, AF_INET6];
    const routes: Route[] = [];
    for (const family of families) {
      let messages;
      try {
        messages = await connection.dump({ operation: 'listRoutes' }, RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP, (w) =>
          encodeRouteDumpRequest(w, { family, table, ifindex }),
        );
      } catch (error) {
        // A table that holds no route of this family does not exist for it: nothing to list.
        if (table !== undefined && error instanceof NetlinkError && error.code === 'ENOENT') continue;
        throw error;
      }
      for (const message of messages) routes.push(decodeRoute(message, (index) => names.get(index)));
    }
    return routes;
  }
}

/** Network interfaces (`ip link`) in one namespace. */
export class LinkApi {
  constructor(protected readonly provider: ConnectionProvider) {}
}

/** Interface addresses (`ip addr`) in one namespace. */
export class AddressApi {
  constructor(protected readonly provider: ConnectionProvider) {}
}
