/**
 * Planning: the document compared with what its owner holds in the kernel, giving the minimal
 * changes in the order apply makes them. Only reads: owned rules and routes (the kernel filters
 * the dumps by protocol), the nexthop objects, the table list of nf_tables, and the document's
 * sysctls.
 */
import type { Handle } from '../handle.js';
import { ValidationError } from '../netlink/errors.js';
import type { NftFamily } from '../nft/json.js';
import { resolveNexthopObject, type NexthopObject, type ResolvedNexthopObject } from '../rtnl/nexthops.js';
import { ownerId } from '../rtnl/owner.js';
import { resolveRoute, type ResolvedRoute, type Route } from '../rtnl/routes.js';
import { resolveRule, ruleIdentity, type Rule } from '../rtnl/rules.js';
import { TableResolver, tableNamesOf } from '../rtnl/tables.js';
import { nexthopKindsDiffer, nexthopSatisfies, routeSatisfies, routeSlot } from './compare.js';
import { checkDocument, sysctlText, type CheckedDocument, type DesiredTable, type PolicyDocument } from './document.js';
import { PolicyConflictError } from './errors.js';
import { listTables } from './nft-tables.js';

/** One change of a plan. `operation` is what an error names if the kernel refuses it. */
export type PlanChange =
  | { object: 'route'; action: 'add' | 'replace' | 'delete'; operation: 'addRoute' | 'replaceRoute' | 'deleteRoute'; route: Route; previous?: Route }
  | { object: 'rule'; action: 'add' | 'delete'; operation: 'addRule' | 'deleteRule'; rule: Rule }
  | { object: 'nexthop'; action: 'add' | 'replace' | 'delete'; operation: 'addNexthop' | 'replaceNexthop' | 'deleteNexthop'; nexthop: NexthopObject; previous?: NexthopObject }
  | { object: 'nftTable'; action: 'add' | 'replace' | 'delete'; operation: 'nft transaction'; family: NftFamily; name: string }
  | { object: 'sysctl'; action: 'set'; operation: 'setSysctl'; key: string; value: string; previous: string };

/** What {@link planPolicy} returns: the changes apply would make, in its order. */
export interface PolicyPlan {
  /** The owner id the plan was made for. */
  owner: number;
  /**
   * The changes, in the order apply makes them: nexthop object adds and replaces (single ones
   * before groups), route adds and replaces, rule deletes, rule adds, route deletes, nexthop
   * object deletes (groups first), the nf_tables transaction (one change per table), sysctls.
   * A rule that changes is a delete and an add (rules cannot be replaced); a route that changes
   * in its slot is a replace, and so is a nexthop object that changes under its id; a table that
   * changes is replaced whole, atomically.
   */
  changes: PlanChange[];
  /** True when the kernel already holds the document: apply would send nothing. */
  empty: boolean;
  /** How many changes of each kind. */
  summary: { add: number; replace: number; delete: number; set: number };
}

/** Options for {@link planPolicy}. */
export interface PlanOptions {
  /** The owner id (default: the handle's `owner`). */
  owner?: number;
}

/** What apply needs besides the plan itself. */
export interface PlanDetails {
  document: CheckedDocument;
  /** nf_tables tables to create (added or replaced). */
  createTables: DesiredTable[];
  /** Owned tables to remove before (replaced or deleted). */
  removeTables: { family: NftFamily; name: string }[];
}

const details = new WeakMap<PolicyPlan, PlanDetails>();

/** The details apply needs for a plan made by {@link planPolicy}. */
export function planDetails(plan: PolicyPlan): PlanDetails {
  const found = details.get(plan);
  if (found === undefined) throw new ValidationError('plan', plan, 'expected a plan made by planPolicy');
  return found;
}

/** The owner a call works for: the option, else the handle's. */
export function ownerFor(handle: Handle, owner: number | undefined): number {
  if (owner !== undefined) return ownerId(owner, 'options.owner');
  if (handle.owner !== undefined) return handle.owner;
  throw new ValidationError('options.owner', undefined, 'a policy needs an owner id: open the handle with { owner: ID } or pass { owner: ID }');
}

function readSysctl(handle: Handle, key: string): Promise<string> {
  return handle.sysctl.get(key);
}

/** The nexthop object changes of a plan, each list in the order apply sends it. */
interface NexthopChanges {
  adds: PlanChange[];
  replaces: PlanChange[];
  deletes: PlanChange[];
  /** Ids of the owner's objects that go. */
  deleted: Set<number>;
}

