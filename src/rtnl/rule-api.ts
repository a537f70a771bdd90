/** Policy routing rules (`ip rule`): add, delete, ensure, remove, list, flush, addMany, deleteMany. */
import type { FamilyName } from '../common/ip.js';
import { Batch } from '../netlink/batch.js';
import { NLM_F_DUMP, NLM_F_REQUEST } from '../netlink/constants.js';
import { Errno } from '../netlink/errno.js';
import { NetlinkError, ValidationError } from '../netlink/errors.js';
import type { NetlinkMessage } from '../netlink/message.js';
import { keepShape } from '../shapes.js';
import { type RtnlBulkOptions, type BulkResult, RtnlApi, bulkResult, familiesOf } from './base.js';
import { AF_INET, AF_INET6, AF_UNSPEC, RTM_GETRULE } from './constants.js';
import { ABSENT, MAX_RULE_BYTES, PlainRules, writeInRuns } from './fast.js';
import { protocolCode, type RouteProtocolName } from './names.js';
import {
  RULE_REQUESTS,
  decodeRule,
  encodeRule,
  encodeRuleDumpRequest,
  resolveRule,
  ruleDeleteMatches,
  ruleExactHash,
  ruleIdentity,
  ruleShadows,
  type ResolvedRule,
  type Rule,
  type RuleAction,
} from './rules.js';
import { TableResolver, tableNamesOf, type TableRef } from './tables.js';

const { EEXIST } = Errno;

/** Which rules {@link RuleApi.list} (and {@link RuleApi.flush}) take. Every field given must match. */
export interface RuleFilter {
  /** Only this family (default: both). */
  family?: FamilyName;
  /** Only rules that look up this table (an id or a name). */
  table?: TableRef;
  /** Only rules with this priority. */
  priority?: number;
  /** Only rules matching this fwmark. */
  fwmark?: number;
  /** Only rules with this protocol (owner tag). */
  protocol?: RouteProtocolName | number;
  /** Only rules of the handle's owner (its `owner` option; a ValidationError without one). */
  owned?: boolean;
  /** Only rules with this action. */
  action?: RuleAction;
  /** Only rules for this incoming interface. */
  iif?: string;
  /** Only rules for this outgoing interface. */
  oif?: string;
  /** Report tables by name where rt_tables has one (`table: 'main'`), as `ip rule` prints them. */
  tableNames?: boolean;
}

const FILTER_KEYS: ReadonlySet<string> = new Set(['family', 'table', 'priority', 'fwmark', 'protocol', 'owned', 'action', 'iif', 'oif', 'tableNames']);

// RuleSet: what findShadowOrAdd returns when nothing shadows; slot markers.
const NONE = -0x7fffffff;
const EMPTY = 0;
const REMOVED = -0x80000000;

/**
 * Rules by their exact-fields hash, in an open-addressing table of typed arrays (cheaper than a
 * Map of buckets for 10k items). Each entry is added at most once, so the table never fills.
 * Entries are integers (the caller decides what they mean); `shadows(found, candidate)` settles
 * hash collisions: whether entry `found` is in the way of entry `candidate`.
 */
class RuleSet {
  private readonly mask: number;
  private readonly hashes: Int32Array;
  /** entry + 1 for entries >= 0, the entry itself for entries < 0; EMPTY, REMOVED. */
  private readonly slots: Int32Array;

  constructor(capacity: number, private readonly shadows: (found: number, candidate: number) => boolean) {
    let size = 16;
    while (size < capacity * 1.5) size *= 2; // at most two thirds full
    this.mask = size - 1;
    this.hashes = new Int32Array(size);
    this.slots = new Int32Array(size);
  }

  add(hash: number, entry: number): void {
    let at = hash & this.mask;
    // Never into a REMOVED slot: a probe must meet a bucket's entries in the order they came.
    while (this.slots[at] !== EMPTY) at = (at + 1) & this.mask;
    this.hashes[at] = hash;
    this.slots[at] = entry >= 0 ? entry + 1 : entry;
  }

  remove(hash: number, entry: number): void {
    const slot = entry >= 0 ? entry + 1 : entry;
    for (let at = hash & this.mask; this.slots[at] !== EMPTY; at = (at + 1) & this.mask) {
      if (this.slots[at] === slot) {
        this.slots[at] = REMOVED;
        return;
      }
    }
  }

