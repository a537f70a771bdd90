/**
 * An nftables JSON document as one nf_tables transaction: BATCH_BEGIN, the messages of every
 * command (each owned by its command, so a kernel error names the command and its index),
 * BATCH_END (left out for a dry run, which makes the kernel validate and abort). Everything is
 * validated while the batch is written, before anything is sent.
 */
import { Batch } from '../netlink/batch.js';
import { HOST_IS_LITTLE_ENDIAN, MessageWriter } from '../netlink/attributes.js';
import { NLA_TYPE_MASK, NLMSG_HDRLEN, NLM_F_APPEND, NLM_F_CREATE, NLM_F_ECHO, NLM_F_EXCL, NLM_F_REPLACE, NLM_F_REQUEST } from '../netlink/constants.js';
import { ValidationError } from '../netlink/errors.js';
import { NFGENMSG_SIZE, NFNL_BATCH_GENID, NFNL_MSG_BATCH_BEGIN, NFNL_MSG_BATCH_END, NFNL_SUBSYS_NFTABLES, NFPROTO_UNSPEC, NFT_SET_CONSTANT, NFT_SET_ELEM_INTERVAL_END, NFTA_RULE_CHAIN, NFTA_RULE_TABLE, NFTA_SET_ELEM_LIST_ELEMENTS, NFTA_SET_ELEM_LIST_SET, NFTA_SET_ELEM_LIST_SET_ID, NFTA_SET_ELEM_LIST_TABLE, NFTA_SET_FLAGS, NFT_MSG_DELCHAIN, NFT_MSG_DELOBJ, NFT_MSG_DELRULE, NFT_MSG_DELSET, NFT_MSG_DELSETELEM, NFT_MSG_DELTABLE, NFT_MSG_NEWCHAIN, NFT_MSG_NEWOBJ, NFT_MSG_NEWRULE, NFT_MSG_NEWSET, NFT_MSG_NEWSETELEM, NFT_MSG_NEWTABLE, NFT_SET_ANONYMOUS, NFT_SET_EVAL, NFT_SET_MAP, NFT_SET_OBJECT, nftMessageType } from './constants.js';
import type { NamedSetInfo, RuleContext } from './compile.js';
import type { InterfaceNames } from './datatypes.js';
import { writeChain, writeElement, writeNfgenmsg, writeObject, writeRule, writeSet, writeTable, type ElementMessage, type SetMessage } from './messages.js';
import { familyName } from './decompile.js';
import { handleOf, objectName, parseChain, parseFamily, parseObject, parseSet, parseTable, type SetDefinition } from './objects.js';
import { ELEMENTS_PER_MESSAGE_BYTES, automergeDelete, automergeElements, elementLayout, encodeElements, plainElementsPerMessage, writePlainElements, type Interval } from './sets.js';
import { RuleTemplates, templateExpressions, type Template } from './template.js';
import { asObject, singleKey } from './values.js';
import { keepShape } from '../shapes.js';

/** The verbs of a document. */
const VERBS = new Set(['add', 'create', 'insert', 'replace', 'delete', 'flush']);
const OBJECTS = new Set(['table', 'chain', 'rule', 'set', 'map', 'element', 'counter', 'quota']);

/** One command of a document, normalized. */
export class Command {
  constructor(
    /** Index in the caller's document. */
    readonly index: number,
    readonly verb: 'add' | 'create' | 'insert' | 'replace' | 'delete' | 'flush',
    readonly kind: 'table' | 'chain' | 'rule' | 'set' | 'map' | 'element' | 'counter' | 'quota' | 'ruleset',
    readonly body: unknown,
    /** A listing object without a command (`{"rule": ...}`): its handle is output, not a position. */
    readonly bare: boolean,
    private readonly prefix: string,
  ) {}

  /** Field path of the object (`nftables[3].add.rule`), built only when an error needs it. */
  get path(): string {
    return this.bare ? `${this.prefix}[${this.index}].${this.kind}` : `${this.prefix}[${this.index}].${this.verb}.${this.kind}`;
  }
}

/** Commands by position: a document's, read one at a time (nothing retained per command). */
export interface CommandSource {
  readonly length: number;
  at(index: number): Command | undefined;
  /** The raw JSON item at `index` (for the bulk fast path), if the source has one. */
  item?(index: number): unknown;
}

/**
 * A document's commands, parsed when read: a bulk document of 100,000 rules then costs no
 * retained object per command (which the garbage collector would have to copy around).
 */
export class DocumentCommands implements CommandSource {
  constructor(
    private readonly list: readonly unknown[],
    private readonly prefix: string,
  ) {}

  get length(): number {
    return this.list.length;
  }

  item(index: number): unknown {
    return this.list[index];
  }

