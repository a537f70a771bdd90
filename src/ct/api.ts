import { u32 } from '../common/validate.js';
import { Batch } from '../netlink/batch.js';
import { sendChunkedRuns } from '../netlink/chunked.js';
import type { Connection } from '../netlink/connection.js';
import { NETLINK_NETFILTER } from '../netlink/constants.js';
import { NetlinkError, ValidationError, type OperationRef } from '../netlink/errors.js';
import { messageAttributes } from '../netlink/message.js';
import { NFGENMSG_LEN, writeNfgenmsg } from '../netlink/nfnetlink.js';
import type { ConnectionProvider } from '../netlink/provider.js';
import { AF_UNSPEC } from '../rtnl/constants.js';
import { CTA_MARK, CTA_MARK_MASK, CTA_STATS_GLOBAL_ENTRIES, CTA_ZONE } from './constants.js';
import { FlowEvents, type FlowEventOptions } from './events.js';
import { compileFlowFilter, type CompiledFlowFilter, type FlowFilter } from './filter.js';
import { CreateTemplates, checkCreate } from './create.js';
import { decodeFlow, resolveFlowKey, type Flow, type FlowKey, type FlowSpec } from './flow.js';
import { CT_REQUESTS, encodeDump, encodeFlowKey, encodeRecordKey, encodeRecordUpdateMark, encodeUpdateMark, messageHead, type KernelFlowFilter } from './messages.js';
import { FlowRecord, FlowRecords } from './records.js';
import { NewFlowWatcher } from './watch.js';
import { hostBytes4, hostPair16, networkHalfWord, networkWord, type MessageWriter } from '../netlink/attributes.js';
import { keepShape } from '../shapes.js';

/** What happened to one flow in a bulk call. */
export interface FlowOutcome {
  /** The flow (decoded when first read). */
  readonly flow: Flow;
  /** changed: done; gone: the flow vanished meanwhile (ENOENT), which counts as done; failed: see error. */
  result: 'changed' | 'gone' | 'failed';
  error?: NetlinkError;
}

/** The result of a bulk update or delete. */
export interface BulkFlowResult {
  /**
   * Flows that matched the filter, each counted once however many dumps it was in: the changed,
   * gone, failed and unchanged ones, and any still remaining.
   */
  matched: number;
  changed: number;
  gone: number;
  failed: number;
  /**
   * Flows that matched but needed nothing, so no message was sent for them and they have no
   * outcome: for updateMarkWhere, flows that had the mark already (always 0 for deleteWhere).
   */
  unchanged: number;
  /** Flows that still matched after the last round (0 unless flows kept appearing). */
  remaining: number;
  /** Dump-and-batch rounds it took. */
  rounds: number;
  /** One entry per flow, in the order they were handled. */
  outcomes: FlowOutcome[];
}

/** The result of a call that takes an array: one error (or undefined) per item, in order. */
export interface ManyResult {
  errors: (NetlinkError | undefined)[];
  failed: number;
}

/** Options for bulk calls. */
export interface BulkOptions {
  /**
   * Rounds of dump-and-batch before giving up on matching flows that keep being made while the
   * call runs (default 4). A round after the first runs only when a matching flow was made.
   */
  maxRounds?: number;
}

/** Options for mark updates. */
export interface MarkOptions extends BulkOptions {
  /** Only these bits of the mark change (default all: 0xffffffff). */
  mask?: number;
}

function checkMark(mark: number, mask: number | undefined): { mark: number; mask: number | undefined } {
  const value = u32(mark, 'mark');
  const bits = mask !== undefined ? u32(mask, 'mask') : undefined;
  if (bits !== undefined && (value & ~bits) >>> 0 !== 0) {
    throw new ValidationError('mark', mark, `has bits outside mask 0x${bits.toString(16)}`);
  }
  return { mark: value, mask: bits };
}

