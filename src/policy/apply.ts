/**
 * Applying a plan: the changes go in bulk calls (one per kind of change), the nf_tables tables
 * in one atomic transaction checked by the kernel before anything else is sent. rtnetlink is
 * not transactional, so every step that succeeded is recorded with its inverse; if a later
 * change fails (or the call is aborted), the inverses run in reverse order and the state before
 * the apply is back before the error is thrown.
 */
import { formatAddress, tryParseAddress } from '../common/ip.js';
import type { Handle } from '../handle.js';
import { NetlinkError, ValidationError } from '../netlink/errors.js';
import type { NftCommand, NftListing } from '../nft/json.js';
import { resolveAddress, type Address, type ResolvedAddress } from '../rtnl/addresses.js';
import type { BulkResult } from '../rtnl/base.js';
import { AF_INET, IFA_F_NODAD } from '../rtnl/constants.js';
import type { Route } from '../rtnl/routes.js';
import type { Rule } from '../rtnl/rules.js';
import { canonicalJson, sysctlText, type PolicyDocument } from './document.js';
import { PolicyApplyError } from './errors.js';
import { contentDigest, createCommands, recreateCommands, tableRef } from './nft-tables.js';
import { isOthersRoute, permanentNeighbours, planDetails, planPolicy, type PlanChange, type PlanOptions, type PolicyPlan } from './plan.js';
import { cascadeSnapshot, irreversibleWrite, linkNamesOnce, restoreSnapshot } from './sysctls.js';

/** Options for {@link applyPolicy}. */
export interface ApplyPolicyOptions extends PlanOptions {
  /** Only plan: return the plan, change nothing. */
  dryRun?: boolean;
  /**
   * Stops the apply: before anything is sent nothing happens; midway, the step under way
   * finishes, everything applied is undone, and the call rejects with the signal's reason.
   */
  signal?: AbortSignal;
  /** Aborts the apply (as `signal` does) after this many milliseconds. */
  timeoutMs?: number;
}

/** What {@link applyPolicy} returns. */
export interface ApplyPolicyResult {
  /** The plan that was applied (or, for a dry run, would be). */
  plan: PolicyPlan;
  /** Whether anything was sent that changes the kernel (false for dry runs and empty plans). */
  changed: boolean;
}

type Undo = () => Promise<void>;

/** How long an apply waits for duplicate address detection of a new IPv6 source address. */
const DAD_WAIT_MS = 10_000;

interface Failure {
  error: Error;
  /** Its change's index in `plan.changes`; undefined for a change apply made on its own (`change`). */
  index: number | undefined;
  /** The change, when it is not in the plan. */
  change?: PlanChange;
}

/** An error as an Error (anything can be thrown). */
function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** Combines a signal and a timeout into one signal (undefined if neither is given). */
export function abortSignal(signal: AbortSignal | undefined, timeoutMs: number | undefined, field = 'options.timeoutMs'): AbortSignal | undefined {
  if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !(timeoutMs > 0))) throw new ValidationError(field, timeoutMs, 'expected a positive number of milliseconds');
  const timeout = timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs);
  if (signal === undefined) return timeout;
  return timeout === undefined ? signal : AbortSignal.any([signal, timeout]);
}

/** The first failed item of a bulk result, with its plan index. */
function firstFailure(result: BulkResult, planIndexes: readonly number[]): Failure | undefined {
  const item = result.errors.findIndex((e) => e !== undefined);
  return item < 0 ? undefined : { error: result.errors[item]!, index: planIndexes[item]! };
}

/** The items of a bulk call that succeeded. */
function succeeded<T>(items: readonly T[], result: BulkResult): T[] {
  return items.filter((_, i) => result.errors[i] === undefined);
}

async function expectAll(result: Promise<BulkResult>): Promise<void> {
  const outcome = await result;
  if (outcome.failed > 0) throw outcome.errors.find((e) => e !== undefined)!;
}

