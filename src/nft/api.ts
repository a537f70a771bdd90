import type { BatchResult, Connection } from '../netlink/connection.js';
import { NETLINK_NETFILTER, NETLINK_ROUTE, NLM_F_DUMP, NLM_F_REQUEST } from '../netlink/constants.js';
import { NetlinkError, ValidationError } from '../netlink/errors.js';
import { messageAttributes, messageBytes, type NetlinkMessage } from '../netlink/message.js';
import type { ConnectionProvider } from '../netlink/provider.js';
import { native } from '../native.js';
import { NFGENMSG_SIZE, NFTA_RULE_HANDLE, NFTA_SET_ELEM_LIST_SET, NFTA_SET_ELEM_LIST_TABLE, NFTA_SET_NAME, NFTA_SET_TABLE, NFT_MSG_GETSET, NFT_MSG_GETSETELEM, NFT_MSG_NEWRULE, NFT_SET_ELEM_INTERVAL_END, nftMessageType } from './constants.js';
import { Errno } from '../netlink/errno.js';
import { RulesetChangedError } from './errors.js';
import { InterfacesNeeded, type InterfaceNames } from './datatypes.js';
import type { ParsedElement, ParsedSet } from './decompile.js';
import { fetchInterfaces } from './interfaces.js';
import type { NftCommand, NftDocument, NftExpression, NftFamily, NftListing, NftObjectsRef, NftStatefulObject, NftTable } from './json.js';
import { getGeneration, listRuleset, listTables, resetObjects } from './list.js';
import { intervalsOfElements, userdataAutomerge, type Interval } from './sets.js';
import { writeNfgenmsg } from './messages.js';
import { OBJECT_TYPES, definitionOfParsed, objectName, parseFamily } from './objects.js';
import { asObject, onlyKeys, singleKey } from './values.js';
import { RuleTemplates } from './template.js';
import { SetNeeded, buildTransaction, parseCommands, type DocumentCommands, type KnownSet, type RuleRun, type SetRef, type Transaction, type TransactionContext } from './transaction.js';

/**
 * Whether the kernel answered with this error (a refusal of what was sent), rather than the
 * handle failing around it: a close (ECANCELED) or a broken socket (a failed system call).
 */
function isKernelRefusal(error: NetlinkError): boolean {
  return error.errno !== Errno.ECANCELED && error.syscall === undefined;
}

function setKey(set: SetRef): string {
  return `${set.family}|${set.table}|${set.name}`;
}

/** The handle the kernel echoed for a rule's NEWRULE, if any. */
function echoedHandle(replies: readonly NetlinkMessage[] | undefined): number | undefined {
  for (const reply of replies ?? []) {
    if (reply.type !== nftMessageType(NFT_MSG_NEWRULE)) continue;
    const handle = messageAttributes(reply, NFGENMSG_SIZE).be64(NFTA_RULE_HANDLE);
    if (handle !== undefined) return Number(handle);
  }
  return undefined;
}

/**
 * Handles of a run of new rules in one table: the first and last were echoed; the kernel gave
 * the ones between consecutive handles (one counter per table, in message order, under the
 * transaction mutex), each rule's anonymous sets taking one first. If the ends disagree with
 * that count, only the echoed handles are reported.
 */
function fillRun(run: RuleRun, replies: readonly NetlinkMessage[][], handles: (number | undefined)[]): void {
  const firstReplies = replies[run.firstOp] ?? [];
  const lastReplies = replies[run.lastOp] ?? [];
  const firstHandle = echoedHandle(firstReplies.slice(0, 1));
  // The last rule's echo is the last one on its operation (a shared operation carries only it).
  const lastHandle = echoedHandle(lastReplies.slice(-1));
  if (firstHandle === undefined) return;
  handles[run.firstIndex] = firstHandle;
  if (run.count === 1 || lastHandle === undefined) return;
  const end = run.firstIndex + run.count;
  let expected = firstHandle;
  for (let index = run.firstIndex + 1; index < end; index++) expected += run.extra.get(index) ?? 1;
  if (expected !== lastHandle) {
    handles[end - 1] = lastHandle;
    return;
  }
  let handle = firstHandle;
  for (let index = run.firstIndex + 1; index < end; index++) {
    handle += run.extra.get(index) ?? 1;
    handles[index] = handle;
  }
}