/**
 * What a bulk call does to each flow it picks. Classes, not closures: V8 keeps optimized code
 * on a function, and closures made per call lose theirs with the call, so their loops would run
 * unoptimized again after every collection (see shapes.ts).
 */
abstract class FlowWork {
  private readonly heads = new Map<number, Uint8Array>();
  /** The second word of each message's nlmsghdr: type and flags. */
  readonly typeAndFlags: number;

  constructor(
    readonly operation: string,
    private readonly request: { type: number; flags: number },
    /** The attributes after the tuple that every message has (as words): what {@link write} writes after copyTuple, but the zone. */
    readonly extra: Uint32Array,
  ) {
    this.typeAndFlags = hostPair16(request.type, request.flags);
  }

  /** Whether flow `i` needs the work at all (a flow that has the mark already does not). */
  abstract needs(records: FlowRecords, i: number): boolean;

  /** Writes flow `i`'s message body after its head. */
  abstract write(writer: MessageWriter, records: FlowRecords, i: number): void;

  /** The head (nlmsghdr, nfgenmsg) of this work's messages for `family`. */
  head(family: number): Uint8Array {
    let bytes = this.heads.get(family);
    if (bytes === undefined) this.heads.set(family, (bytes = messageHead(this.request, family)));
    return bytes;
  }
}

class MarkUpdate extends FlowWork {
  private readonly keep: number;

  constructor(
    private readonly mark: number,
    private readonly mask: number | undefined,
  ) {
    const extra = [hostPair16(8, CTA_MARK), networkWord(mark)];
    if (mask !== undefined) extra.push(hostPair16(8, CTA_MARK_MASK), networkWord(mask));
    super('updateMark', CT_REQUESTS.update, Uint32Array.from(extra));
    this.keep = mask ?? 0xffffffff;
  }

  needs(records: FlowRecords, i: number): boolean {
    return (records.marks[i]! & this.keep) >>> 0 !== this.mark;
  }

  write(writer: MessageWriter, records: FlowRecords, i: number): void {
    encodeRecordUpdateMark(writer, records, i, this.mark, this.mask);
  }
}

class FlowDelete extends FlowWork {
  constructor() {
    super('deleteFlow', CT_REQUESTS.delete, new Uint32Array(0));
  }

  needs(): boolean {
    return true;
  }

  write(writer: MessageWriter, records: FlowRecords, i: number): void {
    encodeRecordKey(writer, records, i);
  }
}

/** The records that match `filter`, by index: those that need `work`, and those that do not. */
interface Selection {
  picked: number[];
  unchanged: number[];
}

/**
 * Splits the records that match `filter` into those that need `work` and those that need nothing
 * (a flow that has the mark already). Both are tested against the filter, for the matched count:
 * a flow that needs nothing costs a decode only when part of the filter runs in the library.
 */
function select(records: FlowRecords, filter: CompiledFlowFilter, work: FlowWork): Selection {
  const picked: number[] = [];
  const unchanged: number[] = [];
  for (let i = 0; i < records.length; i++) {
    if (!filter.matchesAll && !filter.matches(records.record(i).flow)) continue;
    if (work.needs(records, i)) picked.push(i);
    else unchanged.push(i);
  }
  return { picked, unchanged };
}

/**
 * Writes the messages of picked[from..to) of one round's records, as operations offset + k: as
 * one word run (the tuple copied as words from the received bytes) when every tuple allows it,
 * else one by one. Both write what FlowWork.write writes after the head.
 */