  /**
   * The first entry (in insertion order of its bucket) that shadows `entry`, or NONE; existing
   * rules come back as -1. When nothing shadows it, `entry` is added in the empty slot where the
   * search ended: one probe sequence, not one to look and one to add.
   */
  findShadowOrAdd(hash: number, entry: number): number {
    let at = hash & this.mask;
    for (; this.slots[at] !== EMPTY; at = (at + 1) & this.mask) {
      const slot = this.slots[at]!;
      if (slot === REMOVED || this.hashes[at] !== hash) continue;
      const found = slot > 0 ? slot - 1 : slot;
      if (this.shadows(found, entry)) return Math.max(found, -1);
    }
    this.hashes[at] = hash;
    this.slots[at] = entry >= 0 ? entry + 1 : entry;
    return NONE;
  }
}

/**
 * Every rule of a bulk call, checked before anything is sent: the plain ones as numbers (see
 * PlainRules), the others resolved by the general path, which also reports bad input. A rule
 * that names no protocol gets `owner`'s.
 */
class CheckedRules {
  readonly count: number;
  /** Whether every rule has a priority (then the order they are sent in is free). */
  readonly allPrioritized: boolean;
  private readonly plain: PlainRules;
  /** The rules the fast path declined, resolved; undefined where it took them (or for all). */
  private readonly general: (ResolvedRule | undefined)[] | undefined;

  constructor(rules: readonly Rule[], forDelete: boolean, tables: TableResolver, owner: number | undefined) {
    const count = rules.length;
    const plain = new PlainRules(count);
    let general: (ResolvedRule | undefined)[] | undefined;
    let allPrioritized = true;
    for (let i = 0; i < count; i++) {
      const rule = rules[i]!;
      if (plain.parse(i, rule, forDelete, owner)) {
        if (plain.priority(i) === ABSENT) allPrioritized = false;
        continue;
      }
      const resolved = resolveRule(rule, `rules[${i}]`, forDelete, tables);
      if (owner !== undefined && resolved.protocol === undefined) resolved.protocol = owner;
      if (resolved.priority === undefined) allPrioritized = false;
      (general ??= new Array<ResolvedRule | undefined>(count))[i] = resolved;
    }
    this.count = count;
    this.allPrioritized = allPrioritized;
    this.plain = plain;
    this.general = general;
  }

  /** Rule `i`, resolved. */
  rule(i: number): ResolvedRule {
    return this.general?.[i] ?? this.plain.resolved(i);
  }

  /** The priority of rule `i` (ABSENT if it has none). */
  priority(i: number): number {
    const general = this.general?.[i];
    return general === undefined ? this.plain.priority(i) : (general.priority ?? ABSENT);
  }

  /** ruleExactHash of rule `i`. */
  hash(i: number): number {
    const general = this.general?.[i];
    return general === undefined ? this.plain.hash(i) : ruleExactHash(general);
  }

  /** ruleShadows(rule(a), rule(b)). */
  shadows(a: number, b: number): boolean {
    const general = this.general;
    if (general === undefined || (general[a] === undefined && general[b] === undefined)) return this.plain.same(a, b);
    return ruleShadows(this.rule(a), this.rule(b));
  }

  /** Adds the messages of rules `order[from..to)` to a batch, as operations (`operation`, item). */
  writeRun(batch: Batch, order: ArrayLike<number>, from: number, to: number, operation: string, request: { type: number; flags: number }): void {
    const general = this.general;
    if (general === undefined) return this.plain.writeRun(batch, order, from, to, operation, request.type, request.flags);
    writeInRuns(
      from,
      to,
      (k) => general[order[k]!] === undefined,
      (start, end) => this.plain.writeRun(batch, order, start, end, operation, request.type, request.flags),
      (k) => {
        batch.begin(batch.operationAt(operation, order[k]!), request.type, request.flags);
        encodeRule(batch.writer, general[order[k]!]!);
        batch.end();
      },
    );
  }
}

keepShape(new RuleSet(0, () => false));
keepShape(new CheckedRules([], false, new TableResolver(tableNamesOf(undefined)), undefined));