/**
 * Nexthop objects by id: the document's against the kernel's. An id held by another owner, a
 * group against a single nexthop, or a resilient group's bucket count cannot be changed by a
 * replace, and reject as conflicts; the owner's objects the document leaves out are deleted.
 */
function planNexthops(wanted: CheckedDocument['nexthops'], listed: NexthopObject[], owner: number): NexthopChanges {
  const held = new Map<number, { nexthop: NexthopObject; resolved: ResolvedNexthopObject }>();
  for (const nexthop of listed) held.set(nexthop.id!, { nexthop, resolved: resolveNexthopObject(nexthop, 'held', 'replace') });
  const singlesFirst = (a: { resolved: ResolvedNexthopObject }, b: { resolved: ResolvedNexthopObject }) => +(a.resolved.group !== undefined) - +(b.resolved.group !== undefined);
  const adds: PlanChange[] = [];
  const replaces: PlanChange[] = [];
  for (const item of [...wanted].sort(singlesFirst)) {
    const id = item.resolved.id;
    const found = held.get(id);
    held.delete(id);
    if (found === undefined) {
      adds.push({ object: 'nexthop', action: 'add', operation: 'addNexthop', nexthop: item.nexthop });
      continue;
    }
    const conflict = (why: string) => new PolicyConflictError(`nexthops[${item.index}]`, `nexthop ${id} ${why}; routemark never changes it`);
    if (found.resolved.protocol !== owner) throw conflict(`exists and is not owner ${owner}'s (its protocol is ${found.resolved.protocol})`);
    if (nexthopKindsDiffer(item.resolved, found.resolved)) {
      throw conflict('is another kind in the kernel (a group and a single nexthop, or groups of two types, cannot replace one another): remove it with a document without it first');
    }
    if (item.resolved.buckets !== undefined && found.resolved.buckets !== undefined && item.resolved.buckets !== found.resolved.buckets) {
      throw conflict(`has ${found.resolved.buckets} buckets in the kernel, which a replace cannot change: remove it with a document without it first`);
    }
    if (!nexthopSatisfies(item.resolved, found.resolved)) {
      replaces.push({ object: 'nexthop', action: 'replace', operation: 'replaceNexthop', nexthop: item.nexthop, previous: found.nexthop });
    }
  }
  const deletes: PlanChange[] = [];
  const deleted = new Set<number>();
  for (const [id, item] of [...held].sort(([, a], [, b]) => -singlesFirst(a, b))) {
    if (item.resolved.protocol !== owner) continue;
    deleted.add(id);
    deletes.push({ object: 'nexthop', action: 'delete', operation: 'deleteNexthop', nexthop: item.nexthop, previous: item.nexthop });
  }
  return { adds, replaces, deletes, deleted };
}

/**
 * Compares a policy document with what its owner holds and returns the minimal changes, without
 * changing anything. Bad input rejects with a ValidationError naming the field; an nf_tables
 * table of the document's name that another owner holds rejects with a PolicyConflictError.
 *
 * @example
 * ```ts
 * const plan = await planPolicy(ns, { rules: [{ fwmark: 65, priority: 1000, table: 100 }] });
 * for (const change of plan.changes) console.log(change.action, change.object);
 * ```
 */
