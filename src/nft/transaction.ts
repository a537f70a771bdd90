/**
 * An nftables JSON document as one nf_tables transaction: BATCH_BEGIN, the messages of every
 * command (each owned by its command, so a kernel error names the command and its index),
 * BATCH_END (left out for a dry run, which makes the kernel validate and abort). Everything is
 * validated while the batch is written, before anything is sent.
 */
import { Batch } from '../netlink/batch.js';
import type { MessageWriter } from '../netlink/attributes.js';
import { NLM_F_APPEND, NLM_F_CREATE, NLM_F_ECHO, NLM_F_EXCL, NLM_F_REPLACE, NLM_F_REQUEST } from '../netlink/constants.js';
import { ValidationError } from '../netlink/errors.js';
import { NFNL_BATCH_GENID, NFNL_MSG_BATCH_BEGIN, NFNL_MSG_BATCH_END, NFNL_SUBSYS_NFTABLES, NFPROTO_UNSPEC, NFTA_RULE_CHAIN, NFTA_RULE_HANDLE, NFTA_RULE_POSITION, NFTA_RULE_TABLE, NFTA_SET_ELEM_LIST_ELEMENTS, NFTA_SET_ELEM_LIST_SET, NFTA_SET_ELEM_LIST_SET_ID, NFTA_SET_ELEM_LIST_TABLE, NFT_MSG_DELCHAIN, NFT_MSG_DELRULE, NFT_MSG_DELSET, NFT_MSG_DELSETELEM, NFT_MSG_DELTABLE, NFT_MSG_NEWCHAIN, NFT_MSG_NEWRULE, NFT_MSG_NEWSET, NFT_MSG_NEWSETELEM, NFT_MSG_NEWTABLE, nftMessageType } from './constants.js';
import type { RuleContext } from './compile.js';
import type { InterfaceNames } from './datatypes.js';
import { writeChain, writeElement, writeNfgenmsg, writeRule, writeSet, writeTable, type ElementMessage, type SetMessage } from './messages.js';
import { objectName, parseChain, parseFamily, parseSet, parseTable, type SetDefinition } from './objects.js';
import { encodeElements } from './sets.js';
import type { RuleTemplates } from './template.js';
import { asObject, singleKey } from './values.js';

/** The verbs of a document. */
const VERBS = new Set(['add', 'create', 'insert', 'replace', 'delete', 'flush']);
const OBJECTS = new Set(['table', 'chain', 'rule', 'set', 'map', 'element']);

/** One command of a document, normalized. */
export interface Command {
  index: number;
  verb: 'add' | 'create' | 'insert' | 'replace' | 'delete' | 'flush';
  kind: 'table' | 'chain' | 'rule' | 'set' | 'map' | 'element' | 'ruleset';
  body: unknown;
  /** Field path of the object (`nftables[3].add.rule`). */
  path: string;
  /** A listing object without a command (`{"rule": ...}`): its handle is output, not a position. */
  bare: boolean;
}

/** Splits a document into commands; validates the command structure. */
export function parseCommands(document: unknown): Command[] {
  const list = Array.isArray(document) ? document : asObject(document)?.nftables;
  const prefix = Array.isArray(document) ? 'commands' : 'nftables';
  if (!Array.isArray(list)) throw new ValidationError(prefix, document, 'expected {"nftables": [COMMANDS]}');
  const commands: Command[] = [];
  list.forEach((item, index) => {
    const field = `${prefix}[${index}]`;
    const key = singleKey(item);
    if (key === undefined) throw new ValidationError(field, item, 'expected an object with one key: a command (add, create, insert, replace, delete, flush) or an object (table, chain, rule, set, map, element)');
    const body = (item as Record<string, unknown>)[key];
    if (key === 'metainfo') {
      const version = asObject(body)?.json_schema_version;
      if (version !== undefined && (typeof version !== 'number' || version > 1)) throw new ValidationError(`${field}.metainfo.json_schema_version`, version, 'expected schema version 1');
      return;
    }
    if (OBJECTS.has(key)) {
      commands.push({ index, verb: 'add', kind: key as Command['kind'], body, path: `${field}.${key}`, bare: true });
      return;
    }
    if (!VERBS.has(key)) throw new ValidationError(field, item, `unsupported command "${key}" (supported: ${[...VERBS].join(', ')})`);
    const kind = singleKey(body);
    if (kind === undefined || !(OBJECTS.has(kind) || (kind === 'ruleset' && key === 'flush'))) {
      throw new ValidationError(`${field}.${key}`, body, `expected one object: ${[...OBJECTS].join(', ')}${key === 'flush' ? ', ruleset' : ''}`);
    }
    if ((key === 'insert' || key === 'replace') && kind !== 'rule') throw new ValidationError(`${field}.${key}`, body, `${key} takes a rule`);
    if (key === 'flush' && (kind === 'rule' || kind === 'element')) throw new ValidationError(`${field}.${key}`, body, 'flush takes a table, chain, set, map or ruleset');
    commands.push({ index, verb: key as Command['verb'], kind: kind as Command['kind'], body: (body as Record<string, unknown>)[kind], path: `${field}.${key}.${kind}`, bare: false });
  });
  return commands;
}