/**
 * Item indexes (in the caller's order) sorted by priority, descending or ascending; equal
 * priorities keep the caller's order (the kernel appends a rule after those of the same
 * priority, so one by one they end up in that order). Input already in order costs one pass.
 */
function byPriority(indexes: Int32Array, rules: CheckedRules, descending: boolean): Int32Array {
  const sign = descending ? -1 : 1;
  let ascending = true;
  let strictlyDescending = true;
  for (let k = 1; k < indexes.length; k++) {
    const d = (rules.priority(indexes[k]!) - rules.priority(indexes[k - 1]!)) * sign;
    if (d < 0) ascending = false;
    if (d >= 0) strictlyDescending = false;
  }
  if (ascending) return indexes;
  if (strictlyDescending) return indexes.slice().reverse();
  return indexes.slice().sort((a, b) => (rules.priority(a) - rules.priority(b)) * sign || a - b);
}

/**
 * Whether no two items of `order` (descending priority) share a priority, and none shares one
 * with an `existing` rule (of either family: the kernel would tell them apart, this need not).
 */
function prioritiesApart(order: Int32Array, rules: CheckedRules, existing: readonly Rule[]): boolean {
  for (let k = 1; k < order.length; k++) if (rules.priority(order[k]!) === rules.priority(order[k - 1]!)) return false;
  const taken = existing.map((rule) => rule.priority ?? 0).sort((a, b) => b - a);
  // Both descending: one walk finds any priority in both.
  for (let k = 0, j = 0; k < order.length && j < taken.length; ) {
    const priority = rules.priority(order[k]!);
    if (priority === taken[j]) return false;
    if (priority > taken[j]!) k++;
    else j++;
  }
  return true;
}

/** 0, 1, ..., count - 1. */
function identityOrder(count: number): Int32Array {
  const order = new Int32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  return order;
}

/** Policy routing rules (`ip rule`) in one namespace. */
export class RuleApi extends RtnlApi {
  /**
   * Adds a rule, like `ip rule add`. Rejects with NetlinkError EEXIST if the kernel finds the
   * same rule (see `ip rule`: rules without a source match any source when compared). On a
   * handle with an owner, a rule without `protocol` is tagged with the owner id.
   * @example await handle.rules.add({ fwmark: 65, priority: 1000, table: 'hof' })
   */
  async add(rule: Rule): Promise<void> {
    const resolved = this.owned(resolveRule(rule, 'rule', false, this.tables()));
    await this.single({ operation: 'addRule' }, RULE_REQUESTS.add.type, RULE_REQUESTS.add.flags, (w) => encodeRule(w, resolved));
  }

  /**
   * Deletes the first rule matching every field given, like `ip rule del`. A rule returned by
   * {@link list} deletes exactly that rule. Rejects with ENOENT if none matches. On a handle with
   * an owner, a rule without `protocol` matches only the owner's rules (the kernel compares it).
   */
  delete(rule: Rule): Promise<void> {
    return this.deleteFor('deleteRule', rule);
  }

  /** {@link delete} on behalf of `operation` (delete or remove), whose name its failures carry. */
  private async deleteFor(operation: string, rule: Rule): Promise<void> {
    const resolved = this.owned(resolveRule(rule, 'rule', true, this.tables()));
    await this.single({ operation }, RULE_REQUESTS.delete.type, RULE_REQUESTS.delete.flags, (w) => encodeRule(w, resolved));
  }

  /**
   * Makes sure the rule exists: adds it unless a rule with exactly these fields is there
   * (without a priority, any priority will do). Resolves true if it added the rule.
   * @example await handle.rules.ensure({ uidrange: '469-469', priority: 500, table: 200 })
   */
  async ensure(rule: Rule): Promise<boolean> {
    const tables = this.tables();
    const resolved = this.owned(resolveRule(rule, 'rule', false, tables));
    const wanted = ruleIdentity(resolved);
    for (const message of await this.dump('ensureRule', 'looking for the same rule (RTM_GETRULE dump)', resolved.family)) {
      const existing = resolveRule(decodeRule(message), 'existing', false);
      if (resolved.priority === undefined) existing.priority = undefined;
      if (ruleIdentity(existing) === wanted) return false;
    }
    try {
      await this.single({ operation: 'ensureRule' }, RULE_REQUESTS.add.type, RULE_REQUESTS.add.flags, (w) => encodeRule(w, resolved));
    } catch (error) {
      if (!(error instanceof NetlinkError && error.code === 'EEXIST')) throw error;
      // The kernel compares source, destination and tos loosely: a rule that only looks the same
      // to it is in the way. Exactly this rule is not there, so add it all the same.
      await this.single({ operation: 'ensureRule' }, RULE_REQUESTS.addUnchecked.type, RULE_REQUESTS.addUnchecked.flags, (w) => encodeRule(w, resolved));
    }
    return true;
  }