/** Options for {@link NftApi.apply}. */
export interface ApplyOptions {
  /**
   * Let the kernel check the whole transaction and abort it instead of committing, like
   * `nft -c -f`: errors come back exactly as a real apply would raise them.
   */
  dryRun?: boolean;
  /**
   * Commit only if the ruleset is still at this generation (from {@link NftApi.snapshot} or
   * {@link NftApi.generation}). If anything changed it meanwhile, nothing is applied and the
   * call rejects with a RulesetChangedError (a NetlinkError, code `ERESTART`, operation
   * `nft commit`).
   */
  generation?: number;
  /** Return the handles of the rules added (the kernel echoes them). Default true. */
  handles?: boolean;
}

/** What {@link NftApi.apply} returns. */
export interface ApplyResult {
  /**
   * For each command, by its index in the document: the handle the kernel gave the rule it
   * added, inserted or replaced (undefined for other commands, dry runs and `handles: false`).
   */
  handles: (number | undefined)[];
}

/** Which part of the ruleset to list. */
export interface NftListFilter {
  /** Only tables of this family. */
  family?: NftFamily;
  /** Only this table (give `family` too if names repeat across families). */
  table?: string;
  /** Only this chain of `table`, and its rules. */
  chain?: string;
  /** Only this set or map of `table`. */
  set?: string;
  /** Only this named counter of `table`, like `nft list counter`: only tables and objects are read. */
  counter?: string;
  /** Only this named quota of `table`, like `nft list quota`: only tables and objects are read. */
  quota?: string;
}

/** A listing together with the ruleset generation it shows (for `apply({generation})`). */
export interface NftSnapshot {
  ruleset: NftListing;
  generation: number;
}

/** A named set or map, for bulk element changes. */
export interface NftSetRef {
  family: NftFamily;
  table: string;
  /** The set's or map's name. */
  name: string;
}

/**
 * nf_tables (`nft`) in one namespace: tables, chains, rules, sets, maps, and named counters and
 * quotas, written and read as nftables JSON (libnftables-json(5)).
 *
 * @example
 * ```ts
 * const ns = await open({ netns: 'blue' });
 * await ns.nft.apply({ nftables: [
 *   { add: { table: { family: 'ip', name: 'rm' } } },
 *   { add: { chain: { family: 'ip', table: 'rm', name: 'out', type: 'route', hook: 'output', prio: -150, policy: 'accept' } } },
 *   { add: { rule: { family: 'ip', table: 'rm', chain: 'out', expr: [
 *     { match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: 465 } },
 *     { mangle: { key: { meta: { key: 'mark' } }, value: 65 } },
 *   ] } } },
 * ] });
 * ```
 */
export class NftApi {
  private readonly templates = new RuleTemplates();

  constructor(protected readonly provider: ConnectionProvider) {}

  private get connection(): Connection {
    return this.provider.connection(NETLINK_NETFILTER);
  }