/** Rewrites an error of the nf_tables transaction into the document's terms. */
function documentError(error: unknown, commandIndex: (transactionIndex: number) => { documentIndex: number | undefined } | undefined): unknown {
  if (error instanceof ValidationError) {
    const match = /^nftables\[(\d+)\]\.add\.(.*)$/s.exec(error.field);
    const documentIndex = match ? commandIndex(Number(match[1]))?.documentIndex : undefined;
    if (match && documentIndex !== undefined) {
      const expectation = error.message.replace(/^[^:]*: /, '').replace(/, got .*$/s, '');
      return new ValidationError(`nftables[${documentIndex}].${match[2]}`, error.value, expectation);
    }
  }
  return error;
}

/**
 * Makes the kernel hold the document for its owner: plans (see {@link planPolicy}), then sends
 * the plan's changes. Applying the same document again sends no change at all, only the reads
 * that compare. If a change fails (the kernel refuses it, a sysctl cannot be written or read,
 * a write overwrote a document key that cannot be written back), everything applied before it
 * is undone and the call rejects with a {@link PolicyApplyError} naming the step and the change
 * (`step`, `operation`, `index` in `plan.changes`, the cause with its errno and message) and
 * what was undone (`undone`, `rolledBack`, `rollbackErrors`). An abort rejects with the
 * signal's reason instead, after the same undo. A table created or replaced is tagged with a
 * digest of what the kernel lists of it, so that a later plan finds changes made to it with
 * `nft`; a new version of a table is created twice for that (atomically both times: the kernel
 * keeps a table's first comment), a table restored after such a change once.
 *
 * @example
 * ```ts
 * const ns = await open({ netns: 'blue', owner: 201 });
 * await applyPolicy(ns, {
 *   rules: [{ fwmark: 65, priority: 1000, table: 100 }],
 *   routes: [{ dst: 'default', gateway: '192.0.2.1', table: 100 }],
 *   sysctls: { 'net.ipv4.ip_forward': 1 },
 * });
 * ```
 */
export async function applyPolicy(handle: Handle, document: PolicyDocument, options: ApplyPolicyOptions = {}): Promise<ApplyPolicyResult> {
  const signal = abortSignal(options.signal, options.timeoutMs);
  signal?.throwIfAborted();
  const plan = await planPolicy(handle, document, { owner: options.owner });
  if (options.dryRun || plan.empty) return { plan, changed: false };
  signal?.throwIfAborted();
  await executePlan(handle, plan, signal);
  return { plan, changed: true };
}

/**
 * Takes back an address the apply added, unless that would leave its device without an IPv4
 * address while others' IPv4 routes or permanent neighbours are on it: the kernel would delete
 * them too. Then the address stays, and the rollback reports it.
 */
async function undoAddressAdd(handle: Handle, owner: number, address: Address): Promise<void> {
  const resolved = resolveAddress(address);
  if (resolved.family === AF_INET) {
    const onDevice = await handle.addresses.list({ dev: resolved.dev, family: 'inet' });
    if (onDevice.length === 1) {
      // Multipath routes with a path through the device too (the dev filter leaves them out).
      const through = (r: Route) => r.dev === resolved.dev || (r.nexthops ?? []).some((n) => n.dev === resolved.dev);
      const others = (await handle.routes.list({ table: 'all', family: 'inet' })).filter((r) => through(r) && isOthersRoute(r, owner));
      const neighbours = await permanentNeighbours(handle, new Set([resolved.dev]));
      if (others.length > 0 || neighbours.length > 0) {
        throw new Error(`rollback left ${address.address} on ${resolved.dev}: it is the device's only IPv4 address, and deleting it would make the kernel delete ${others.length} route(s) and ${neighbours.length} permanent neighbour(s) of others`);
      }
    }
  }
  await handle.addresses.delete(address);
}

/**
 * Whether the kernel keeps `address` tentative for a while after adding it (IPv6 without
 * nodad), during which no route can use it as its source.
 */
function startsTentative(address: ResolvedAddress): boolean {
  return address.family !== AF_INET && !(address.flags & IFA_F_NODAD);
}