  /** Deletes the rule if it exists, like {@link delete} without the ENOENT. Resolves true if it deleted one. */
  async remove(rule: Rule): Promise<boolean> {
    try {
      await this.deleteFor('removeRule', rule);
      return true;
    } catch (error) {
      if (error instanceof NetlinkError && error.code === 'ENOENT') return false;
      throw error;
    }
  }

  /** Lists rules, like `ip rule list`, in the kernel's order (by priority), IPv4 first. */
  list(filter: RuleFilter = {}): Promise<Rule[]> {
    return this.listFor('listRules', filter);
  }

  /** {@link list} on behalf of `operation` (list or flush), whose name its failures carry. */
  private async listFor(operation: string, filter: RuleFilter): Promise<Rule[]> {
    const tables = this.tables();
    const match = this.matcher(filter, tables);
    const display = filter.tableNames ? (id: number) => tables.display(id) : undefined;
    const families = familiesOf(filter.family);
    const rules: Rule[] = [];
    for (const family of families) {
      for (const message of await this.dump(operation, 'listing rules (RTM_GETRULE dump)', family)) {
        const rule = decodeRule(message);
        if (!match(rule)) continue;
        if (display && typeof rule.table === 'number') rule.table = display(rule.table);
        rules.push(rule);
      }
    }
    return rules;
  }

  /**
   * Deletes every rule the filter selects (e.g. `{ table: 'hof' }` or `{ protocol: 99 }`), like
   * `ip rule flush`; the rule at priority 0 (lookup local) is never touched. On a handle with an
   * owner only the owner's rules are flushed unless the filter names a protocol. Resolves with
   * the number of rules deleted.
   *
   * The kernel deletes the first rule a request matches, and fields a rule lacks match anything:
   * a rule selected for the flush whose request would take an earlier rule that is not selected
   * (say a plain rule after a more specific one at its priority) stops the flush before anything
   * is deleted, with a ValidationError naming both. (`ip rule flush` deletes the wrong one.)
   */
  async flush(filter: Omit<RuleFilter, 'tableNames'> = {}): Promise<number> {
    const scoped = this.ownerScope(filter);
    const select = this.matcher(scoped, this.tables());
    const families = familiesOf(scoped.family);
    // One dump of every rule: the selected ones, and all that their deletes might take instead.
    const held = await this.listFor('flushRules', { tableNames: false });
    const rules = held.filter((r) => r.priority !== 0 && families.includes(r.family === 'inet6' ? AF_INET6 : AF_INET) && select(r));
    if (rules.length > 0) this.checkDeletesTakeThemselves(filter, rules, held);
    const result = await this.deleteMany(rules);
    return result.succeeded;
  }

  /**
   * Throws unless deleting `selected` (as deleteMany sends them: by ascending priority) deletes
   * exactly those of `held` (every rule, in the kernel's order), by the kernel's rule_find. The
   * ValidationError names the caller's `filter` as the field and gives it as the value; its
   * message names the rule the filter selects and the one its delete would take instead.
   */
  private checkDeletesTakeThemselves(filter: Omit<RuleFilter, 'tableNames'>, selected: Rule[], held: Rule[]): void {
    const tables = this.tables();
    const remaining = held.map((rule) => ({ rule, resolved: resolveRule(rule, 'existing', false, tables), identity: '' }));
    for (const entry of remaining) entry.identity = ruleIdentity(entry.resolved);
    const wanted = new Map<string, number>();
    for (const rule of selected) {
      const identity = ruleIdentity(resolveRule(rule, 'rule', false, tables));
      wanted.set(identity, (wanted.get(identity) ?? 0) + 1);
    }
    const order = [...selected].sort((a, b) => (a.priority ?? 0) - (b.priority ?? 0));
    for (const rule of order) {
      const request = resolveRule(rule, 'rule', true, tables);
      if (request.protocol === undefined && rule.protocol === undefined && this.owner !== undefined) request.protocol = this.owner;
      const at = remaining.findIndex((entry) => ruleDeleteMatches(request, entry.resolved));
      if (at < 0) continue; // gone meanwhile: ENOENT in the result
      const taken = remaining[at]!;
      const left = wanted.get(taken.identity) ?? 0;
      if (left === 0) {
        throw new ValidationError('filter', filter, `selects ${JSON.stringify(rule)}, and deleting it would delete ${JSON.stringify(taken.rule)} instead, which the filter does not select: the kernel deletes the first rule a request matches, and this rule's fields match that one too; delete that rule first, or flush with a filter that selects it`);
      }
      wanted.set(taken.identity, left - 1);
      remaining.splice(at, 1);
    }
  }