  /** The command at `index`, validated; undefined for metainfo. */
  at(index: number): Command | undefined {
    const prefix = this.prefix;
    const item: unknown = this.list[index];
    const key = singleKey(item);
    if (key === undefined) throw new ValidationError(`${prefix}[${index}]`, item, 'expected an object with one key: a command (add, create, insert, replace, delete, flush) or an object (table, chain, rule, set, map, element, counter, quota)');
    const body = (item as Record<string, unknown>)[key];
    switch (key) {
      case 'metainfo': {
        const version = asObject(body)?.json_schema_version;
        if (version !== undefined && (typeof version !== 'number' || version > 1)) throw new ValidationError(`${prefix}[${index}].metainfo.json_schema_version`, version, 'expected schema version 1');
        return undefined;
      }
      case 'table':
      case 'chain':
      case 'rule':
      case 'set':
      case 'map':
      case 'element':
      case 'counter':
      case 'quota':
        return new Command(index, 'add', key, body, true, prefix);
      case 'reset':
        // GETOBJ_RESET is a request of its own: the kernel refuses it inside a transaction.
        throw new ValidationError(`${prefix}[${index}]`, item, 'a reset cannot be part of an nf_tables transaction: use nft.reset(), which returns the values before the reset');
      case 'add':
      case 'create':
      case 'insert':
      case 'replace':
      case 'delete':
      case 'flush':
        break;
      default:
        throw new ValidationError(`${prefix}[${index}]`, item, `unsupported command "${key}" (supported: ${[...VERBS].join(', ')})`);
    }
    const kind = singleKey(body);
    if (kind === undefined || !(OBJECTS.has(kind) || (kind === 'ruleset' && key === 'flush'))) {
      throw new ValidationError(`${prefix}[${index}].${key}`, body, `expected one object: ${[...OBJECTS].join(', ')}${key === 'flush' ? ', ruleset' : ''}`);
    }
    if ((key === 'insert' || key === 'replace') && kind !== 'rule') throw new ValidationError(`${prefix}[${index}].${key}`, body, `${key} takes a rule`);
    if (key === 'flush' && (kind === 'rule' || kind === 'element' || kind === 'counter' || kind === 'quota')) throw new ValidationError(`${prefix}[${index}].${key}`, body, 'flush takes a table, chain, set, map or ruleset');
    return new Command(index, key, kind as Command['kind'], (body as Record<string, unknown>)[kind], false, prefix);
  }

  /** Every command, parsed (tests and small documents). */
  toArray(): Command[] {
    const out: Command[] = [];
    for (let i = 0; i < this.list.length; i++) {
      const command = this.at(i);
      if (command !== undefined) out.push(command);
    }
    return out;
  }
}

/** A document's commands; validates the container (commands are validated when read). */
export function parseCommands(document: unknown): DocumentCommands {
  const list = Array.isArray(document) ? document : asObject(document)?.nftables;
  const prefix = Array.isArray(document) ? 'commands' : 'nftables';
  if (!Array.isArray(list)) throw new ValidationError(prefix, document, 'expected {"nftables": [COMMANDS]}');
  return new DocumentCommands(list, prefix);
}

/**
 * Thrown while building when element commands, or rules that write to a set, use a set the
 * document does not define: its definition must be read from the kernel first.
 */
export class SetNeeded extends Error {
  constructor(
    readonly set: SetRef,
    readonly command: Command,
    /** The field that names the set, and its value (for errors about the definition read). */
    readonly field: string,
    readonly value: unknown,
    /**
     * What is needed: the set's definition (its types), only its flags (a flush: is it a set
     * or a map), the intervals it holds (elements added to an auto-merge set), or whether the
     * kernel already holds a set the document adds again, with auto-merge.
     */
    readonly need: 'definition' | 'flags' | 'intervals' | 'automerge' = 'definition',
  ) {
    super(`routemark: the definition of set ${set.table} ${set.name} is needed`);
  }
}

/** A named set: where element commands find its types. */
export interface SetRef {
  family: number;
  table: string;
  name: string;
}

/** Options for a transaction. */
export interface TransactionOptions {
  /** Validate in the kernel without committing (no BATCH_END). */
  dryRun?: boolean;
  /** Commit only if the ruleset is still at this generation (NFNL_BATCH_GENID). */
  generation?: number;
  /** Ask the kernel to echo added rules (NLM_F_ECHO), to learn their handles. */
  echo?: boolean;
  /** One operation per command, even for bulk runs of rules (to find which one failed). */
  preciseErrors?: boolean;
}

/** What the transaction builder consults. */
export interface TransactionContext {
  interfaces: InterfaceNames | undefined;
  /** Definitions of sets the document does not define (fetched beforehand). */
  knownSets: ReadonlyMap<string, KnownSet>;
  /** NFT_SET_* flags of sets the document flushes without defining them (fetched beforehand). */
  setFlags?: ReadonlyMap<string, number>;
  /** The intervals auto-merge sets hold, for element commands on them (fetched beforehand). */
  setIntervals?: ReadonlyMap<string, readonly Interval[]>;
  /**
   * For interval sets the document adds (`add`, not `create`) and then adds elements to:
   * whether the kernel already holds the set with auto-merge (fetched beforehand; false if it
   * holds no such set).
   */
  kernelAutomerge?: ReadonlyMap<string, boolean>;
  templates: RuleTemplates;
}

/**
 * A set's definition as element commands and rules that write to the set need it; `automerge`
 * for a set whose userdata asks for nft's auto-merge (only sets made by other tools have it).
 */
export type KnownSet = Omit<SetDefinition, 'message' | 'elements'> & { automerge?: boolean };

/** A set the transaction defines: where its NEWSET message is, to make it dynamic later. */
type DefinedSet = KnownSet & {
  id: number;
  messageIndex: number;
  /** Added again (not created) by the document: the kernel may hold it with auto-merge. */
  mayMerge?: boolean;
};

/**
 * Sets NFT_SET_EVAL in a NEWSET message already written, as nft does for a set that a rule of
 * the same transaction writes to: only then does the kernel give the set a backend that takes
 * updates from the packet path (nft 1.0.6 neither lists nor reads the `dynamic` flag).
 */
function markDynamic(batch: Batch, set: DefinedSet): void {
  if ((set.flags & NFT_SET_EVAL) !== 0) return;
  set.flags |= NFT_SET_EVAL;
  const bytes = batch.bytes();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = batch.messageEnd(set.messageIndex);
  for (let at = batch.messageStart(set.messageIndex) + NLMSG_HDRLEN + NFGENMSG_SIZE; at + 4 <= end; ) {
    const length = view.getUint16(at, HOST_IS_LITTLE_ENDIAN);
    if ((view.getUint16(at + 2, HOST_IS_LITTLE_ENDIAN) & NLA_TYPE_MASK) === NFTA_SET_FLAGS) {
      view.setUint32(at + 4, view.getUint32(at + 4) | NFT_SET_EVAL);
      return;
    }
    at += (length + 3) & ~3;
  }
  throw new Error('routemark: a NEWSET message without NFTA_SET_FLAGS');
}