  /**
   * Applies an nftables JSON document (`{"nftables": [...]}`, or just its command list) as one
   * atomic transaction, like `nft -j -f`: add, create, insert, replace, delete and flush of
   * tables, chains, rules, sets, maps and elements, and add, create and delete of counters and
   * quotas. Either every command takes effect or none.
   *
   * Bad input rejects with a ValidationError naming the field (`nftables[3].add.rule.expr[1]...`)
   * before anything is sent. A kernel refusal rejects with a NetlinkError naming the command
   * (`operation: 'nft add rule'`) and its index in the document.
   *
   * Elements added to a set that has nft's `auto-merge` (made by nft's text syntax; JSON cannot
   * ask for it) are merged with each other and with the set's intervals as nft -j -f merges
   * them: the set's elements are read first, and the transaction commits only if the ruleset has
   * not changed since (else it is built again, up to five times).
   */
  async apply(document: NftDocument | NftCommand[], options: ApplyOptions = {}): Promise<ApplyResult> {
    const commands = parseCommands(document);
    const echo = (options.handles ?? true) && !options.dryRun;
    for (let attempt = 1; ; attempt++) {
      const knownSets = new Map<string, KnownSet>();
      const setFlags = new Map<string, number>();
      const setIntervals = new Map<string, Interval[]>();
      const kernelAutomerge = new Map<string, boolean>();
      /** The generation the intervals read show: the batch commits only if it still holds. */
      let intervalsGeneration: number | undefined;
      const context: TransactionContext = { interfaces: undefined, knownSets, setFlags, setIntervals, kernelAutomerge, templates: this.templates };
      let transaction: Transaction;
      // Building needs the namespace only for what the document does not say: interface
      // indexes (iif/oif), the types of sets that element commands fill, and the intervals of
      // auto-merge sets they add to. Each is read once, then the document is built again;
      // nothing is sent before the whole batch is built.
      for (;;) {
        try {
          transaction = buildTransaction(commands, { ...options, echo, generation: options.generation ?? intervalsGeneration }, context);
          break;
        } catch (error) {
          if (error instanceof InterfacesNeeded && context.interfaces === undefined) context.interfaces = await this.interfaces();
          else if (error instanceof SetNeeded && error.need === 'flags' && !setFlags.has(setKey(error.set))) setFlags.set(setKey(error.set), (await this.fetchParsedSet(error)).flags ?? 0);
          else if (error instanceof SetNeeded && error.need === 'definition' && !knownSets.has(setKey(error.set))) knownSets.set(setKey(error.set), await this.fetchSet(error));
          else if (error instanceof SetNeeded && error.need === 'automerge' && !kernelAutomerge.has(setKey(error.set))) kernelAutomerge.set(setKey(error.set), await this.fetchAutomerge(error));
          else if (error instanceof SetNeeded && error.need === 'intervals' && !setIntervals.has(setKey(error.set))) {
            const read = await this.fetchIntervals(error);
            // Intervals of two sets read at different generations are not one state: read again.
            if (intervalsGeneration !== undefined && read.generation !== intervalsGeneration) setIntervals.clear();
            intervalsGeneration = read.generation;
            setIntervals.set(setKey(error.set), read.intervals);
          } else throw error;
        }
      }
      const result = await this.connection.execute(transaction.batch);
      // The ruleset changed after the intervals of an auto-merge set were read (nothing was
      // applied): merge against the new ones, as nft does when its cache is out of date.
      if (result.failed > 0 && options.generation === undefined && intervalsGeneration !== undefined && result.errors[transaction.commitOperation]?.errno === Errno.ERESTART && attempt < 5) continue;
      return await this.outcome(commands, transaction, result, { ...options, generation: options.generation ?? intervalsGeneration }, echo, context);
    }
  }

  /** What an executed transaction gives: its handles, or the error of the command that failed. */
  private async outcome(commands: DocumentCommands, transaction: Transaction, result: BatchResult, options: ApplyOptions, echo: boolean, context: TransactionContext): Promise<ApplyResult> {
    if (result.failed > 0) {
      const error = this.firstError(transaction, result.errors, options);
      if (!transaction.sharedOperations.has(result.errors.indexOf(error)) || !isKernelRefusal(error)) throw error;
      // A rule of a bulk run failed, and its run shares one operation. Nothing was applied;
      // a dry run with one operation per command names the command that failed. Only a
      // kernel refusal is looked into: a closed or broken handle's error (ECANCELED, "may have
      // been applied") must reach the caller as it is, not the dry run's "the handle was closed".
      const precise = buildTransaction(commands, { ...options, dryRun: true, echo: false, preciseErrors: true }, context);
      let check: BatchResult;
      try {
        check = await this.connection.execute(precise.batch);
      } catch {
        throw error;
      }
      const named = check.failed > 0 ? this.firstError(precise, check.errors, options) : undefined;
      throw named !== undefined && isKernelRefusal(named) ? named : error;
    }
    const handles: (number | undefined)[] = new Array<number | undefined>(commands.length).fill(undefined);
    if (echo && result.replies) {
      for (const [index, handle] of transaction.knownHandles) handles[index] = handle;
      for (const run of transaction.ruleRuns) fillRun(run, result.replies, handles);
    }
    return { handles };
  }

  private firstError(transaction: Transaction, errors: (NetlinkError | undefined)[], options: ApplyOptions): NetlinkError {
    const commit = errors[transaction.commitOperation];
    if (commit?.errno === Errno.ERESTART && options.generation !== undefined) return new RulesetChangedError(options.generation, this.provider.netnsLabel);
    for (let op = 0; op < errors.length; op++) {
      if (op !== transaction.commitOperation && errors[op] !== undefined) return errors[op]!;
    }
    return commit!;
  }