function writePicked(batch: Batch, from: number, to: number, work: FlowWork, records: FlowRecords, picked: readonly number[], offset: number): void {
  let tupleWords = 0;
  for (let k = from; k < to; k++) {
    const i = picked[k]!;
    if (records.tupleWords(i) === undefined) return writePickedOneByOne(batch, from, to, work, records, picked, offset);
    tupleWords += records.tupleWordCount(i);
  }
  const extra = work.extra;
  const fixedWords = HEAD_WORDS + extra.length;
  const run = batch.beginWords(work.operation, to - from, (tupleWords + (to - from) * (fixedWords + ZONE_WORDS)) * 4);
  const { words, starts, indexes, first } = run;
  const typeAndFlags = work.typeAndFlags;
  let at = run.at;
  for (let k = from; k < to; k++) {
    const i = picked[k]!;
    const source = records.tupleWords(i)!;
    const tupleAt = records.tupleWord(i);
    const count = records.tupleWordCount(i);
    const zone = records.zones[i]!;
    const message = first + (k - from);
    starts[message] = at * 4;
    indexes[message] = offset + k;
    words[at] = (fixedWords + count + (zone >= 0 ? ZONE_WORDS : 0)) * 4;
    words[at + 1] = typeAndFlags;
    words[at + 2] = 0;
    words[at + 3] = 0;
    words[at + 4] = hostBytes4(records.families[i]!, 0, 0, 0); // nfgenmsg: family, NFNETLINK_V0, res_id 0
    at += HEAD_WORDS;
    for (let j = 0; j < count; j++) words[at + j] = source[tupleAt + j]!;
    at += count;
    for (let j = 0; j < extra.length; j++) words[at + j] = extra[j]!;
    at += extra.length;
    if (zone >= 0) {
      words[at] = ZONE_HEADER;
      words[at + 1] = networkHalfWord(zone);
      at += ZONE_WORDS;
    }
  }
  batch.endWords(at);
}

/** nlmsghdr and nfgenmsg, in words. */
const HEAD_WORDS = 5;
/** CTA_ZONE (a be16, padded): header and value. */
const ZONE_WORDS = 2;
const ZONE_HEADER = hostPair16(6, CTA_ZONE);

function writePickedOneByOne(batch: Batch, from: number, to: number, work: FlowWork, records: FlowRecords, picked: readonly number[], offset: number): void {
  for (let k = from; k < to; k++) {
    const i = picked[k]!;
    batch.beginRaw(batch.operationAt(work.operation, offset + k), work.head(records.families[i]!));
    work.write(batch.writer, records, i);
    batch.end();
  }
}

/** An outcome whose flow is decoded only if someone reads it (bulk calls touch 100k flows). */
class Outcome implements FlowOutcome {
  constructor(
    readonly record: FlowRecord,
    readonly result: FlowOutcome['result'],
    readonly error?: NetlinkError,
  ) {}

  get flow(): Flow {
    return this.record.flow;
  }

  toJSON(): FlowOutcome {
    return { flow: this.flow, result: this.result, ...(this.error ? { error: this.error } : {}) };
  }
}

/**
 * Conntrack (ctnetlink) in one namespace: list, get, create, update marks, delete, count, and
 * flow events. Bulk calls reach every matching flow, in batches, with a result per flow.
 */
export class ConntrackApi {
  private readonly newFlows: NewFlowWatcher;

  constructor(protected readonly provider: ConnectionProvider) {
    this.newFlows = new NewFlowWatcher(provider);
  }

  private get connection(): Connection {
    return this.provider.connection(NETLINK_NETFILTER);
  }

  /**
   * Lists flows, like `conntrack -L`. Mark/mask, zone and family are filtered by the kernel;
   * the other filter fields in the library.
   * @example await ns.conntrack.list({ mark: 65, protocol: 'tcp' })
   */
  async list(filter: FlowFilter = {}): Promise<Flow[]> {
    const compiled = compileFlowFilter(filter);
    return this.dumpMatching(compiled.kernel, compiled.matches, { operation: 'listFlows' });
  }

