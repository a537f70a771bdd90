import type { Connection } from '../netlink/connection.js';
import { NETLINK_NETFILTER, NETLINK_ROUTE, NLM_F_REQUEST } from '../netlink/constants.js';
import { NetlinkError } from '../netlink/errors.js';
import { messageAttributes, messageBytes } from '../netlink/message.js';
import type { ConnectionProvider } from '../netlink/provider.js';
import { native } from '../native.js';
import { NFGENMSG_SIZE, NFTA_RULE_HANDLE, NFTA_SET_NAME, NFTA_SET_TABLE, NFT_MSG_GETSET, NFT_MSG_NEWRULE, nftMessageType } from './constants.js';
import { ERESTART, RulesetChangedError } from './errors.js';
import { InterfacesNeeded, type InterfaceNames } from './datatypes.js';
import type { ParsedSet } from './decompile.js';
import { fetchInterfaces } from './interfaces.js';
import type { NftCommand, NftDocument, NftExpression, NftFamily, NftListing } from './json.js';
import { getGeneration, listRuleset } from './list.js';
import { writeNfgenmsg } from './messages.js';
import { definitionOfParsed, parseFamily } from './objects.js';
import { RuleTemplates } from './template.js';
import { buildTransaction, parseCommands, setsToFetch, type Command, type Transaction, type TransactionContext } from './transaction.js';
import { ValidationError } from '../netlink/errors.js';


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
 * nf_tables (`nft`) in one namespace: tables, chains, rules, sets and maps, written and read as
 * nftables JSON (libnftables-json(5)).
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
   * tables, chains, rules, sets, maps and elements. Either every command takes effect or none.
   *
   * Bad input rejects with a ValidationError naming the field (`nftables[3].add.rule.expr[1]...`)
   * before anything is sent. A kernel refusal rejects with a NetlinkError naming the command
   * (`operation: 'nft add rule'`) and its index in the document.
   */
  async apply(document: NftDocument | NftCommand[], options: ApplyOptions = {}): Promise<ApplyResult> {
    const commands = parseCommands(document);
    const echo = (options.handles ?? true) && !options.dryRun;
    const needed = setsToFetch(commands);
    const knownSets = needed.length > 0 ? await this.fetchSets(commands, needed) : new Map();
    const context: TransactionContext = { interfaces: undefined, knownSets, templates: this.templates };
    let transaction: Transaction;
    try {
      transaction = buildTransaction(commands, { ...options, echo }, context);
    } catch (error) {
      if (!(error instanceof InterfacesNeeded)) throw error;
      context.interfaces = await this.interfaces();
      transaction = buildTransaction(commands, { ...options, echo }, context);
    }
    const result = await this.connection.execute(transaction.batch);
    if (result.failed > 0) throw this.firstError(transaction, result.errors, options);
    const handles: (number | undefined)[] = new Array<number | undefined>(commands.length === 0 ? 0 : commands[commands.length - 1]!.index + 1).fill(undefined);
    if (echo && result.replies) {
      for (const [op, index] of transaction.ruleOperations) {
        for (const reply of result.replies[op] ?? []) {
          if (reply.type !== nftMessageType(NFT_MSG_NEWRULE)) continue;
          const handle = messageAttributes(reply, NFGENMSG_SIZE).be64(NFTA_RULE_HANDLE);
          if (handle !== undefined) handles[index] = Number(handle);
        }
      }
    }
    return { handles };
  }

  private firstError(transaction: Transaction, errors: (NetlinkError | undefined)[], options: ApplyOptions): NetlinkError {
    const commit = errors[transaction.commitOperation];
    if (commit?.errno === ERESTART && options.generation !== undefined) return new RulesetChangedError(options.generation, this.provider.netnsLabel);
    for (let op = 0; op < errors.length; op++) {
      if (op !== transaction.commitOperation && errors[op] !== undefined) return errors[op]!;
    }
    return commit!;
  }

  /** Lists the ruleset, a table, a chain or a set as nftables JSON, like `nft -j list ...`. */
  async list(filter: NftListFilter = {}): Promise<NftListing> {
    return (await this.snapshot(filter)).ruleset;
  }

  /**
   * Lists like {@link list}, and returns the generation the listing shows: pass it to
   * `apply({generation})` so that the apply fails if anything changed in between.
   */
  async snapshot(filter: NftListFilter = {}): Promise<NftSnapshot> {
    if ((filter.chain !== undefined || filter.set !== undefined) && filter.table === undefined) {
      throw new ValidationError('filter.table', filter.table, 'listing a chain or set needs its table');
    }
    const family = filter.family === undefined ? undefined : parseFamily(filter.family, 'filter.family');
    const { listing, generation } = await listRuleset(this.connection, { family, table: filter.table, chain: filter.chain, set: filter.set }, { interfaces: () => this.interfaces() });
    return { ruleset: listing, generation };
  }

  /** The current ruleset generation: it changes with every committed transaction. */
  generation(): Promise<number> {
    return getGeneration(this.connection);
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

  /** Reads the definitions of sets that element commands use without defining them. */
  private async fetchSets(commands: readonly Command[], needed: { family: number; table: string; name: string }[]): Promise<Map<string, ReturnType<typeof definitionOfParsed> & object>> {
    const out = new Map<string, ReturnType<typeof definitionOfParsed> & object>();
    await Promise.all(
      needed.map(async (ref) => {
        const command = commands.find((c) => c.kind === 'element' && (c.body as { name?: unknown }).name === ref.name);
        const operation = { operation: command ? `nft ${command.verb} element` : 'nft element', index: command?.index };
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
        const definition = set === undefined ? undefined : definitionOfParsed(set);
        if (definition === undefined) throw new ValidationError(command ? `${command.path}.name` : 'set', ref.name, 'a set whose key type routemark does not know');
        out.set(`${ref.family}|${ref.table}|${ref.name}`, definition);
      }),
    );
    return out;
  }
}