/** A transaction ready to send. */
export interface Transaction {
  batch: Batch;
  /** The operation of BATCH_BEGIN/END: commit failures and generation mismatches. */
  commitOperation: number;
  /** New rules whose handles apply reports (with `echo`). */
  ruleRuns: RuleRun[];
  /** Command index -> handle known without asking (replace keeps the handle). */
  knownHandles: Map<number, number>;
  /** Operations that several commands share: an error on one does not say which command failed. */
  sharedOperations: Set<number>;
}

/** Operation names, e.g. `nft add rule` (errors name the operation and its index). */
const OPERATION_NAMES: Record<Command['verb'], Record<Command['kind'], string>> = Object.fromEntries(
  (['add', 'create', 'insert', 'replace', 'delete', 'flush'] as const).map((verb) => [
    verb,
    Object.fromEntries((['table', 'chain', 'rule', 'set', 'map', 'element', 'counter', 'quota', 'ruleset'] as const).map((kind) => [kind, `nft ${verb} ${kind}`])),
  ]),
) as Record<Command['verb'], Record<Command['kind'], string>>;


/** Receive-buffer bytes an echoed rule may take. */
const ECHO_REPLY_COST = 1536;

function batchHeader(writer: MessageWriter, generation: number | undefined): void {
  writeNfgenmsg(writer, NFPROTO_UNSPEC, NFNL_SUBSYS_NFTABLES);
  if (generation !== undefined) writer.attrBe32(NFNL_BATCH_GENID, generation);
}

/**
 * Refuses a flush that names a set as a map or a map as a set, as nft does (its
 * cmd_evaluate_flush answers ENOENT): a `set` is a named set that is not a map, a `map` a data
 * or object map. The kind comes from the document if it defines the set, else from the kernel
 * (read before anything is sent). nft reads flush targets by name only, so a handle is refused.
 */
function checkFlushKind(command: Command, family: number, set: SetMessage, definedSets: ReadonlyMap<string, DefinedSet>, context: TransactionContext): void {
  if (set.name === undefined) throw new ValidationError(`${command.path}.name`, undefined, `flushing a ${command.kind} needs its name (as in nft, a handle does not name it here)`);
  const key = `${family}|${set.table}|${set.name}`;
  const flags = definedSets.get(key)?.flags ?? context.knownSets.get(key)?.flags ?? context.setFlags?.get(key);
  if (flags === undefined) throw new SetNeeded({ family, table: set.table!, name: set.name }, command, `${command.path}.name`, set.name, 'flags');
  if ((flags & NFT_SET_ANONYMOUS) !== 0) throw new ValidationError(`${command.path}.name`, set.name, `${set.name} is an anonymous set of a rule, which nft does not flush`);
  const isMap = (flags & (NFT_SET_MAP | NFT_SET_OBJECT)) !== 0;
  if (isMap !== (command.kind === 'map')) {
    const actual = isMap ? 'map' : 'set';
    throw new ValidationError(command.path, command.body, `${familyName(family)} ${set.table} ${set.name} is a ${actual}, not a ${command.kind} (nft refuses this flush with ENOENT): flush it as {"flush": {"${actual}": ...}}`);
  }
}