  /**
   * Adds many rules with as few system calls as the socket buffers allow, with the outcome of
   * each in the caller's order, exactly as if they had been added one by one with {@link add}:
   * duplicates (of existing rules or of earlier items) get EEXIST. When every rule has a
   * priority, it checks duplicates itself against one dump and sends the rules in descending
   * priority without NLM_F_EXCL, the order in which the kernel inserts each in constant time.
   * Bad input rejects with a ValidationError before anything is sent.
   */
  async addMany(rules: readonly Rule[], options?: RtnlBulkOptions): Promise<BulkResult> {
    if (!Array.isArray(rules)) throw new ValidationError('rules', rules, 'expected an array of rules');
    const checked = new CheckedRules(rules, false, this.tables(), this.owner);
    if (!checked.allPrioritized) {
      // The kernel picks priorities from what is already there: only the caller's order gives
      // the same result.
      const batch = new Batch({ initialCapacity: checked.count * 64 + 64 });
      checked.writeRun(batch, identityOrder(checked.count), 0, checked.count, 'addRules', RULE_REQUESTS.add);
      return bulkResult(await this.runIndexed(batch, checked.count), options);
    }
    // Bad input is refused before any I/O; then one dump of both families for the duplicate check.
    const dumped = await this.dump('addRules', 'checking for rules that exist (RTM_GETRULE dump)', AF_UNSPEC);
    return bulkResult(await this.addManyFast(checked, dumped), options);
  }

  private async addManyFast(items: CheckedRules, dumped: NetlinkMessage[]): Promise<(NetlinkError | undefined)[]> {
    const count = items.count;
    const decoded = dumped.map((message) => decodeRule(message));
    const order = byPriority(identityOrder(count), items, true);
    if (prioritiesApart(order, items, decoded)) {
      // The kernel's rules compare equal only at one priority: with no priority shared (the
      // usual bulk call: a rule per priority), nothing can be a duplicate, and no check is due.
      return this.runChunked(order, count, MAX_RULE_BYTES, (batch, order, from, to) => items.writeRun(batch, order, from, to, 'addRules', RULE_REQUESTS.addUnchecked));
    }
    const errors = new Array<NetlinkError | undefined>(count).fill(undefined);
    const existing: ResolvedRule[] = [];
    for (const rule of decoded) existing.push(resolveRule(rule, 'existing', false));
    // What the kernel holds, by the fields it compares exactly: the rules that were there
    // (entry -1 - j for the j-th) and the items accepted so far (entry i).
    const held = new RuleSet(count + existing.length, (found, candidate) =>
      found < 0 ? ruleShadows(existing[-1 - found]!, items.rule(candidate)) : items.shadows(found, candidate),
    );
    for (let j = 0; j < existing.length; j++) held.add(ruleExactHash(existing[j]!), -1 - j);
    const keys = new Int32Array(count);
    for (let i = 0; i < count; i++) keys[i] = items.hash(i);
    const shadowedBy = new Int32Array(count).fill(-1);
    let pending: number[] | undefined; // undefined: every item, in order
    for (;;) {
      // Decide in the caller's order, as the kernel would have, one by one.
      const rounds = pending === undefined ? count : pending.length;
      const taken = new Int32Array(rounds);
      let acceptedCount = 0;
      for (let k = 0; k < rounds; k++) {
        const i = pending === undefined ? k : pending[k]!;
        const shadow = held.findShadowOrAdd(keys[i]!, i);
        if (shadow === NONE) {
          taken[acceptedCount++] = i;
        } else if (shadow >= 0) {
          shadowedBy[i] = shadow;
        } else {
          errors[i] = this.exists(i);
        }
      }
      const accepted = taken.subarray(0, acceptedCount);
      const sent = await this.runChunked(byPriority(accepted, items, true), count, MAX_RULE_BYTES, (batch, order, from, to) => items.writeRun(batch, order, from, to, 'addRules', RULE_REQUESTS.addUnchecked));
      let refused = false;
      for (let k = 0; k < accepted.length; k++) {
        const i = accepted[k]!;
        const error = sent[i];
        if (error === undefined) continue;
        errors[i] = error;
        refused = true;
        held.remove(keys[i]!, i); // not in the kernel after all
      }
      if (!refused) break;
      // An item that only collided with one the kernel refused gets its own chance, as it
      // would have had one by one.
      pending = [];
      for (let i = 0; i < count; i++) {
        const from = shadowedBy[i]!;
        if (from >= 0 && errors[from] !== undefined) {
          shadowedBy[i] = -1;
          pending.push(i);
        }
      }
      if (pending.length === 0) break;
    }
    // The rest collided with an item that was added: EEXIST, as the second of two adds gets.
    for (let i = 0; i < count; i++) if (shadowedBy[i]! >= 0) errors[i] = this.exists(i);
    return errors;
  }