  /** Lists the ruleset, a table, a chain or a set as nftables JSON, like `nft -j list ...`. */
  /**
   * The namespace's tables alone (family, name, handle, flags, comment), without chains, sets or
   * rules, like `nft list tables`: one dump, cheap enough to call before every apply.
   */
  tables(): Promise<NftTable[]> {
    return listTables(this.connection);
  }

  async list(filter: NftListFilter = {}): Promise<NftListing> {
    return (await this.snapshot(filter)).ruleset;
  }

  /**
   * Lists like {@link list}, and returns the generation the listing shows: pass it to
   * `apply({generation})` so that the apply fails if anything changed in between.
   */
  async snapshot(filter: NftListFilter = {}): Promise<NftSnapshot> {
    const named = [filter.chain, filter.set, filter.counter, filter.quota].filter((name) => name !== undefined);
    if (named.length > 0 && filter.table === undefined) throw new ValidationError('filter.table', filter.table, 'listing a chain, set, counter or quota needs its table');
    if (named.length > 1) throw new ValidationError('filter', filter, 'expected one of chain, set, counter and quota');
    const family = filter.family === undefined ? undefined : parseFamily(filter.family, 'filter.family');
    const { listing, generation } = await listRuleset(this.connection, { family, table: filter.table, chain: filter.chain, set: filter.set, counter: filter.counter, quota: filter.quota }, { interfaces: () => this.interfaces() });
    return { ruleset: listing, generation };
  }

  /** The current ruleset generation: it changes with every committed transaction. */
  generation(): Promise<number> {
    return getGeneration(this.connection);
  }

  /**
   * Resets named counters or quotas and returns them as they were just before, as `nft -j reset
   * counter ip t up1` prints them: `{ counter: { family, table, name } }` for one, without `name`
   * every counter (quota) of the table. One request: it reads and zeroes in one step, so no
   * packet is counted twice or lost between a read and a reset. It is not an {@link apply}
   * command: the kernel takes no reset inside a transaction.
   *
   * @example
   * ```ts
   * const [before] = await ns.nft.reset({ counter: { family: 'ip', table: 'rm', name: 'up1' } });
   * if (before !== undefined && 'counter' in before) console.log(before.counter.bytes); // bytes since the last reset
   * ```
   */
  async reset(objects: NftObjectsRef): Promise<NftStatefulObject[]> {
    const kind = singleKey(objects);
    if (kind !== 'counter' && kind !== 'quota') throw new ValidationError('objects', objects, 'expected { counter: { family, table, name } } or { quota: ... }');
    const ref = asObject((objects as Record<string, unknown>)[kind]);
    if (ref === undefined) throw new ValidationError(`objects.${kind}`, (objects as Record<string, unknown>)[kind], 'expected { family, table, name }');
    onlyKeys(ref, ['family', 'table', 'name'], `objects.${kind}`, 'unknown property (expected family, table and name)');
    const family = parseFamily(ref.family, `objects.${kind}.family`);
    const table = objectName(ref.table, `objects.${kind}.table`);
    const name = ref.name === undefined ? undefined : objectName(ref.name, `objects.${kind}.name`);
    return resetObjects(this.connection, { family, table, name, type: OBJECT_TYPES.get(kind)! }, `nft reset ${kind}`);
  }

  /** Adds elements to a named set or map in one transaction (split into as many messages as needed). */
  async addElements(set: NftSetRef, elements: NftExpression[], options: Omit<ApplyOptions, 'handles'> = {}): Promise<void> {
    await this.apply([{ add: { element: { family: set.family, table: set.table, name: set.name, elem: elements } } }], { ...options, handles: false });
  }

  /** Deletes elements from a named set or map in one transaction. */
  async deleteElements(set: NftSetRef, elements: NftExpression[], options: Omit<ApplyOptions, 'handles'> = {}): Promise<void> {
    await this.apply([{ delete: { element: { family: set.family, table: set.table, name: set.name, elem: elements } } }], { ...options, handles: false });
  }