/** Builds the transaction for a document's commands. Throws ValidationError on bad input. */
export function buildTransaction(commands: CommandSource, options: TransactionOptions, context: TransactionContext): Transaction {
  const batch = new Batch({ atomic: true, collectReplies: options.echo === true, initialCapacity: 4096 + Math.min(commands.length, 64) * 512 });
  const commitOperation = batch.operation({ operation: 'nft commit' });
  if (options.generation !== undefined && (!Number.isInteger(options.generation) || options.generation < 0 || options.generation > 0xffffffff)) {
    throw new ValidationError('options.generation', options.generation, 'expected a generation id from list() or generation()');
  }
  batch.begin(commitOperation, NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST);
  batchHeader(batch.writer, options.generation);
  batch.end();
  const definedSets = new Map<string, DefinedSet>();
  /** Intervals of auto-merge sets as the commands so far leave them (as nft's cache tracks them). */
  const intervals = new Map<string, readonly Interval[]>();
  /** Sets the document deletes: adding one again makes a new set, whatever the kernel held. */
  const deletedSets = new Set<string>();
  let nextSetId = 1;
  const newSetId = () => nextSetId++;
  const rules = new RuleWriter(batch, options, context, newSetId, (ref, command, field, use) => {
    const key = `${ref.family}|${ref.table}|${ref.name}`;
    const defined = definedSets.get(key);
    if (defined !== undefined) {
      if (use === 'update') markDynamic(batch, defined);
      return defined;
    }
    const known = context.knownSets.get(key);
    if (known === undefined && use === 'check') return undefined;
    if (known === undefined) throw new SetNeeded(ref, command, field, `@${ref.name}`);
    return known;
  });

  // Verdict-map elements that jump to a chain a later command adds wait until it has been added:
  // the kernel resolves the chain when it reads the element, and listings (nft's and ours) put
  // maps before chains, so a listing fed back would otherwise fail with ENOENT (as nft -j -f does).
  const heldElements: HeldElements[] = [];
  let chainAdds: ReadonlyMap<string, number> | undefined;
  const afterTargetChains = (c: number, set: string): HoldElements => (family, table, elements, write) => {
    let until = -1;
    for (const element of elements) {
      if (element.chain === undefined) continue;
      chainAdds ??= lastChainAdds(commands);
      until = Math.max(until, chainAdds.get(`${family}|${table}|${element.chain}`) ?? -1);
    }
    if (until > c) heldElements.push({ until, set: `${family}|${table}|${set}`, write });
    else write();
  };
  /** Writes the held elements whose chains are added before command `before` (or those of `set`). */
  const release = (before: number, set?: string) => {
    for (let i = 0; i < heldElements.length; ) {
      if (heldElements[i]!.until >= before && heldElements[i]!.set !== set) {
        i++;
        continue;
      }
      // A run of rules ends here: its handles follow each other only without messages between.
      rules.closeRun();
      heldElements.splice(i, 1)[0]!.write();
    }
  };

  const count = commands.length;
  const items = commands.item !== undefined;
  for (let c = 0; c < count; c++) {
    // Growing the batch buffer copies it: once the first commands show their size, reserve
    // for the rest.
    if (c === 64 && count > 256) batch.writer.reserve(Math.ceil((batch.byteLength / c) * (count - c) * 1.15));
    if (heldElements.length > 0) release(c);
    if (items && rules.writeFast(commands.item!(c), c)) continue;
    const command = commands.at(c);
    if (command === undefined) {
      rules.closeRun();
      continue;
    }
    const op = batch.operation({ operation: OPERATION_NAMES[command.verb][command.kind], index: command.index });
    if (command.kind !== 'rule') rules.closeRun();
    const message = (msg: number, family: number, flags: number, write: (w: MessageWriter) => void, replyCost?: number) => {
      batch.begin(op, nftMessageType(msg), NLM_F_REQUEST | flags, replyCost);
      writeNfgenmsg(batch.writer, family);
      write(batch.writer);
      batch.end();
    };
    const createFlags = command.verb === 'create' ? NLM_F_CREATE | NLM_F_EXCL : NLM_F_CREATE;
    switch (command.kind) {
      case 'ruleset':
        if (command.body !== null && command.body !== undefined) throw new ValidationError(command.path, command.body, 'expected null');
        message(NFT_MSG_DELTABLE, NFPROTO_UNSPEC, 0, () => {});
        break;
      case 'table': {
        const { family, message: table } = parseTable(command.body, command.path, command.verb === 'delete');
        if (command.verb === 'delete') message(NFT_MSG_DELTABLE, family, 0, (w) => writeTable(w, table));
        else if (command.verb === 'flush') message(NFT_MSG_DELRULE, family, 0, (w) => w.attrString(NFTA_RULE_TABLE, table.name!));
        else message(NFT_MSG_NEWTABLE, family, createFlags, (w) => writeTable(w, table));
        break;
      }
      case 'chain': {
        const identify = command.verb === 'delete' || command.verb === 'flush';
        const { family, message: chain } = parseChain(command.body, command.path, identify);
        if (command.verb === 'delete') message(NFT_MSG_DELCHAIN, family, 0, (w) => writeChain(w, chain));
        else if (command.verb === 'flush') {
          message(NFT_MSG_DELRULE, family, 0, (w) => {
            w.attrString(NFTA_RULE_TABLE, chain.table!);
            w.attrString(NFTA_RULE_CHAIN, chain.name!);
          });
        } else message(NFT_MSG_NEWCHAIN, family, createFlags, (w) => writeChain(w, chain));
        break;
      }
      case 'set':
      case 'map': {
        const identify = command.verb === 'delete' || command.verb === 'flush';
        const definition = parseSet(command.body, command.path, command.kind === 'map', identify);
        const set = definition.message;
        // A delete may name the set by handle alone: its key then names no set of the document.
        const setKeyText = `${definition.family}|${set.table}|${set.name}`;
        // A set's held elements go before what changes the set: the commands keep their order there.
        if (heldElements.length > 0) release(c, setKeyText);
        if (command.verb === 'delete') {
          if (set.name !== undefined) {
            intervals.set(setKeyText, []);
            deletedSets.add(setKeyText);
          }
          message(NFT_MSG_DELSET, definition.family, 0, (w) => writeSet(w, { table: set.table, name: set.name, handle: set.handle }));
          break;
        }
        if (command.verb === 'flush') {
          checkFlushKind(command, definition.family, set, definedSets, context);
          intervals.set(setKeyText, []);
          message(NFT_MSG_DELSETELEM, definition.family, 0, (w) => writeSet(w, { table: set.table, name: set.name }));
          break;
        }
        const id = newSetId();
        set.id = id;
        // A set added again keeps what the kernel holds, auto-merge too (the kernel ignores the
        // definition, and JSON cannot say auto-merge): nft 1.0.6 then merges the elements of
        // later element commands (its cache has the kernel's set), not those of the definition.
        const mayMerge = command.verb === 'add' && !deletedSets.has(setKeyText) && definition.interval && definition.data === undefined && definition.key.types.length === 1;
        const automerge = mayMerge && context.kernelAutomerge?.get(setKeyText) === true;
        definedSets.set(setKeyText, { ...definition, id, messageIndex: batch.messageCount, ...(mayMerge ? { automerge, mayMerge } : {}) });
        if (automerge) {
          const held = intervals.get(setKeyText) ?? context.setIntervals?.get(setKeyText);
          if (held === undefined) throw new SetNeeded({ family: definition.family, table: set.table!, name: set.name! }, command, `${command.path}.name`, set.name, 'intervals');
          // The definition's elements are sent as given, each its own interval.
          const inline = (definition.elements ?? []).flatMap((value, i) => automergeElements([value], definition.key, [], `${command.path}.elem[${i}]`, context, definition.counts).intervals);
          intervals.set(setKeyText, [...held, ...inline].sort((a, b) => Buffer.compare(a.low, b.low)));
        }
        const inlineElements = definition.elements !== undefined && definition.elements.length > 0 ? encodeElementList(definition.elements, definition, () => `${command.path}.elem`, context) : undefined;
        // nft sizes a constant set to the kernel elements of its definition (interval ends included).
        if ((definition.flags & NFT_SET_CONSTANT) !== 0 && inlineElements !== undefined) set.size = kernelElementCount(inlineElements, definition);
        message(NFT_MSG_NEWSET, definition.family, createFlags, (w) => writeSet(w, set));
        if (inlineElements !== undefined) writeElementList(batch, op, definition.family, createFlags, set, id, inlineElements, definition, false, afterTargetChains(c, set.name!));
        break;
      }
      case 'element': {
        const object = asObject(command.body);
        if (object === undefined) throw new ValidationError(command.path, command.body, 'expected an element object');
        const family = parseFamily(object.family, `${command.path}.family`);
        const table = objectName(object.table, `${command.path}.table`);
        const name = objectName(object.name, `${command.path}.name`);
        const key = `${family}|${table}|${name}`;
        const definition = definedSets.get(key) ?? context.knownSets.get(key);
        if (definition === undefined) throw new SetNeeded({ family, table, name }, command, `${command.path}.name`, name);
        if ((definition as DefinedSet).mayMerge === true && context.kernelAutomerge?.get(key) === undefined) {
          throw new SetNeeded({ family, table, name }, command, `${command.path}.name`, name, 'automerge');
        }
        const deleting = command.verb === 'delete';
        if (heldElements.length > 0 && deleting) release(c, key);
        // Deleting map elements takes their keys (a [KEY, VALUE] pair is accepted too).
        const data = deleting ? undefined : definition.data;
        let values = Array.isArray(object.elem) && (data === undefined || Array.isArray(object.elem[0])) ? object.elem : [object.elem];
        if (deleting && definition.data !== undefined) values = values.map((v) => (Array.isArray(v) && v.length === 2 ? v[0] : v));
        const setId = (definition as { id?: number }).id;
        if ((definition as KnownSet).automerge === true && definition.interval && definition.data === undefined && definition.key.types.length === 1) {
          const held = intervals.get(key) ?? context.setIntervals?.get(key);
          if (held === undefined) throw new SetNeeded({ family, table, name }, command, `${command.path}.name`, name, 'intervals');
          const field = `${command.path}.elem`;
          if (deleting) {
            const removed = automergeDelete(values, definition.key, held, field, context, definition.counts);
            writeElementMessages(batch, op, family, 0, { table, name }, undefined, removed.remove, NFT_MSG_DELSETELEM, true);
            intervals.set(key, removed.intervals);
            break;
          }
          const merged = automergeElements(values, definition.key, held, field, context, definition.counts);
          // nft 1.0.6 adds an end element at key 0 before the first interval when it adds to a
          // set that holds none and the first does not start at 0 (set_to_intervals, "first
          // segment"); it stays in the kernel, through deletes too. Sent so, the kernel holds
          // what it holds for nft.
          const first = merged.add[0]?.key;
          if (held.length === 0 && first !== undefined && first.some((byte) => byte !== 0)) merged.add.unshift({ key: new Uint8Array(first.length), flags: NFT_SET_ELEM_INTERVAL_END });
          // As nft sends them: the intervals that merge are deleted first, then the merged ones added.
          if (merged.purge.length > 0) writeElementMessages(batch, op, family, 0, { table, name }, undefined, merged.purge, NFT_MSG_DELSETELEM, true);
          if (merged.add.length > 0) writeElementMessages(batch, op, family, createFlags, { table, name }, setId, merged.add);
          intervals.set(key, merged.intervals);
          break;
        }
        const list = encodeElementList(values, { ...definition, data }, () => `${command.path}.elem`, context);
        writeElementList(batch, op, family, deleting ? 0 : createFlags, { table, name }, setId, list, { data }, deleting, afterTargetChains(c, name));
        break;
      }
      case 'rule':
        rules.write(op, command);
        break;
      case 'counter':
      case 'quota': {
        const { family, message: object } = parseObject(command.kind, command.body, command.path, command.verb === 'delete');
        if (command.verb === 'delete') message(NFT_MSG_DELOBJ, family, 0, (w) => writeObject(w, object));
        else message(NFT_MSG_NEWOBJ, family, createFlags, (w) => writeObject(w, object));
        break;
      }
    }
  }
  release(Infinity);
  rules.closeRun();
  if (!options.dryRun) {
    batch.begin(commitOperation, NFNL_MSG_BATCH_END, NLM_F_REQUEST);
    batchHeader(batch.writer, undefined);
    batch.end();
  }
  return { batch, commitOperation, ruleRuns: rules.runs, knownHandles: rules.knownHandles, sharedOperations: rules.sharedOperations };
}