  /** A rule that names no protocol gets the handle's owner, if it has one. */
  private owned(rule: ResolvedRule): ResolvedRule {
    const owner = this.owner;
    if (owner !== undefined && rule.protocol === undefined) rule.protocol = owner;
    return rule;
  }

  private exists(index: number): NetlinkError {
    return new NetlinkError({ errno: EEXIST, operation: 'addRules', index, netns: this.provider.netnsLabel, detail: 'the same rule exists' });
  }

  /**
   * Deletes many rules, with the outcome of each in the caller's order, as if deleted one by
   * one with {@link delete}. When every rule has a priority they are sent in ascending priority,
   * which the kernel handles fastest.
   */
  async deleteMany(rules: readonly Rule[], options?: RtnlBulkOptions): Promise<BulkResult> {
    if (!Array.isArray(rules)) throw new ValidationError('rules', rules, 'expected an array of rules');
    const checked = new CheckedRules(rules, true, this.tables(), this.owner);
    const indexes = identityOrder(checked.count);
    const order = checked.allPrioritized ? byPriority(indexes, checked, false) : indexes;
    return bulkResult(await this.runChunked(order, checked.count, MAX_RULE_BYTES, (batch, order, from, to) => checked.writeRun(batch, order, from, to, 'deleteRules', RULE_REQUESTS.delete)), options);
  }

  /** Every rule of `family`, for `operation`: its failure names `operation` and says it was `step`. */
  private dump(operation: string, step: string, family: number): Promise<NetlinkMessage[]> {
    const connection = this.connection;
    return this.step(operation, step, () => connection.dump({ operation: 'listRules' }, RTM_GETRULE, NLM_F_REQUEST | NLM_F_DUMP, (w) => encodeRuleDumpRequest(w, family)));
  }

  private matcher(filter: RuleFilter, tables: TableResolver): (rule: Rule) => boolean {
    this.checkFilter(filter, FILTER_KEYS);
    const table = filter.table !== undefined ? tables.resolve(filter.table, 'filter.table') : undefined;
    const protocol = this.filterProtocol(filter);
    return (rule) => {
      if (table !== undefined && rule.table !== table) return false;
      if (filter.priority !== undefined && rule.priority !== filter.priority) return false;
      if (filter.fwmark !== undefined && rule.fwmark !== filter.fwmark) return false;
      if (protocol !== undefined && (rule.protocol === undefined ? 0 : protocolCode(rule.protocol, 'rule.protocol')) !== protocol) return false;
      if (filter.action !== undefined && rule.action !== filter.action) return false;
      if (filter.iif !== undefined && rule.iif !== filter.iif) return false;
      if (filter.oif !== undefined && rule.oif !== filter.oif) return false;
      return true;
    };
  }
}