/**
 * Why re-adding deleted rules (`readded`) does not restore the kernel's order, if it does not:
 * the kernel puts a new rule after every rule of its priority (fib_nl_newrule), so a rule that
 * had rules of its priority after it, which stayed, comes back behind them, and a packet both
 * match takes another rule than before. `listed` is every rule, in the kernel's order, before
 * the deletes.
 */
function reorderedRules(listed: readonly Rule[], readded: readonly Rule[]): string | undefined {
  const texts = listed.map((r) => canonicalJson(r));
  const gone = new Set<number>();
  for (const rule of readded) {
    const text = canonicalJson(rule);
    const at = texts.findIndex((t, i) => t === text && !gone.has(i));
    if (at >= 0) gone.add(at);
  }
  const moved: string[] = [];
  for (const at of gone) {
    const rule = listed[at]!;
    const passed = listed.filter((r, i) => i > at && !gone.has(i) && r.family === rule.family && (r.priority ?? 0) === (rule.priority ?? 0)).length;
    if (passed > 0) moved.push(`${JSON.stringify(rule)} now comes after ${passed} rule(s) of priority ${rule.priority ?? 0} it came before`);
  }
  if (moved.length === 0) return undefined;
  return `rollback re-added the deleted rules, but the kernel puts a rule after every rule of its priority: ${moved.join('; ')}`;
}