/** Element messages written later, once command `until` (which adds a chain they jump to) is. */
interface HeldElements {
  until: number;
  /** family|table|name of the set they go into. */
  set: string;
  write: () => void;
}

/** Writes verdict-map elements now, or holds them until the chains they jump to are added. */
type HoldElements = (family: number, table: string, elements: readonly ElementMessage[], write: () => void) => void;

/**
 * family|table|chain -> index of the last command that adds (or creates) that chain. Commands it
 * cannot read are skipped here: the build reports them when it reaches them.
 */
function lastChainAdds(commands: CommandSource): Map<string, number> {
  const adds = new Map<string, number>();
  for (let i = 0; i < commands.length; i++) {
    try {
      const command = commands.at(i);
      if (command === undefined || command.kind !== 'chain' || (command.verb !== 'add' && command.verb !== 'create')) continue;
      const chain = asObject(command.body);
      if (chain === undefined || typeof chain.table !== 'string' || typeof chain.name !== 'string') continue;
      adds.set(`${parseFamily(chain.family, '')}|${chain.table}|${chain.name}`, i);
    } catch {
      continue;
    }
  }
  return adds;
}

/** Writes elements as NEWSETELEM (or DELSETELEM) messages, each nest under 64 KiB. */
function writeElementMessages(batch: Batch, op: number, family: number, flags: number, set: Pick<SetMessage, 'table' | 'name'>, setId: number | undefined, elements: readonly ElementMessage[], msg = NFT_MSG_NEWSETELEM, deleting = false): void {
  let i = 0;
  while (i < elements.length) {
    batch.begin(op, nftMessageType(msg), NLM_F_REQUEST | flags);
    const w = batch.writer;
    writeNfgenmsg(w, family);
    w.attrString(NFTA_SET_ELEM_LIST_SET, set.name!);
    if (setId !== undefined && !deleting) w.attrBe32(NFTA_SET_ELEM_LIST_SET_ID, setId);
    w.attrString(NFTA_SET_ELEM_LIST_TABLE, set.table!);
    w.beginNest(NFTA_SET_ELEM_LIST_ELEMENTS, true);
    const start = w.length;
    let position = 0;
    while (i < elements.length && (position === 0 || w.length - start < ELEMENTS_PER_MESSAGE_BYTES)) {
      writeElement(w, elements[i]!, position++);
      i++;
    }
    w.endNest();
    batch.end();
  }
}

