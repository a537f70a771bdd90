/** Policy routing rules (`ip rule`): add, delete, ensure, remove, list, flush, addMany, deleteMany. */
import type { FamilyName } from '../common/ip.js';
import { Batch } from '../netlink/batch.js';
import { NLM_F_DUMP, NLM_F_REQUEST } from '../netlink/constants.js';
import { errnoNumber } from '../netlink/errno.js';
import { NetlinkError, ValidationError } from '../netlink/errors.js';
import type { NetlinkMessage } from '../netlink/message.js';
import { type RtnlBulkOptions, type BulkResult, RtnlApi, bulkResult, familiesOf } from './base.js';
import { AF_INET, AF_INET6, RTM_GETRULE } from './constants.js';
import { resolvePlainRule } from './fast.js';
import { protocolCode, type RouteProtocolName } from './names.js';
import { ownedFilter } from './owner.js';
import {
  RULE_REQUESTS,
  decodeRule,
  encodeRule,
  encodeRuleDumpRequest,
  resolveRule,
  ruleExactHash,
  ruleIdentity,
  ruleShadows,
  type ResolvedRule,
  type Rule,
  type RuleAction,
} from './rules.js';
import type { TableRef, TableResolver } from './tables.js';

const EEXIST = errnoNumber('EEXIST') ?? 17;

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

/**
 * Item indexes (in the caller's order) sorted by priority, descending or ascending; equal
 * priorities keep the caller's order (the kernel appends a rule after those of the same
 * priority, so one by one they end up in that order). Input already in order costs one pass.
 */
function byPriority(indexes: number[], rules: readonly ResolvedRule[], descending: boolean): number[] {
  const sign = descending ? -1 : 1;
  let ascending = true;
  let strictlyDescending = true;
  for (let k = 1; k < indexes.length; k++) {
    const d = (rules[indexes[k]!]!.priority! - rules[indexes[k - 1]!]!.priority!) * sign;
    if (d < 0) ascending = false;
    if (d >= 0) strictlyDescending = false;
  }
  if (ascending) return indexes;
  if (strictlyDescending) return indexes.slice().reverse();
  return indexes.slice().sort((a, b) => (rules[a]!.priority! - rules[b]!.priority!) * sign || a - b);
}