/** Sends a plan's changes, undoing them all if one fails. */
async function executePlan(handle: Handle, plan: PolicyPlan, signal: AbortSignal | undefined): Promise<void> {
  const { createTables, removeTables, knownContent } = planDetails(plan);
  const indexed = plan.changes.map((change, index) => ({ change, index }));
  const pick = <C extends PlanChange>(test: (c: PlanChange) => c is C) => indexed.filter((e): e is { change: C; index: number } => test(e.change));
  const routes = (action: string) => pick((c): c is Extract<PlanChange, { object: 'route' }> => c.object === 'route' && c.action === action);
  const rules = (action: string) => pick((c): c is Extract<PlanChange, { object: 'rule' }> => c.object === 'rule' && c.action === action);
  const nexthops = (action: string) => pick((c): c is Extract<PlanChange, { object: 'nexthop' }> => c.object === 'nexthop' && c.action === action);
  const addresses = (action: string) => pick((c): c is Extract<PlanChange, { object: 'address' }> => c.object === 'address' && c.action === action);
  const sysctls = pick((c): c is Extract<PlanChange, { object: 'sysctl' }> => c.object === 'sysctl');
  const tableChanges = pick((c): c is Extract<PlanChange, { object: 'nftTable' }> => c.object === 'nftTable');

  // The nf_tables transaction: old tables out, new ones in. Built and checked by the kernel
  // (a dry run) first, so that a bad table costs nothing to undo.
  const transaction: NftCommand[] = [];
  const commandOwners: { planIndex: number; documentIndex: number | undefined }[] = [];
  const planIndexOfTable = (family: string, name: string) => tableChanges.find((e) => e.change.family === family && e.change.name === name)!.index;
  for (const table of removeTables) {
    transaction.push(tableRef(table.family, table.name));
    commandOwners.push({ planIndex: planIndexOfTable(table.family, table.name), documentIndex: undefined });
  }
  const tableKey = (table: { family: string; name: string }) => `${table.family}|${table.name}`;
  // Until the content digest of a new version is known, its tag carries a stand-in of the same
  // length, so that the dry run checks a comment as long as the one the table will carry.
  const CONTENT_UNKNOWN = '0'.repeat(16);
  for (const table of createTables) {
    const commands = createCommands(table, plan.owner, knownContent.get(tableKey(table)) ?? CONTENT_UNKNOWN);
    transaction.push(...commands);
    table.objects.forEach(({ index }) => commandOwners.push({ planIndex: planIndexOfTable(table.family, table.name), documentIndex: index }));
  }
  const nftFailure = (error: unknown): Failure | undefined =>
    error instanceof NetlinkError && error.index !== undefined && commandOwners[error.index] !== undefined
      ? { error, index: commandOwners[error.index]!.planIndex }
      : undefined;
  if (transaction.length > 0) {
    try {
      await handle.nft.apply({ nftables: transaction }, { dryRun: true, handles: false });
    } catch (error) {
      const failure = nftFailure(error);
      if (failure) {
        throw new PolicyApplyError({ cause: failure.error, index: failure.index, change: plan.changes[failure.index!]!, step: 'nft transaction (dry run)', undone: [], rollbackErrors: [], netns: handle.netnsLabel });
      }
      throw documentError(error, (i) => commandOwners[i]);
    }
  }
  // What the replaced and deleted tables hold now, to put back if a later step fails.
  const previousTables: NftListing[] = [];
  for (const table of removeTables) previousTables.push(await handle.nft.list({ family: table.family, table: table.name }));

  /** Each step's undo, named by the step. */
  const undo: { step: string; run: Undo }[] = [];
  /** The step under way, for the undo it registers and for an error it throws. */
  let current = '';
  /** The change under way in a step that goes one by one, for an error the step throws. */
  let inFlight: { index: number | undefined; change?: PlanChange } | undefined;
  const pushUndo = (run: Undo) => undo.push({ step: current, run });
  let failure: Failure | undefined;
  let aborted = false;
  /**
   * A step that sends one kind of change as one bulk call; what succeeded is undone by
   * `inverse` applied to `inverses` (the same items, or what they replaced).
   */
  const bulkStep =
    <T>(entries: { index: number }[], items: T[], inverses: T[], run: (items: T[]) => Promise<BulkResult>, inverse: (items: T[]) => Promise<BulkResult>) =>
    async (): Promise<Failure | undefined> => {
      if (entries.length === 0) return undefined;
      const result = await run(items);
      const done = succeeded(inverses, result);
      if (done.length > 0) pushUndo(() => expectAll(inverse(done)));
      return firstFailure(result, entries.map((e) => e.index));
    };
  /**
   * A step that sends changes of one kind one by one (addresses and nexthop objects: a document
   * has few), in the plan's order; each one that succeeded is undone by `inverse`.
   */
  const itemStep =
    <C extends PlanChange>(entries: { change: C; index: number }[], run: (change: C) => Promise<unknown>, inverse: (change: C) => Promise<unknown>) =>
    async (): Promise<Failure | undefined> => {
      for (const { change, index } of entries) {
        inFlight = { index };
        await run(change);
        pushUndo(async () => {
          await inverse(change);
        });
      }
      return undefined;
    };
  const routeAdds = routes('add');
  const routeReplaces = routes('replace');
  const routeDeletes = routes('delete');
  const ruleDeletes = rules('delete');
  const ruleAdds = rules('add');
  const addedRoutes: Route[] = routeAdds.map((e) => e.change.route);
  const deletedRoutes: Route[] = routeDeletes.map((e) => e.change.route);
  const deletedRules: Rule[] = ruleDeletes.map((e) => e.change.rule);
  const addedRules: Rule[] = ruleAdds.map((e) => e.change.rule);
  /** A step with its name and the plan indexes of its changes (the first is blamed for an error it throws outside any change). */
  const named = (step: string, entries: { index: number }[], run: () => Promise<Failure | undefined>) => ({ step, indexes: entries.map((e) => e.index), run });
  const steps: { step: string; indexes: number[]; run: () => Promise<Failure | undefined> }[] = [
    // Addresses first (routes and nexthops may need their subnets and source addresses), and
    // last when they go.
    named('add addresses', addresses('add'), itemStep(addresses('add'), (c) => handle.addresses.add(c.address), (c) => undoAddressAdd(handle, plan.owner, c.address))),
    // A new IPv6 address is tentative until duplicate address detection ends (briefly even with
    // it off: the kernel ends it from a work queue), and no route can use it as its source before.
    named('wait for new IPv6 source addresses', addresses('add'), async () => {
      const sources = new Set<string>();
      for (const { change } of [...routeAdds, ...routeReplaces]) {
        const src = change.route.src === undefined ? undefined : tryParseAddress(change.route.src);
        if (src !== undefined) sources.add(formatAddress(src.bytes));
      }
      for (const { change, index } of addresses('add')) {
        const address = resolveAddress(change.address);
        if (!startsTentative(address) || !sources.has(formatAddress(address.local.bytes))) continue;
        inFlight = { index };
        await handle.addresses.usable(change.address, DAD_WAIT_MS, signal);
      }
      return undefined;
    }),
    // Objects before the routes that use them, and after them when they go; a replaced object
    // is put back as it was (its routes follow it both ways).
    named('add nexthops', nexthops('add'), itemStep(nexthops('add'), (c) => handle.nexthops.add(c.nexthop), (c) => handle.nexthops.delete(c.nexthop))),
    named('replace nexthops', nexthops('replace'), itemStep(nexthops('replace'), (c) => handle.nexthops.replace(c.nexthop), (c) => handle.nexthops.replace(c.previous!))),
    named('add routes', routeAdds, bulkStep(routeAdds, addedRoutes, addedRoutes, (r) => handle.routes.addMany(r), (r) => handle.routes.deleteMany(r))),
    named('replace routes', routeReplaces, bulkStep(
      routeReplaces,
      routeReplaces.map((e) => e.change.route),
      routeReplaces.map((e) => e.change.previous!),
      (r) => handle.routes.replaceMany(r),
      (r) => handle.routes.replaceMany(r),
    )),
    // Rule deletes stay where the plan puts them (before the rule adds and route deletes, so that
    // no rule the document drops steers traffic into a table being emptied) rather than after
    // every step that can fail: they can fail midway themselves (one bulk call), so an undo that
    // re-adds them is needed anyway. The kernel cannot re-add a rule before others of its
    // priority, so when one had such rules after it, the undo re-adds it and reports the
    // rollback incomplete (rolledBack: false) instead of claiming the old order.
    named('delete rules', ruleDeletes, async () => {
      if (ruleDeletes.length === 0) return undefined;
      const listed = await handle.rules.list();
      const result = await handle.rules.deleteMany(deletedRules);
      const done = succeeded(deletedRules, result);
      if (done.length > 0) {
        pushUndo(async () => {
          await expectAll(handle.rules.addMany(done));
          const reordered = reorderedRules(listed, done);
          if (reordered !== undefined) throw new Error(reordered);
        });
      }
      return firstFailure(result, ruleDeletes.map((e) => e.index));
    }),
    named('add rules', ruleAdds, bulkStep(ruleAdds, addedRules, addedRules, (r) => handle.rules.addMany(r), (r) => handle.rules.deleteMany(r))),
    named('delete routes', routeDeletes, bulkStep(routeDeletes, deletedRoutes, deletedRoutes, (r) => handle.routes.deleteMany(r), (r) => handle.routes.addMany(r))),
    named('delete nexthops', nexthops('delete'), itemStep(nexthops('delete'), (c) => handle.nexthops.delete(c.nexthop), (c) => handle.nexthops.add(c.previous!))),
    named('delete addresses', addresses('delete'), itemStep(
      addresses('delete'),
      (c) => handle.addresses.delete(c.address),
      async (c) => {
        await handle.addresses.add(c.address);
        // Routes re-added after it may use it as their source: not before it is usable.
        if (startsTentative(resolveAddress(c.address))) await handle.addresses.usable(c.address);
      },
    )),
    named('nft transaction', tableChanges, async () => {
      if (transaction.length === 0) return undefined;
      try {
        await handle.nft.apply({ nftables: transaction }, { handles: false });
      } catch (error) {
        const mapped = nftFailure(error);
        if (mapped) return mapped;
        throw error;
      }
      const restore: NftCommand[] = [
        ...createTables.map((t) => tableRef(t.family, t.name)),
        ...previousTables.flatMap((listing) => recreateCommands(listing)),
      ];
      pushUndo(async () => {
        await handle.nft.apply(restore, { handles: false });
      });
      // The tag records what the kernel lists of the new table, for plans to find changes made
      // to it later. The kernel keeps a table's first comment, so a table whose digest was not
      // known (a new version of the document) is created again, tagged, in one more atomic
      // transaction: the same commands give the same content.
      const retag: NftCommand[] = [];
      for (const table of createTables) {
        inFlight = { index: planIndexOfTable(table.family, table.name) };
        const content = contentDigest(await handle.nft.list({ family: table.family, table: table.name }));
        if (content === knownContent.get(tableKey(table))) continue;
        retag.push(tableRef(table.family, table.name), ...createCommands(table, plan.owner, content));
      }
      inFlight = undefined;
      if (retag.length > 0) await handle.nft.apply(retag, { handles: false });
      return undefined;
    }),
    // A global switch overwrites every device's setting (the plan writes it first): what it
    // overwrote is put back after it on undo. A write the kernel cannot take back (IPv6 turned
    // off) makes the undo report what stays lost.
    named('sysctls', sysctls, async () => {
      // The links are listed once for every switch's snapshot: the apply changes none.
      const linkNames = linkNamesOnce(handle);
      for (const { change, index } of sysctls) {
        inFlight = { index };
        const overwritten = await cascadeSnapshot(handle, change.key, linkNames);
        await handle.sysctl.set(change.key, change.value);
        pushUndo(async () => {
          await handle.sysctl.set(change.key, change.previous);
          await restoreSnapshot(handle, overwritten);
          const lost = irreversibleWrite(change);
          if (lost !== undefined) throw new Error(lost);
        });
      }
      return undefined;
    }),
    // The document's other sysctls held its values when planned: one that differs now was
    // overwritten by a write the plan could not foresee, and is written again (and put back).
    named('sysctls overwritten by a write', sysctls, async () => {
      if (sysctls.length === 0) return undefined;
      const planned = new Set(sysctls.map((e) => e.change.key));
      for (const { key, value } of planDetails(plan).document.sysctls) {
        if (planned.has(key)) continue;
        // Not a change of the plan: the error names the write apply made on its own.
        inFlight = { index: undefined, change: { object: 'sysctl', action: 'set', operation: 'setSysctl', key, value, previous: '(not read)' } };
        const now = await handle.sysctl.get(key);
        if (sysctlText(now) === value) continue;
        inFlight = { index: undefined, change: { object: 'sysctl', action: 'set', operation: 'setSysctl', key, value, previous: now } };
        await handle.sysctl.set(key, value);
        pushUndo(() => handle.sysctl.set(key, now));
      }
      return undefined;
    }),
  ];

  // Whatever a step throws (a kernel refusal, a sysctl it cannot write or read, an error of
  // the undo bookkeeping itself) fails the apply the same way: undo, then a PolicyApplyError.
  let failedStep = '';
  for (const { step, indexes, run } of steps) {
    if (signal?.aborted) {
      aborted = true;
      break;
    }
    current = step;
    inFlight = undefined;
    try {
      failure = await run();
    } catch (error) {
      // An abort that reached a wait of the step (DAD) is the abort, not a failure.
      if (signal?.aborted) {
        aborted = true;
        break;
      }
      // (TypeScript cannot see that the step's closures set inFlight.)
      const at = inFlight as { index: number | undefined; change?: PlanChange } | undefined;
      failure = at !== undefined ? { error: asError(error), index: at.index, change: at.change } : { error: asError(error), index: indexes[0] };
    }
    if (failure) {
      failedStep = step;
      break;
    }
  }
  if (failure === undefined && !aborted) return;

  const rollbackErrors: Error[] = [];
  const undone: string[] = [];
  for (const { step, run } of undo.reverse()) {
    try {
      await run();
      if (!undone.includes(step)) undone.push(step);
    } catch (error) {
      rollbackErrors.push(asError(error));
    }
  }
  if (failure) {
    const change = failure.change ?? plan.changes[failure.index ?? -1];
    // A step without changes of its own (none of its kind in the plan) cannot throw: it returns at once.
    throw new PolicyApplyError({ cause: failure.error, index: failure.index, change: change!, step: failedStep, undone, rollbackErrors, netns: handle.netnsLabel });
  }
  signal!.throwIfAborted();
}