/** A list of elements (JSON) encoded once: plain ones as one patched block, others one by one. */
type EncodedElementList = { plain: Buffer; size: number } | { elements: ElementMessage[] };

/** Encodes a list of elements; a bad one is a ValidationError with `field()` as the path. */
function encodeElementList(values: readonly unknown[], definition: Pick<SetDefinition, 'key' | 'data' | 'interval' | 'counts'>, field: () => string, context: TransactionContext): EncodedElementList {
  const layout = elementLayout(definition.key, definition.data, definition.interval);
  const plain = layout === undefined ? undefined : writePlainElements(values, layout, definition.data !== undefined, context);
  if (plain !== undefined) return { plain, size: layout!.size };
  return { elements: encodeElements(values, definition.key, definition.data, definition.interval, field(), context, definition.counts) };
}

/**
 * How many kernel elements nft 1.0.6 sends a list of elements as: an interval's end is one too,
 * and an interval set of one field gets a leading end element at key 0 unless its first
 * interval starts there (set_to_intervals), which routemark does not send.
 */
function kernelElementCount(list: EncodedElementList, definition: Pick<SetDefinition, 'key' | 'interval'>): number {
  if ('plain' in list) return list.plain.length / list.size;
  const leading = definition.interval && definition.key.types.length === 1 && list.elements[0]?.key?.some((byte) => byte !== 0) === true ? 1 : 0;
  return list.elements.length + leading;
}

/** Writes an encoded list of elements to add or delete. */
function writeElementList(batch: Batch, op: number, family: number, flags: number, set: Pick<SetMessage, 'table' | 'name'>, setId: number | undefined, list: EncodedElementList, definition: Pick<SetDefinition, 'data'>, deleting: boolean, hold?: HoldElements): void {
  const msg = deleting ? NFT_MSG_DELSETELEM : NFT_MSG_NEWSETELEM;
  if ('plain' in list) {
    writePlainElementMessages(batch, op, family, flags, set, deleting ? undefined : setId, list.plain, list.size, msg);
    return;
  }
  const write = () => writeElementMessages(batch, op, family, flags, set, setId, list.elements, msg, deleting);
  if (hold !== undefined && !deleting && definition.data?.verdict === true) hold(family, set.table!, list.elements, write);
  else write();
}

/**
 * Writes elements laid out (and numbered) by writePlainElements, in messages under 64 KiB:
 * {@link plainElementsPerMessage} to a message.
 */
function writePlainElementMessages(batch: Batch, op: number, family: number, flags: number, set: Pick<SetMessage, 'table' | 'name'>, setId: number | undefined, elements: Buffer, size: number, msg: number): void {
  const perMessage = plainElementsPerMessage(size);
  const total = elements.length / size;
  // Room for all of it at once: growing a batch of megabytes step by step copies it each time.
  const messages = Math.ceil(total / perMessage);
  batch.writer.reserve(elements.length + messages * (64 + Buffer.byteLength(set.name!) + Buffer.byteLength(set.table!)));
  for (let first = 0; first < total; first += perMessage) {
    const count = Math.min(perMessage, total - first);
    batch.begin(op, nftMessageType(msg), NLM_F_REQUEST | flags);
    const w = batch.writer;
    writeNfgenmsg(w, family);
    w.attrString(NFTA_SET_ELEM_LIST_SET, set.name!);
    if (setId !== undefined) w.attrBe32(NFTA_SET_ELEM_LIST_SET_ID, setId);
    w.attrString(NFTA_SET_ELEM_LIST_TABLE, set.table!);
    w.beginNest(NFTA_SET_ELEM_LIST_ELEMENTS, true);
    w.raw(elements.subarray(first * size, (first + count) * size));
    w.endNest();
    batch.end();
  }
}

/**
 * Consecutive new rules of one table, whose handles apply reports. The kernel numbers
 * everything created in a table from one counter, in message order, under the transaction's
 * mutex: only the first and last rule of a run are echoed (NLM_F_ECHO), the handles between them
 * follow. The rules of a run are consecutive commands of the document.
 */