/** A named set: where element commands find its types. */
export interface SetRef {
  family: number;
  table: string;
  name: string;
}

/** Sets that element commands use without defining them in the document. */
export function setsToFetch(commands: readonly Command[]): SetRef[] {
  const defined = new Set<string>();
  const needed = new Map<string, SetRef>();
  for (const command of commands) {
    const body = asObject(command.body);
    if (body === undefined) continue;
    if ((command.kind === 'set' || command.kind === 'map') && command.verb !== 'delete' && command.verb !== 'flush') {
      defined.add(`${body.family}|${body.table}|${body.name}`);
    }
    if (command.kind === 'element' && typeof body.family === 'string' && typeof body.table === 'string' && typeof body.name === 'string') {
      const key = `${body.family}|${body.table}|${body.name}`;
      if (!defined.has(key) && !needed.has(key)) needed.set(key, { family: parseFamily(body.family, `${command.path}.family`), table: body.table, name: body.name });
    }
  }
  return [...needed.values()];
}

/** Options for a transaction. */
export interface TransactionOptions {
  /** Validate in the kernel without committing (no BATCH_END). */
  dryRun?: boolean;
  /** Commit only if the ruleset is still at this generation (NFNL_BATCH_GENID). */
  generation?: number;
  /** Ask the kernel to echo added rules (NLM_F_ECHO), to learn their handles. */
  echo?: boolean;
}

/** What the transaction builder consults. */
export interface TransactionContext {
  interfaces: InterfaceNames | undefined;
  /** Definitions of sets the document does not define (fetched beforehand). */
  knownSets: ReadonlyMap<string, Omit<SetDefinition, 'message' | 'elements'>>;
  templates: RuleTemplates;
}

/** A transaction ready to send. */
export interface Transaction {
  batch: Batch;
  /** The operation of BATCH_BEGIN/END: commit failures and generation mismatches. */
  commitOperation: number;
  /** Operation id -> command index, for operations that add or replace a rule. */
  ruleOperations: Map<number, number>;
}

/** Set-element nests above this many bytes continue in a new message (nla_len is 16 bits). */
const ELEMENTS_PER_MESSAGE_BYTES = 60000;

/** Receive-buffer bytes an echoed rule may take. */
const ECHO_REPLY_COST = 1536;

function batchHeader(writer: MessageWriter, generation: number | undefined): void {
  writeNfgenmsg(writer, NFPROTO_UNSPEC, NFNL_SUBSYS_NFTABLES);
  if (generation !== undefined) writer.attrBe32(NFNL_BATCH_GENID, generation);
}

/** Builds the transaction for a document's commands. Throws ValidationError on bad input. */
export function buildTransaction(commands: readonly Command[], options: TransactionOptions, context: TransactionContext): Transaction {
  const batch = new Batch({ atomic: true, collectReplies: options.echo === true, initialCapacity: 4096 + commands.length * 200 });
  const commitOperation = batch.operation({ operation: 'nft commit' });
  if (options.generation !== undefined && (!Number.isInteger(options.generation) || options.generation < 0 || options.generation > 0xffffffff)) {
    throw new ValidationError('options.generation', options.generation, 'expected a generation id from list() or generation()');
  }
  batch.begin(commitOperation, NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST);
  batchHeader(batch.writer, options.generation);
  batch.end();
  const ruleOperations = new Map<number, number>();
  const definedSets = new Map<string, Omit<SetDefinition, 'message' | 'elements'> & { id: number }>();
  let nextSetId = 1;
  const newSetId = () => nextSetId++;

  for (const command of commands) {
    const op = batch.operation({ operation: `nft ${command.verb} ${command.kind}`, index: command.index });
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
        if (command.verb === 'delete') {
          message(NFT_MSG_DELSET, definition.family, 0, (w) => writeSet(w, { table: set.table, name: set.name, handle: set.handle }));
          break;
        }
        if (command.verb === 'flush') {
          message(NFT_MSG_DELSETELEM, definition.family, 0, (w) => writeSet(w, { table: set.table, name: set.name }));
          break;
        }
        const id = newSetId();
        set.id = id;
        definedSets.set(`${definition.family}|${set.table}|${set.name}`, { ...definition, id });
        message(NFT_MSG_NEWSET, definition.family, createFlags, (w) => writeSet(w, set));
        if (definition.elements !== undefined && definition.elements.length > 0) {
          const elements = encodeElements(definition.elements, definition.key, definition.data, definition.interval, `${command.path}.elem`, context);
          writeElementMessages(batch, op, definition.family, createFlags, set, id, elements);
        }
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
        if (definition === undefined) throw new ValidationError(`${command.path}.name`, name, 'no such set or map (neither in this document nor in the kernel)');
        const deleting = command.verb === 'delete';
        // Deleting map elements takes their keys (a [KEY, VALUE] pair is accepted too).
        const data = deleting ? undefined : definition.data;
        let values = Array.isArray(object.elem) && (data === undefined || Array.isArray(object.elem[0])) ? object.elem : [object.elem];
        if (deleting && definition.data !== undefined) values = values.map((v) => (Array.isArray(v) && v.length === 2 ? v[0] : v));
        const elements = encodeElements(values, definition.key, data, definition.interval, `${command.path}.elem`, context);
        const setId = (definition as { id?: number }).id;
        if (deleting) writeElementMessages(batch, op, family, 0, { table, name }, setId, elements, NFT_MSG_DELSETELEM, true);
        else writeElementMessages(batch, op, family, createFlags, { table, name }, setId, elements);
        break;
      }
      case 'rule':
        writeRuleCommand(batch, op, command, options, context, newSetId, ruleOperations);
        break;
    }
  }
  if (!options.dryRun) {
    batch.begin(commitOperation, NFNL_MSG_BATCH_END, NLM_F_REQUEST);
    batchHeader(batch.writer, undefined);
    batch.end();
  }
  return { batch, commitOperation, ruleOperations };
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