  private async dumpMatching(kernel: KernelFlowFilter, matches: (flow: Flow) => boolean, ref: OperationRef): Promise<Flow[]> {
    const messages = await this.connection.dump(ref, CT_REQUESTS.dump.type, CT_REQUESTS.dump.flags, (w) => encodeDump(w, kernel));
    const flows: Flow[] = [];
    for (const message of messages) {
      const flow = decodeFlow(message);
      if (matches(flow)) flows.push(flow);
    }
    return flows;
  }

  /** How many flows a dump with the kernel-side `kernel` filter returns, none of them decoded. */
  private async dumpCount(kernel: KernelFlowFilter, ref: OperationRef): Promise<number> {
    let count = 0;
    await this.connection.dumpEach(ref, CT_REQUESTS.dump.type, CT_REQUESTS.dump.flags, (w) => encodeDump(w, kernel), {
      message: () => {
        count++;
      },
      restart: () => {
        count = 0;
      },
    });
    return count;
  }

  /** One flow by its original tuple (and zone), like `conntrack -G`; undefined if none. */
  async get(key: FlowKey): Promise<Flow | undefined> {
    const resolved = resolveFlowKey(key);
    try {
      const replies = await this.connection.request({ operation: 'getFlow' }, CT_REQUESTS.get.type, CT_REQUESTS.get.flags, (w) => encodeFlowKey(w, resolved));
      return replies[0] ? decodeFlow(replies[0]) : undefined;
    } catch (error) {
      if (error instanceof NetlinkError && error.code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /**
   * Creates a flow, like `conntrack -I` (for tests and state sync). The reply direction defaults
   * to the inverse of the original; TCP flows default to ESTABLISHED. Rejects with EEXIST if the
   * flow exists.
   */
  async create(flow: FlowSpec): Promise<void> {
    // Checked here first so that an error names `flow.…`, the parameter, not `flows[0].…`.
    checkCreate(flow, 'flow');
    const result = await this.createMany([flow]);
    if (result.errors[0]) throw result.errors[0];
  }

  /**
   * Creates many flows in batches; one result per flow, in order. Checks all before sending
   * any: on bad input it throws a ValidationError naming the flow and field, and nothing is made.
   * @example await ns.conntrack.createMany([{ protocol: 'udp', src: '10.0.0.2', dst: '192.0.2.53', sport: 4000, dport: 53, mark: 1 }])
   */
  async createMany(flows: readonly FlowSpec[]): Promise<ManyResult> {
    if (!Array.isArray(flows)) throw new ValidationError('flows', flows, 'expected an array of flows');
    const checked = new CreateTemplates(CT_REQUESTS.create.type, CT_REQUESTS.create.flags).check(flows);
    // Checked already: chunks go out while the next ones are written.
    const errors = await sendChunkedRuns(this.connection, checked.count, 160, (batch, from, to) => checked.writeRun(batch, from, to, 'createFlow'));
    let failed = 0;
    for (const error of errors) if (error !== undefined) failed++;
    return { errors, failed };
  }

  /**
   * Sets the mark of one flow, like `conntrack -U ... --mark`. With `mask`, only those bits change
   * (`mark` must lie inside it). Rejects with ENOENT if the flow does not exist.
   */
  async updateMark(flow: FlowKey, mark: number, options: Pick<MarkOptions, 'mask'> = {}): Promise<void> {
    const key = resolveFlowKey(flow);
    const checked = checkMark(mark, options.mask);
    const batch = new Batch({ initialCapacity: 256 });
    batch.add({ operation: 'updateMark' }, CT_REQUESTS.update.type, CT_REQUESTS.update.flags, (w) => encodeUpdateMark(w, key, checked.mark, checked.mask));
    const result = await this.connection.execute(batch);
    if (result.errors[0]) throw result.errors[0];
  }

  /**
   * Sets the mark of every flow matching `filter`, in batches, with a result per flow. A flow
   * that vanished meanwhile counts as gone, not failed. Flows made while the call runs are
   * reached too: the call listens for new-flow events from before its dump, and while a
   * matching flow is announced it dumps again and runs another round (up to `maxRounds`).
   * @example await ns.conntrack.updateMarkWhere({ mark: 1 }, 2)   // every flow marked 1 -> 2
   */
  async updateMarkWhere(filter: FlowFilter, mark: number, options: MarkOptions = {}): Promise<BulkFlowResult> {
    const compiled = compileFlowFilter(filter);
    const checked = checkMark(mark, options.mask);
    return this.bulk(compiled, new MarkUpdate(checked.mark, checked.mask), options);
  }

  /** Deletes one flow, like `conntrack -D`. Rejects with ENOENT if it does not exist. */
  async delete(flow: FlowKey): Promise<void> {
    const key = resolveFlowKey(flow);
    const batch = new Batch({ initialCapacity: 256 });
    batch.add({ operation: 'deleteFlow' }, CT_REQUESTS.delete.type, CT_REQUESTS.delete.flags, (w) => encodeFlowKey(w, key));
    const result = await this.connection.execute(batch);
    if (result.errors[0]) throw result.errors[0];
  }

  /**
   * Deletes every flow matching `filter` (`{}` deletes all, like `conntrack -F`), in batches,
   * with a result per flow; flows that vanished meanwhile count as gone.
   * @example await ns.conntrack.deleteWhere({ mark: 65 })
   */
  async deleteWhere(filter: FlowFilter, options: BulkOptions = {}): Promise<BulkFlowResult> {
    return this.bulk(compileFlowFilter(filter), new FlowDelete(), options);
  }

  private async bulk(filter: CompiledFlowFilter, work: FlowWork, options: BulkOptions): Promise<BulkFlowResult> {
    const operation = work.operation;
    const maxRounds = options.maxRounds ?? 4;
    // What each round handled: its dump and the flows picked from it, by index.
    const handledRounds: { records: FlowRecords; picked: number[] }[] = [];
    const failures = new Map<number, NetlinkError>(); // by position among the handled flows
    const goneAt = new Set<number>();
    let handledCount = 0;
    let matched = 0;
    let unchanged = 0;
    let rounds = 0;
    // Subscribed before the first dump: it tells whether any flow the dump could have missed
    // was made meanwhile. Without it, every round is followed by a second dump.
    const watch = this.newFlows.begin(filter);
    let selected: number[];
    try {
      let pending = await this.dumpRecords(filter.kernel, `${operation}:list`);
      let selection = select(pending, filter, work);
      // A single dump holds each flow once: it is counted without making keys.
      matched = selection.picked.length + selection.unchanged.length;
      unchanged = selection.unchanged.length;
      selected = selection.picked;
      // Keys of every flow counted as matched, made only once a second dump can meet a flow again.
      let counted: Set<string> | undefined;
      let skip: Set<string> | undefined;
      while (selected.length > 0 && rounds < maxRounds) {
        rounds++;
        const offset = handledCount;
        const round = pending;
        const picked = selected;
        // The flows come from the kernel's own dump: nothing to validate, so chunks go out while
        // the next ones are written.
        const errors = await sendChunkedRuns(this.connection, picked.length, 96, (batch, from, to) => writePicked(batch, from, to, work, round, picked, offset));
        for (let k = 0; k < picked.length; k++) {
          const error = errors[k];
          if (error !== undefined) {
            if (error.code === 'ENOENT') goneAt.add(offset + k);
            else failures.set(offset + k, error);
          }
        }
        handledRounds.push({ records: round, picked });
        handledCount += picked.length;
        if (watch !== undefined && !(await watch.sawMatchingFlow())) {
          // No matching flow was made since this round's dump began: it held them all.
          selected = [];
          break;
        }
        if (counted === undefined) {
          counted = new Set();
          for (const i of picked) counted.add(round.identity(i));
          for (const i of selection.unchanged) counted.add(round.identity(i));
        }
        pending = await this.dumpRecords(filter.kernel, `${operation}:verify`);
        selection = select(pending, filter, work);
        for (const i of [...selection.picked, ...selection.unchanged]) {
          const identity = pending.identity(i);
          if (counted.has(identity)) continue;
          counted.add(identity);
          matched++;
          if (!work.needs(pending, i)) unchanged++;
        }
        selected = selection.picked;
        if (selected.length > 0) {
          // A flow that failed for good would come back every round: only retry the others.
          skip ??= new Set();
          for (let k = 0; k < picked.length; k++) if (failures.has(offset + k)) skip.add(round.identity(picked[k]!));
          const failedForGood = skip;
          const current = pending;
          selected = selected.filter((i) => !failedForGood.has(current.identity(i)));
        }
      }
    } finally {
      watch?.end();
    }
    const result: BulkFlowResult = {
      matched,
      changed: handledCount - goneAt.size - failures.size,
      gone: goneAt.size,
      failed: failures.size,
      unchanged,
      remaining: selected.length,
      rounds,
      outcomes: [],
    };
    // One outcome per flow, made when first read: most callers only read the counts.
    let outcomes: FlowOutcome[] | undefined;
    Object.defineProperty(result, 'outcomes', {
      enumerable: true,
      get: () =>
        (outcomes ??= handledRounds
          .flatMap(({ records, picked }) => picked.map((i) => records.record(i)))
          .map((record, at) => {
            const error = failures.get(at);
            return new Outcome(record, error ? 'failed' : goneAt.has(at) ? 'gone' : 'changed', error);
          })),
    });
    return result;
  }

  private async dumpRecords(kernel: KernelFlowFilter, operation: string): Promise<FlowRecords> {
    const records = new FlowRecords();
    await this.connection.dumpEach({ operation }, CT_REQUESTS.dump.type, CT_REQUESTS.dump.flags, (w) => encodeDump(w, kernel), {
      message: (data, start, end) => records.add(data, start, end),
      restart: () => records.clear(),
    });
    return records;
  }

  /**
   * Counts flows. Without a filter the kernel's own counter answers (all families, like
   * `conntrack -C`); with one, matching flows are dumped and counted. A filter the kernel
   * applies by itself (family, mark/mask, zone) costs only the dump: no flow is decoded.
   * @example await ns.conntrack.count({ mark: 65 })
   */
  async count(filter?: FlowFilter): Promise<number> {
    if (filter !== undefined && Object.keys(filter).length > 0) {
      const compiled = compileFlowFilter(filter);
      if (compiled.matchesAll) return this.dumpCount(compiled.kernel, { operation: 'countFlows' });
      return (await this.dumpMatching(compiled.kernel, compiled.matches, { operation: 'countFlows' })).length;
    }
    const replies = await this.connection.request({ operation: 'countFlows' }, CT_REQUESTS.stats.type, CT_REQUESTS.stats.flags, (w) => writeNfgenmsg(w, AF_UNSPEC));
    const reply = replies[0];
    return reply ? (messageAttributes(reply, NFGENMSG_LEN).be32(CTA_STATS_GLOBAL_ENTRIES) ?? 0) : 0;
  }

  /**
   * Flow events (new, update, destroy) as an async iterator and an EventEmitter. Subscribed when
   * this returns, so nothing that happens afterwards is missed; if the kernel drops events
   * (ENOBUFS) an `{ type: 'overrun' }` event says so. Close it (or abort the signal) when done.
   * @example for await (const e of ns.conntrack.events({ types: ['destroy'] })) console.log(e)
   */
  events(options: FlowEventOptions = {}): FlowEvents {
    return new FlowEvents(this.provider, options);
  }
}

keepShape(new MarkUpdate(0, undefined));
keepShape(new FlowDelete());
keepShape(new Outcome(new FlowRecord({ type: 0, flags: 0, seq: 0, portId: 0, data: Buffer.alloc(0), start: 0, end: 0 }), 'changed'));