export interface RuleRun {
  family: number;
  table: string;
  /** Index of the first rule's command; the run holds `count` consecutive commands. */
  firstIndex: number;
  count: number;
  /** Operations of the first and the last rule (their echoes come back on them). */
  firstOp: number;
  lastOp: number;
  /** Index of the last rule's NEWRULE message in the batch. */
  lastMessage: number;
  /** Rules that take more than one handle (their anonymous sets take one each): index -> handles. */
  extra: Map<number, number>;
}

const NEWRULE_TYPE = nftMessageType(NFT_MSG_NEWRULE);

/** Number of own keys of an object (the fast path checks key sets without allocating). */
function keyCount(object: object): number {
  let count = 0;
  for (const _ in object) count++;
  return count;
}

const RULE_KEYS = ['family', 'table', 'chain', 'expr', 'handle', 'index', 'comment'];

/** Writes rules into a batch: the rule-shape templates, cached message prefixes, echo runs. */
class RuleWriter {
  readonly runs: RuleRun[] = [];
  /** Command index -> handle, for rules whose handle is known up front (replace). */
  readonly knownHandles = new Map<number, number>();
  private run: RuleRun | undefined;
  private prefix: { family: number; table: string; chain: string; bytes: Uint8Array } | undefined;
  private ruleContext: RuleContext | undefined;
  private readonly scratch = new MessageWriter(512);
  /** Operations shared by several rules (the fast path's). */
  readonly sharedOperations = new Set<number>();
  private fastOp = -1;
  /** The last rule, if it came from a template: the next ones may take {@link writeFast}. */
  private fast: { template: Template; family: number; familyName: string; table: string; chain: string; head: Uint8Array; context: RuleContext; flags: number } | undefined;

  /** The rule command being compiled (what a set definition read is reported against). */
  private command: Command | undefined;

  constructor(
    private readonly batch: Batch,
    private readonly options: TransactionOptions,
    private readonly context: TransactionContext,
    private readonly newSetId: () => number,
    /** A named set's definition; for `check`, undefined where it would have to be read from the kernel first. */
    private readonly setDefinition: (ref: SetRef, command: Command, field: string, use: 'update' | 'lookup' | 'check') => NamedSetInfo | undefined,
  ) {}

  /** Ends the current run: its last rule is echoed too. */
  closeRun(): void {
    const run = this.run;
    this.run = undefined;
    this.fast = undefined;
    this.fastOp = -1;
    if (run === undefined || run.count < 2) return;
    const bytes = this.batch.bytes();
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const at = this.batch.messageStart(run.lastMessage) + 6; // nlmsg_flags
    view.setUint16(at, view.getUint16(at, HOST_IS_LITTLE_ENDIAN) | NLM_F_ECHO, HOST_IS_LITTLE_ENDIAN);
  }

  /** nfgenmsg, NFTA_RULE_TABLE and NFTA_RULE_CHAIN of a rule message, cached while they repeat. */
  private prefixBytes(family: number, table: string, chain: string): Uint8Array {
    const cached = this.prefix;
    if (cached !== undefined && cached.family === family && cached.table === table && cached.chain === chain) return cached.bytes;
    const w = this.scratch;
    w.reset();
    writeNfgenmsg(w, family);
    w.attrString(NFTA_RULE_TABLE, table);
    w.attrString(NFTA_RULE_CHAIN, chain);
    const bytes = Uint8Array.from(w.bytes());
    this.prefix = { family, table, chain, bytes };
    return bytes;
  }

  private contextFor(family: number, table: string): RuleContext {
    const cached = this.ruleContext;
    if (cached !== undefined && cached.family === family && cached.table === table) return cached;
    this.ruleContext = {
      family,
      table,
      interfaces: this.context.interfaces,
      nextSetId: this.newSetId,
      namedSet: (name, field, use) => this.setDefinition({ family, table, name }, this.command!, field, use)!,
      knownSet: (name) => this.setDefinition({ family, table, name }, this.command!, '', 'check'),
    };
    return this.ruleContext;
  }

  /**
   * The bulk fast path: `item` is `{"add": {"rule": ...}}` (or a listing's `{"rule": ...}`) for
   * the same table and chain as the previous rule, with statements that fit its template. Writes
   * it without building a Command; false if it is anything else (then it goes the normal way).
   */
  writeFast(item: unknown, index: number): boolean {
    const fast = this.fast;
    if (fast === undefined || this.options.preciseErrors || typeof item !== 'object' || item === null) return false;
    let rule: unknown = (item as { add?: unknown }).add;
    let bare = false;
    if (rule !== undefined) {
      if (keyCount(item) !== 1 || typeof rule !== 'object' || rule === null || keyCount(rule) !== 1) return false;
      rule = (rule as { rule?: unknown }).rule;
    } else {
      rule = (item as { rule?: unknown }).rule;
      bare = true;
      if (rule === undefined || keyCount(item) !== 1) return false;
    }
    if (typeof rule !== 'object' || rule === null) return false;
    const r = rule as { family?: unknown; table?: unknown; chain?: unknown; expr?: unknown; handle?: unknown };
    const keys = keyCount(r);
    if (keys !== 4 && !(bare && keys === 5 && r.handle !== undefined)) return false;
    if (r.family !== fast.familyName || r.table !== fast.table || r.chain !== fast.chain || r.expr === undefined) return false;
    if (!this.context.templates.refill(fast.template, r.expr, fast.context, fast.head)) return false;
    const batch = this.batch;
    // Consecutive rules of one shape share one operation: 100,000 of them would otherwise cost
    // 100,000 objects. If the kernel refuses one, apply finds which (see `sharedOperations`).
    let op = this.fastOp;
    if (op < 0) {
      op = batch.operation({ operation: OPERATION_NAMES.add.rule, index });
      this.fastOp = op;
      this.sharedOperations.add(op);
    }
    const run = this.run;
    if (run !== undefined) {
      run.count++;
      run.lastOp = op;
      run.lastMessage = batch.messageCount;
    }
    batch.begin(op, NEWRULE_TYPE, fast.flags);
    batch.writer.raw(fast.template.buffer);
    batch.end();
    return true;
  }