/** Adds one message for the caller's item `index` to a batch. */
function writeRule(batch: Batch, operation: string, index: number, request: { type: number; flags: number }, rule: ResolvedRule): void {
  batch.begin(batch.operation({ operation, index }), request.type, request.flags);
  encodeRule(batch.writer, rule);
  batch.end();
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
  async delete(rule: Rule): Promise<void> {
    const resolved = this.owned(resolveRule(rule, 'rule', true, this.tables()));
    await this.single({ operation: 'deleteRule' }, RULE_REQUESTS.delete.type, RULE_REQUESTS.delete.flags, (w) => encodeRule(w, resolved));
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
    for (const message of await this.dump(resolved.family)) {
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
      await this.delete(rule);
      return true;
    } catch (error) {
      if (error instanceof NetlinkError && error.code === 'ENOENT') return false;
      throw error;
    }
  }

  /** Lists rules, like `ip rule list`, in the kernel's order (by priority), IPv4 first. */
  async list(filter: RuleFilter = {}): Promise<Rule[]> {
    const tables = this.tables();
    const match = this.matcher(filter, tables);
    const display = filter.tableNames ? (id: number) => tables.display(id) : undefined;
    const rules: Rule[] = [];
    for (const family of familiesOf(filter.family)) {
      for (const message of await this.dump(family)) {
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
   */
  async flush(filter: Omit<RuleFilter, 'tableNames'> = {}): Promise<number> {
    const ownOnly = this.owner !== undefined && filter.protocol === undefined && filter.owned === undefined;
    const rules = (await this.list({ ...filter, ...(ownOnly ? { owned: true } : {}), tableNames: false })).filter((r) => r.priority !== 0);
    const result = await this.deleteMany(rules);
    return result.succeeded;
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
    const tables = this.tables();
    const resolved = rules.map((rule, i) => this.owned(resolvePlainRule(rule, false) ?? resolveRule(rule, `rules[${i}]`, false, tables)));
    if (resolved.some((r) => r.priority === undefined)) {
      // The kernel picks priorities from what is already there: only the caller's order gives
      // the same result.
      const batch = new Batch({ initialCapacity: resolved.length * 64 + 64 });
      for (let index = 0; index < resolved.length; index++) writeRule(batch, 'addRules', index, RULE_REQUESTS.add, resolved[index]!);
      return bulkResult(await this.runIndexed(batch, resolved.length), options);
    }
    return bulkResult(await this.addManyFast(resolved), options);
  }

  private async addManyFast(resolved: ResolvedRule[]): Promise<(NetlinkError | undefined)[]> {
    const count = resolved.length;
    const errors = new Array<NetlinkError | undefined>(count).fill(undefined);
    // What the kernel holds, bucketed by the fields it compares exactly. A bucket entry is the
    // caller's index of an item, or ~j for the j-th rule that was there before.
    const existing: ResolvedRule[] = [];
    const present = new Map<number, number | number[]>();
    const enter = (key: number, entry: number) => {
      const bucket = present.get(key);
      if (bucket === undefined) present.set(key, entry);
      else if (typeof bucket === 'number') present.set(key, [bucket, entry]);
      else bucket.push(entry);
    };
    const families = new Set(resolved.map((r) => r.family));
    for (const family of [AF_INET, AF_INET6]) {
      if (!families.has(family)) continue;
      for (const message of await this.dump(family)) {
        const rule = resolveRule(decodeRule(message), 'existing', false);
        enter(ruleExactHash(rule), ~existing.length);
        existing.push(rule);
      }
    }
    const keys = resolved.map(ruleExactHash);
    const shadows = (entry: number, candidate: ResolvedRule) => ruleShadows(entry < 0 ? existing[~entry]! : resolved[entry]!, candidate);
    /** The caller's index of the item that shadows item i, -1 for a rule that was there, undefined for none. */
    const findShadow = (i: number): number | undefined => {
      const bucket = present.get(keys[i]!);
      if (bucket === undefined) return undefined;
      if (typeof bucket === 'number') return shadows(bucket, resolved[i]!) ? Math.max(bucket, -1) : undefined;
      for (const entry of bucket) if (shadows(entry, resolved[i]!)) return Math.max(entry, -1);
      return undefined;
    };
    const shadowedBy = new Int32Array(count).fill(-1);
    let pending: number[] = Array.from({ length: count }, (_, i) => i);
    while (pending.length > 0) {
      // Decide in the caller's order, as the kernel would have, one by one.
      const accepted: number[] = [];
      for (const i of pending) {
        const shadow = findShadow(i);
        if (shadow === undefined) {
          accepted.push(i);
          enter(keys[i]!, i);
        } else if (shadow >= 0) {
          shadowedBy[i] = shadow;
        } else {
          errors[i] = this.exists(i);
        }
      }
      const batch = new Batch({ initialCapacity: accepted.length * 40 + 64 });
      for (const i of byPriority(accepted, resolved, true)) writeRule(batch, 'addRules', i, RULE_REQUESTS.addUnchecked, resolved[i]!);
      const sent = await this.runIndexed(batch, count);
      let refused = false;
      for (const i of accepted) {
        const error = sent[i];
        if (error === undefined) continue;
        errors[i] = error;
        refused = true;
        // Not in the kernel after all: out of its bucket.
        const bucket = present.get(keys[i]!)!;
        if (typeof bucket === 'number') present.delete(keys[i]!);
        else bucket.splice(bucket.indexOf(i), 1);
      }
      // An item that only collided with one the kernel refused gets its own chance, as it
      // would have had one by one.
      pending = [];
      if (refused) {
        for (let i = 0; i < count; i++) {
          const from = shadowedBy[i]!;
          if (from >= 0 && errors[from] !== undefined) {
            shadowedBy[i] = -1;
            pending.push(i);
          }
        }
      }
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
    const tables = this.tables();
    const resolved = rules.map((rule, i) => this.owned(resolvePlainRule(rule, true) ?? resolveRule(rule, `rules[${i}]`, true, tables)));
    const indexes = Array.from({ length: resolved.length }, (_, i) => i);
    const order = resolved.every((r) => r.priority !== undefined) ? byPriority(indexes, resolved, false) : indexes;
    const batch = new Batch({ initialCapacity: resolved.length * 40 + 64 });
    for (const i of order) writeRule(batch, 'deleteRules', i, RULE_REQUESTS.delete, resolved[i]!);
    return bulkResult(await this.runIndexed(batch, resolved.length), options);
  }

  private dump(family: number): Promise<NetlinkMessage[]> {
    return this.connection.dump({ operation: 'listRules' }, RTM_GETRULE, NLM_F_REQUEST | NLM_F_DUMP, (w) => encodeRuleDumpRequest(w, family));
  }

  private matcher(filter: RuleFilter, tables: TableResolver): (rule: Rule) => boolean {
    if (typeof filter !== 'object' || filter === null) throw new ValidationError('filter', filter, 'expected an object');
    for (const key of Object.keys(filter)) {
      if (!FILTER_KEYS.has(key)) throw new ValidationError(`filter.${key}`, (filter as Record<string, unknown>)[key], `unknown filter (known: ${[...FILTER_KEYS].join(', ')})`);
    }
    const table = filter.table !== undefined ? tables.resolve(filter.table, 'filter.table') : undefined;
    const owned = ownedFilter(filter.owned, this.owner);
    const protocol = filter.protocol !== undefined ? protocolCode(filter.protocol, 'filter.protocol') : owned;
    if (owned !== undefined && protocol !== owned) throw new ValidationError('filter.protocol', filter.protocol, `contradicts owned: true (the owner is ${owned})`);
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