  private interfaces(): Promise<InterfaceNames> {
    return fetchInterfaces(this.provider.connection(NETLINK_ROUTE));
  }

  /** Reads the definition of a set that element commands or rules use without defining it. */
  private async fetchSet(needed: SetNeeded): Promise<KnownSet> {
    const set = await this.fetchParsedSet(needed);
    const definition = definitionOfParsed(set);
    if (definition === undefined) throw new ValidationError(needed.field, needed.value, 'a set whose key type routemark does not know');
    return { ...definition, automerge: userdataAutomerge(set.userdata === undefined ? undefined : Buffer.from(set.userdata, 'hex')) };
  }

  /** Whether the kernel holds a set that a document adds again, with auto-merge (false if it holds no such set). */
  private async fetchAutomerge(needed: SetNeeded): Promise<boolean> {
    try {
      const set = await this.fetchParsedSet(needed);
      return userdataAutomerge(set.userdata === undefined ? undefined : Buffer.from(set.userdata, 'hex'));
    } catch (error) {
      // No such set, or no such table: the document makes a new one.
      if (error instanceof NetlinkError && error.code === 'ENOENT') return false;
      throw error;
    }
  }

  /**
   * The intervals an auto-merge set holds, and the generation they show (read again until the
   * generation is the same before and after), for merging elements into them as nft does.
   */
  private async fetchIntervals(needed: SetNeeded): Promise<{ intervals: Interval[]; generation: number }> {
    const { set: ref, command } = needed;
    const operation = { operation: `nft ${command.verb} ${command.kind}`, index: command.index };
    // A ruleset that changes between every two reads (another agent churning) must not keep
    // this call reading forever: after a few tries it fails as a changed ruleset does.
    for (let attempt = 1; ; attempt++) {
      const before = await getGeneration(this.connection);
      const replies = await this.connection.dump(operation, nftMessageType(NFT_MSG_GETSETELEM), NLM_F_REQUEST | NLM_F_DUMP, (w) => {
        writeNfgenmsg(w, ref.family);
        w.attrString(NFTA_SET_ELEM_LIST_TABLE, ref.table);
        w.attrString(NFTA_SET_ELEM_LIST_SET, ref.name);
      });
      const parsed = replies.length === 0 ? [] : (JSON.parse(native().nftParse(Buffer.concat(replies.map((m) => messageBytes(m))))) as { type: string; elements?: ParsedElement[] }[]);
      const elements = parsed.flatMap((p) => (p.type === 'elements' ? (p.elements ?? []) : []));
      if ((await getGeneration(this.connection)) !== before) {
        if (attempt >= 10) throw new RulesetChangedError(before, this.provider.netnsLabel);
        continue;
      }
      const keys = elements.filter((e) => e.key !== undefined).map((e) => ({ key: Uint8Array.from(Buffer.from(e.key!, 'hex')), end: ((e.flags ?? 0) & NFT_SET_ELEM_INTERVAL_END) !== 0 }));
      return { intervals: intervalsOfElements(keys), generation: before };
    }
  }

  /** Reads a set a command names from the kernel; a refusal (ENOENT) names that command. */
  private async fetchParsedSet(needed: SetNeeded): Promise<ParsedSet> {
    const { set: ref, command } = needed;
    const operation = { operation: `nft ${command.verb} ${command.kind}`, index: command.index };
    let replies;
    try {
      replies = await this.connection.request(operation, nftMessageType(NFT_MSG_GETSET), NLM_F_REQUEST, (w) => {
        writeNfgenmsg(w, ref.family);
        w.attrString(NFTA_SET_TABLE, ref.table);
        w.attrString(NFTA_SET_NAME, ref.name);
      });
    } catch (error) {
      throw error instanceof NetlinkError ? new NetlinkError({ errno: error.errno, extAck: error.extAck, ...operation, netns: this.provider.netnsLabel, detail: `set ${ref.table} ${ref.name}` }) : error;
    }
    const parsed = JSON.parse(native().nftParse(Buffer.concat(replies.map((m) => messageBytes(m))))) as ({ type: string } & ParsedSet)[];
    const set = parsed.find((p) => p.type === 'set');
    if (set === undefined) throw new Error(`routemark: the kernel answered GETSET for ${ref.table} ${ref.name} without a set`);
    return set;
  }
}