  write(op: number, command: Command): void {
    this.fastOp = -1;
    const object = asObject(command.body);
    if (object === undefined) throw new ValidationError(command.path, command.body, 'expected a rule object');
    for (const key in object) {
      switch (key) {
        case 'family':
        case 'table':
        case 'chain':
        case 'expr':
        case 'handle':
        case 'index':
        case 'comment':
          continue;
      }
      if (object[key] !== undefined) throw new ValidationError(`${command.path}.${key}`, object[key], `unknown rule property (known: ${RULE_KEYS.join(', ')})`);
    }
    const prefix = this.prefix;
    const family = prefix !== undefined && object.family === familyName(prefix.family) ? prefix.family : parseFamily(object.family, `${command.path}.family`, command.verb !== 'delete');
    const table = prefix !== undefined && object.table === prefix.table ? prefix.table : objectName(object.table, `${command.path}.table`);
    const chain = prefix !== undefined && object.chain === prefix.chain ? prefix.chain : objectName(object.chain, `${command.path}.chain`);
    // In a listing fed back (objects without commands), handles name rules of the listed
    // ruleset, not positions in this one: nft ignores them there, and so does routemark.
    const handle = command.bare || object.handle === undefined ? undefined : handleOf(object.handle, `${command.path}.handle`);
    if (object.index !== undefined) throw new ValidationError(`${command.path}.index`, object.index, 'rule positions by index are not supported; give the handle of the neighbouring rule');
    const batch = this.batch;
    if (command.verb === 'delete') {
      this.closeRun();
      if (handle === undefined) throw new ValidationError(`${command.path}.handle`, object.handle, 'deleting a rule needs its handle');
      batch.begin(op, nftMessageType(NFT_MSG_DELRULE), NLM_F_REQUEST);
      writeNfgenmsg(batch.writer, family);
      writeRule(batch.writer, { table, chain, handle });
      batch.end();
      return;
    }
    if (command.verb === 'replace' && handle === undefined) throw new ValidationError(`${command.path}.handle`, object.handle, 'replacing a rule needs its handle');
    const head = this.prefixBytes(family, table, chain);
    this.command = command;
    const result = this.context.templates.compile(object, this.contextFor(family, table), command, head);
    let flags = NLM_F_REQUEST;
    // `create` means "add, but fail if it exists": for rules, which have no identity but their
    // handle, that is add.
    if (command.verb === 'add' || command.verb === 'create') flags |= NLM_F_CREATE | NLM_F_APPEND;
    else if (command.verb === 'insert') flags |= NLM_F_CREATE;
    else flags |= NLM_F_REPLACE;

    let increment = 1;
    if (result.compiled) {
      increment += result.compiled.anonymousSets.length;
      for (const anonymous of result.compiled.anonymousSets) {
        batch.begin(op, nftMessageType(NFT_MSG_NEWSET), NLM_F_REQUEST | NLM_F_CREATE);
        writeNfgenmsg(batch.writer, family);
        writeSet(batch.writer, anonymous.set);
        batch.end();
        writeElementMessages(batch, op, family, NLM_F_CREATE, { table, name: anonymous.set.name }, anonymous.set.id, anonymous.elements);
      }
    }
    let echo = false;
    if (this.options.echo) {
      if (command.verb === 'replace') {
        this.closeRun();
        this.knownHandles.set(command.index, handle!);
      } else {
        if (this.run === undefined || this.run.family !== family || this.run.table !== table || this.run.firstIndex + this.run.count !== command.index) {
          this.closeRun();
          this.run = { family, table, firstIndex: command.index, count: 0, firstOp: op, lastOp: op, lastMessage: 0, extra: new Map() };
          this.runs.push(this.run);
          echo = true;
        }
        this.run.count++;
        this.run.lastOp = op;
        this.run.lastMessage = batch.messageCount;
        if (increment !== 1) this.run.extra.set(command.index, increment);
      }
    }
    batch.begin(op, nftMessageType(NFT_MSG_NEWRULE), flags | (echo ? NLM_F_ECHO : 0), echo ? ECHO_REPLY_COST : undefined);
    const w = batch.writer;
    if (result.template !== undefined && command.verb !== 'replace' && handle === undefined) {
      w.raw(result.template.buffer); // head (nfgenmsg, table, chain) and expressions
      if (command.verb === 'add' || command.verb === 'create') this.fast = { template: result.template, family, familyName: object.family as string, table, chain, head, context: this.contextFor(family, table), flags };
    } else {
      writeNfgenmsg(w, family);
      writeRule(w, {
        table,
        chain,
        handle: command.verb === 'replace' ? handle : undefined,
        position: command.verb === 'replace' ? undefined : handle,
        userdata: result.compiled?.userdata,
        expr: result.compiled?.expressions,
      });
      if (result.template !== undefined) w.raw(templateExpressions(result.template));
    }
    batch.end();
  }
}

keepShape(new DocumentCommands([], 'nftables'));
keepShape(new Command(0, 'add', 'rule', undefined, false, 'nftables'));
keepShape(new RuleWriter(new Batch(), {}, { interfaces: undefined, knownSets: new Map(), templates: new RuleTemplates() }, () => 0, () => {
  throw new Error('unused');
}));