export async function planPolicy(handle: Handle, document: PolicyDocument, options: PlanOptions = {}): Promise<PolicyPlan> {
  const owner = ownerFor(handle, options.owner);
  const tables = new TableResolver(tableNamesOf(handle));
  const checked = checkDocument(document, owner, tables);
  const [heldRules, heldRoutes, heldNexthops, heldTables, sysctls] = await Promise.all([
    handle.rules.list({ protocol: owner }),
    handle.routes.list({ table: 'all', protocol: owner }),
    handle.nexthops.list(),
    listTables(handle),
    Promise.all(checked.sysctls.map(async (s) => ({ ...s, current: sysctlText(await readSysctl(handle, s.key)) }))),
  ]);

  const changes: PlanChange[] = [];
  // Routes: the kernel holds one per slot, but what came in with NLM_F_APPEND may share one.
  const heldBySlot = new Map<string, { route: Route; resolved: ResolvedRoute }[]>();
  for (const route of heldRoutes) {
    const resolved = resolveRoute(route, 'held', 'add', tables);
    const slot = routeSlot(resolved);
    const list = heldBySlot.get(slot);
    if (list === undefined) heldBySlot.set(slot, [{ route, resolved }]);
    else list.push({ route, resolved });
  }
  const routeAdds: PlanChange[] = [];
  const routeReplaces: PlanChange[] = [];
  const routeDeletes: PlanChange[] = [];
  const deleteRoute = (route: Route): PlanChange => ({ object: 'route', action: 'delete', operation: 'deleteRoute', route, previous: route });
  for (const wanted of checked.routes) {
    const held = heldBySlot.get(wanted.slot);
    heldBySlot.delete(wanted.slot);
    if (held === undefined) {
      routeAdds.push({ object: 'route', action: 'add', operation: 'addRoute', route: wanted.route });
      continue;
    }
    // NLM_F_REPLACE takes the first route of the slot; any others go.
    if (!routeSatisfies(wanted.resolved, held[0]!.resolved)) {
      routeReplaces.push({ object: 'route', action: 'replace', operation: 'replaceRoute', route: wanted.route, previous: held[0]!.route });
    }
    for (const extra of held.slice(1)) routeDeletes.push(deleteRoute(extra.route));
  }
  for (const held of heldBySlot.values()) for (const { route } of held) routeDeletes.push(deleteRoute(route));
  // Rules: by identity; a changed rule is a delete and an add; duplicates of one go.
  const heldIdentities = new Map<string, Rule[]>();
  for (const rule of heldRules) {
    const identity = ruleIdentity(resolveRule(rule, 'held', false, tables));
    const list = heldIdentities.get(identity);
    if (list === undefined) heldIdentities.set(identity, [rule]);
    else list.push(rule);
  }
  const wantedIdentities = new Set(checked.rules.map((r) => r.identity));
  const ruleDeletes: PlanChange[] = [];
  for (const [identity, rules] of heldIdentities) {
    for (const rule of wantedIdentities.has(identity) ? rules.slice(1) : rules) {
      ruleDeletes.push({ object: 'rule', action: 'delete', operation: 'deleteRule', rule });
    }
  }
  const ruleAdds: PlanChange[] = checked.rules
    .filter((r) => !heldIdentities.has(r.identity))
    .map((r) => ({ object: 'rule', action: 'add', operation: 'addRule', rule: r.rule }));
  const nexthopChanges = planNexthops(checked.nexthops, heldNexthops, owner);
  for (const route of checked.routes) {
    const id = route.resolved.nexthopId;
    if (id !== undefined && nexthopChanges.deleted.has(id)) {
      throw new ValidationError(`routes[${route.index}].nexthopId`, id, `nexthop ${id} is owner ${owner}'s and not in the document: it would be deleted, and the route with it`);
    }
  }
  changes.push(...nexthopChanges.adds, ...nexthopChanges.replaces, ...routeAdds, ...routeReplaces, ...ruleDeletes, ...ruleAdds, ...routeDeletes, ...nexthopChanges.deletes);

  // nf_tables: whole tables, by digest.
  const createTables: DesiredTable[] = [];
  const removeTables: { family: NftFamily; name: string }[] = [];
  const heldByName = new Map(heldTables.map((t) => [`${t.family}|${t.name}`, t]));
  const wantedTables = new Set<string>();
  for (const table of checked.tables) {
    const key = `${table.family}|${table.name}`;
    wantedTables.add(key);
    const held = heldByName.get(key);
    if (held === undefined) {
      createTables.push(table);
      changes.push({ object: 'nftTable', action: 'add', operation: 'nft transaction', family: table.family, name: table.name });
      continue;
    }
    if (held.owner !== owner) {
      throw new PolicyConflictError(
        `nftables[${table.index}].table`,
        `table ${table.family} ${table.name} exists and is not owner ${owner}'s (${held.owner === undefined ? 'it carries no owner tag' : `it is owner ${held.owner}'s`}); routemark never changes it`,
      );
    }
    if (held.digest === table.digest) continue;
    createTables.push(table);
    removeTables.push({ family: table.family, name: table.name });
    changes.push({ object: 'nftTable', action: 'replace', operation: 'nft transaction', family: table.family, name: table.name });
  }
  for (const held of heldTables) {
    if (held.owner !== owner || wantedTables.has(`${held.family}|${held.name}`)) continue;
    removeTables.push({ family: held.family, name: held.name });
    changes.push({ object: 'nftTable', action: 'delete', operation: 'nft transaction', family: held.family, name: held.name });
  }

  for (const sysctl of sysctls) {
    if (sysctl.current !== sysctl.value) {
      changes.push({ object: 'sysctl', action: 'set', operation: 'setSysctl', key: sysctl.key, value: sysctl.value, previous: sysctl.current });
    }
  }

  const summary = { add: 0, replace: 0, delete: 0, set: 0 };
  for (const change of changes) summary[change.action]++;
  const plan: PolicyPlan = { owner, changes, empty: changes.length === 0, summary };
  details.set(plan, { document: checked, createTables, removeTables });
  return plan;
}