function ruleHandle(value: unknown, field: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) throw new ValidationError(field, value, 'expected a rule handle');
  return value;
}

function writeRuleCommand(batch: Batch, op: number, command: Command, options: TransactionOptions, context: TransactionContext, newSetId: () => number, ruleOperations: Map<number, number>): void {
  const object = asObject(command.body);
  if (object === undefined) throw new ValidationError(command.path, command.body, 'expected a rule object');
  for (const key of Object.keys(object)) {
    if (!['family', 'table', 'chain', 'expr', 'handle', 'index', 'comment'].includes(key)) throw new ValidationError(`${command.path}.${key}`, object[key], 'unknown rule property');
  }
  const family = parseFamily(object.family, `${command.path}.family`, command.verb !== 'delete');
  const table = objectName(object.table, `${command.path}.table`);
  const chain = objectName(object.chain, `${command.path}.chain`);
  // In a listing fed back (objects without commands), handles name rules of the listed
  // ruleset, not positions in this one: nft ignores them there, and so does routemark.
  const handle = command.bare ? undefined : ruleHandle(object.handle, `${command.path}.handle`);
  if (object.index !== undefined) throw new ValidationError(`${command.path}.index`, object.index, 'rule positions by index are not supported; give the handle of the neighbouring rule');
  if (command.verb === 'delete') {
    if (handle === undefined) throw new ValidationError(`${command.path}.handle`, object.handle, 'deleting a rule needs its handle');
    batch.begin(op, nftMessageType(NFT_MSG_DELRULE), NLM_F_REQUEST);
    writeNfgenmsg(batch.writer, family);
    writeRule(batch.writer, { table, chain, handle });
    batch.end();
    return;
  }
  if (command.verb === 'replace' && handle === undefined) throw new ValidationError(`${command.path}.handle`, object.handle, 'replacing a rule needs its handle');
  const ruleContext: RuleContext = { family, table, interfaces: context.interfaces, nextSetId: newSetId };
  const result = context.templates.compile(object, ruleContext, command.path);
  let flags = NLM_F_REQUEST;
  if (command.verb === 'add') flags |= NLM_F_CREATE | NLM_F_APPEND;
  else if (command.verb === 'create' || command.verb === 'insert') flags |= NLM_F_CREATE;
  else flags |= NLM_F_REPLACE;
  if (options.echo) flags |= NLM_F_ECHO;
  if (result.compiled) {
    for (const anonymous of result.compiled.anonymousSets) {
      batch.begin(op, nftMessageType(NFT_MSG_NEWSET), NLM_F_REQUEST | NLM_F_CREATE);
      writeNfgenmsg(batch.writer, family);
      writeSet(batch.writer, anonymous.set);
      batch.end();
      writeElementMessages(batch, op, family, NLM_F_CREATE, { table, name: anonymous.set.name }, anonymous.set.id, anonymous.elements);
    }
  }
  batch.begin(op, nftMessageType(NFT_MSG_NEWRULE), flags, options.echo ? ECHO_REPLY_COST : undefined);
  const w = batch.writer;
  writeNfgenmsg(w, family);
  if (result.compiled) {
    writeRule(w, {
      table,
      chain,
      handle: command.verb === 'replace' ? handle : undefined,
      position: command.verb === 'replace' ? undefined : handle,
      userdata: result.compiled.userdata,
      expr: result.compiled.expressions,
    });
  } else {
    // libnftnl's order: table, chain, handle, position, (userdata), expressions.
    w.attrString(NFTA_RULE_TABLE, table);
    w.attrString(NFTA_RULE_CHAIN, chain);
    if (command.verb === 'replace') w.attrBe64(NFTA_RULE_HANDLE, BigInt(handle!));
    else if (handle !== undefined) w.attrBe64(NFTA_RULE_POSITION, BigInt(handle));
    const at = w.length;
    w.raw(result.bytes);
    const bytes = w.bytes();
    for (const patch of result.patches) bytes.set(patch.bytes, at + patch.offset);
  }
  batch.end();
  ruleOperations.set(op, command.index);
}

