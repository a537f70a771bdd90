import { keepShape } from '../shapes.js';
import { HOST_IS_LITTLE_ENDIAN, MessageWriter } from './attributes.js';
import { NLMSG_HDRLEN } from './constants.js';
import type { OperationRef } from './errors.js';

/** Receive-buffer bytes one message may cost us in the worst case (an error with ext-ACK text). */
export const DEFAULT_REPLY_COST = 1024;

/** Options for a {@link Batch}. */
export interface BatchOptions {
  /**
   * The messages must reach the kernel in one sendmsg and nothing else may share it: an
   * nf_tables transaction (BATCH_BEGIN ... BATCH_END), which the kernel applies atomically.
   */
  atomic?: boolean;
  /** Keep the kernel's reply messages (GET answers, NLM_F_ECHO copies) per operation. */
  collectReplies?: boolean;
  /** Initial buffer size in bytes. */
  initialCapacity?: number;
}

/** Where a word run's messages go (see {@link Batch.beginWords}). */
export interface WordRun {
  /** The batch's buffer as host-order words. */
  readonly words: Uint32Array;
  /** The word where the run's first message goes. */
  readonly at: number;
  /** Byte offset of each message: the run's message j at `first + j`. */
  readonly starts: Int32Array;
  /** The caller's index of each message's item: the run's message j at `first + j`. */
  readonly indexes: Float64Array;
  /** Number of the run's first message in the batch. */
  readonly first: number;
}

/** A run of whole messages of one batch: the unit the connection sends with one sendmsg. */
export interface BatchChunk {
  /** Index of the first message. */
  firstMessage: number;
  /** Index just past the last message. */
  endMessage: number;
  /** Byte range in the batch buffer. */
  start: number;
  end: number;
  /** Receive-buffer bytes the replies may take. */
  replyCost: number;
}

/**
 * Messages written back to back into one buffer, each tied to the caller's operation.
 *
 * A batch is pure data: it is built without a socket, then a Connection numbers its messages
 * (sequence numbers are assigned when sent, so concurrent batches never collide), splits it into
 * chunks that fit the socket's buffers and maps every kernel error back to the operation, and its
 * index in the caller's array, that caused it.
 */
export class Batch {
  /** Where messages are written. Use {@link begin}/{@link end} to frame them. */
  readonly writer: MessageWriter;
  readonly atomic: boolean;
  readonly collectReplies: boolean;
  // Bulk calls make 100k operations of one message each, all of one name and reply cost: the
  // bookkeeping is typed arrays, and what is uniform is kept once until an item differs. Five
  // growing JS arrays per batch cost several times more than writing the messages' bytes.
  private opCount = 0;
  private msgCount = 0;
  /** The name of every operation while they share one; `names` takes over once they differ. */
  private sharedName = '';
  private names: string[] | undefined;
  /** The caller's index of each operation; NaN for none. */
  private indexes = new Float64Array(4);
  private starts = new Int32Array(4);
  /** Undefined while message i belongs to operation i. */
  private owners: Int32Array | undefined;
  /** Undefined while every message costs DEFAULT_REPLY_COST. */
  private replyCosts: Int32Array | undefined;
  private open = false;
  /** Messages of the word run under way (see beginWords), or -1. */
  private wordRunCount = -1;

  constructor(options: BatchOptions = {}) {
    this.writer = new MessageWriter(options.initialCapacity ?? 4096);
    this.atomic = options.atomic ?? false;
    this.collectReplies = options.collectReplies ?? false;
  }

  /** Number of messages. */
  get messageCount(): number {
    return this.msgCount;
  }

  /** Number of operations. */
  get operationCount(): number {
    return this.opCount;
  }

  /** Operation `op` as the caller described it (its name and index in the caller's array). */
  operationRef(op: number): OperationRef {
    const operation = this.names === undefined ? this.sharedName : this.names[op]!;
    const index = this.indexes[op]!;
    return Number.isNaN(index) ? { operation } : { operation, index };
  }

  /** The caller's index of operation `op`, if it has one. */
  operationIndex(op: number): number | undefined {
    const index = this.indexes[op];
    return index === undefined || Number.isNaN(index) ? undefined : index;
  }

  /** Every operation, in order (made on demand). */
  get operations(): OperationRef[] {
    return Array.from({ length: this.opCount }, (_, op) => this.operationRef(op));
  }

  /** Bytes written. */
  get byteLength(): number {
    return this.writer.length;
  }

  /** Registers an operation by name and caller's index (no object made). Returns its id. */
  operationAt(operation: string, index: number | undefined): number {
    const op = this.opCount;
    this.indexes = ensureLength(this.indexes, op + 1);
    this.indexes[op] = index ?? NaN;
    if (this.names !== undefined) this.names.push(operation);
    else if (op === 0) this.sharedName = operation;
    else if (operation !== this.sharedName) {
      this.names = new Array<string>(op).fill(this.sharedName);
      this.names.push(operation);
    }
    this.opCount = op + 1;
    return op;
  }

  /** Registers an operation; its messages are added with {@link begin}. Returns its id. */
  operation(ref: OperationRef): number {
    return this.operationAt(ref.operation, ref.index);
  }

  /**
   * Starts a message for operation `op` (from {@link operation}). The sequence number is left 0
   * and filled in when the batch is sent. Write the family header and attributes with
   * `batch.writer`, then call {@link end}.
   */
  begin(op: number, type: number, flags: number, replyCost = DEFAULT_REPLY_COST): void {
    this.checkOperation(op);
    this.record(op, this.writer.beginMessage(type, flags, 0), replyCost);
    this.open = true;
  }

  /**
   * Appends a whole message already encoded (header included, its length right, seq 0) for
   * operation `op`, and returns its offset, so that a template's constants can be patched in
   * place with `batch.writer.patch*`.
   */
  appendMessage(op: number, message: Uint8Array, replyCost = DEFAULT_REPLY_COST): number {
    this.checkOperation(op);
    const start = this.writer.length;
    this.writer.raw(message);
    this.record(op, start, replyCost);
    return start;
  }

  /**
   * Starts a message for operation `op` from pre-built header bytes (see
   * MessageWriter.beginMessageRaw); continue with `batch.writer`, then call {@link end}.
   */
  beginRaw(op: number, header: Uint8Array, replyCost = DEFAULT_REPLY_COST): void {
    this.checkOperation(op);
    this.record(op, this.writer.beginMessageRaw(header), replyCost);
    this.open = true;
  }

  private checkOperation(op: number): void {
    if (this.open) throw new Error('Batch: previous message not ended');
    if (!(op >= 0 && op < this.opCount)) throw new Error(`Batch: unknown operation ${op}`);
  }

  /** Notes message number msgCount: where it starts, whose it is, what its replies may cost. */
  private record(op: number, start: number, replyCost: number): void {
    const message = this.msgCount;
    this.starts = ensureLength(this.starts, message + 1);
    this.starts[message] = start;
    if (this.owners !== undefined) {
      this.owners = ensureLength(this.owners, message + 1);
      this.owners[message] = op;
    } else if (op !== message) {
      this.owners = new Int32Array(this.starts.length);
      for (let i = 0; i < message; i++) this.owners[i] = i;
      this.owners[message] = op;
    }
    if (this.replyCosts !== undefined) {
      this.replyCosts = ensureLength(this.replyCosts, message + 1);
      this.replyCosts[message] = replyCost;
    } else if (replyCost !== DEFAULT_REPLY_COST) {
      this.replyCosts = new Int32Array(this.starts.length).fill(DEFAULT_REPLY_COST);
      this.replyCosts[message] = replyCost;
    }
    this.msgCount = message + 1;
  }

  private replyCostOf(message: number): number {
    return this.replyCosts === undefined ? DEFAULT_REPLY_COST : this.replyCosts[message]!;
  }

  /**
   * Starts `count` operations named `operation`, one message each, that the caller writes as
   * whole host-order words: the bulk writers' path (plain rules and routes), without a call per
   * field. Write message j (0 <= j < count) at a word boundary from `run.at` (there is room for
   * `maxBytes`), record its byte offset in `run.starts[run.first + j]` and the caller's index of
   * its item in `run.indexes[run.first + j]`, then call {@link endWords} with the word just past
   * the last message.
   *
   * A run is written by the caller's own loop, not by a callback: V8 keeps optimized code on the
   * function, and a closure made per call loses it with the closure, so a callback's loop would
   * run unoptimized again after every collection that frees one.
   */
  beginWords(operation: string, count: number, maxBytes: number): WordRun {
    if (this.open) throw new Error('Batch: previous message not ended');
    // Message i is operation i so far (no owners table): the run keeps it so.
    if (this.owners !== undefined || this.opCount !== this.msgCount) throw new Error('Batch: a word run needs one message per operation');
    if (!(Number.isInteger(count) && count >= 0)) throw new Error(`Batch: a word run of ${count} messages`);
    const first = this.msgCount;
    const end = first + count;
    this.starts = ensureLength(this.starts, end);
    this.indexes = ensureLength(this.indexes, end);
    if (this.replyCosts !== undefined) {
      this.replyCosts = ensureLength(this.replyCosts, end);
      this.replyCosts.fill(DEFAULT_REPLY_COST, first, end);
    }
    if (count > 0) {
      if (this.names !== undefined) {
        for (let op = first; op < end; op++) this.names.push(operation);
      } else if (first === 0) {
        this.sharedName = operation;
      } else if (operation !== this.sharedName) {
        this.names = new Array<string>(first).fill(this.sharedName);
        for (let op = first; op < end; op++) this.names.push(operation);
      }
    }
    this.starts.fill(-1, first, end);
    this.open = true;
    this.wordRunCount = count;
    return { words: this.writer.words(maxBytes), at: this.writer.length >>> 2, starts: this.starts, indexes: this.indexes, first };
  }

  /** Ends the word run that {@link beginWords} started; `endWord` is the word just past its last message. */
  endWords(endWord: number): void {
    const count = this.wordRunCount;
    if (!this.open || count < 0) throw new Error('Batch: no word run to end');
    const first = this.msgCount;
    const end = first + count;
    const words = this.writer.words(0);
    const start = this.writer.length;
    // The messages must lie back to back, each where the one before ends (by its nlmsg_len):
    // a wrong writer is caught here, not by the kernel. A failed run leaves the batch unusable.
    let expected = start;
    for (let m = first; m < end; m++) {
      if (this.starts[m] !== expected) throw new Error(`Batch: a word run recorded message ${m - first} at ${this.starts[m]}, not ${expected}`);
      const length = words[expected >>> 2]!;
      if (length < NLMSG_HDRLEN) throw new Error(`Batch: a word run wrote a message of ${length} bytes`);
      expected += (length + 3) & ~3;
    }
    if (expected !== endWord * 4) throw new Error(`Batch: a word run ended at ${endWord * 4}, its messages at ${expected}`);
    this.writer.advanceTo(expected);
    this.opCount = end;
    this.msgCount = end;
    this.open = false;
    this.wordRunCount = -1;
  }

  /** Ends the current message. */
  end(): void {
    if (this.wordRunCount >= 0) throw new Error('Batch: a word run ends with endWords');
    this.writer.endMessage();
    this.open = false;
  }

  /** Adds one operation with one message, built by `write`. Returns the operation id. */
  add(ref: OperationRef, type: number, flags: number, write?: (writer: MessageWriter) => void): number {
    const op = this.operation(ref);
    this.begin(op, type, flags);
    write?.(this.writer);
    this.end();
    return op;
  }

  /** The operation id that message `index` belongs to. */
  ownerOf(messageIndex: number): number {
    return this.owners === undefined ? messageIndex : this.owners[messageIndex]!;
  }

  /** Byte offset of message `index`. */
  messageStart(messageIndex: number): number {
    return this.starts[messageIndex]!;
  }

  /** Byte offset just past message `index`. */
  messageEnd(messageIndex: number): number {
    return messageIndex + 1 < this.msgCount ? this.starts[messageIndex + 1]! : this.writer.length;
  }

  /** The whole batch's bytes (a view). */
  bytes(): Buffer {
    if (this.open) throw new Error('Batch: a message is still open');
    return this.writer.bytes();
  }

  /** Writes sequence numbers `firstSeq + i` into messages [from, to). */
  numberMessages(from: number, to: number, firstSeq: number): void {
    const bytes = this.writer.bytes();
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const starts = this.starts;
    for (let i = from; i < to; i++) {
      view.setUint32(starts[i]! + 8, (firstSeq + (i - from)) >>> 0, HOST_IS_LITTLE_ENDIAN);
    }
  }

  /** Writes the port id into every message (only tests need this; the kernel ignores it). */
  setPortId(portId: number): void {
    const bytes = this.writer.bytes();
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < this.msgCount; i++) view.setUint32(this.starts[i]! + 12, portId >>> 0, HOST_IS_LITTLE_ENDIAN);
  }

  /**
   * The next chunk starting at message `from`: as many whole messages as fit in `maxBytes` bytes
   * and `maxReplyCost` receive-buffer bytes, and always at least one. Atomic batches are taken
   * whole.
   */
  takeChunk(from: number, maxBytes: number, maxReplyCost: number): BatchChunk {
    if (this.open) throw new Error('Batch: a message is still open');
    const count = this.msgCount;
    if (from >= count) throw new Error('Batch: no messages left');
    let bytes = 0;
    let cost = 0;
    let i = from;
    for (; i < count; i++) {
      const size = this.messageEnd(i) - this.starts[i]!;
      const messageCost = this.replyCostOf(i);
      if (!this.atomic && i > from && (bytes + size > maxBytes || cost + messageCost > maxReplyCost)) break;
      bytes += size;
      cost += messageCost;
    }
    return { firstMessage: from, endMessage: i, start: this.starts[from]!, end: this.messageEnd(i - 1), replyCost: cost };
  }

  /**
   * Splits messages [from, messageCount) into chunks of at most `maxBytes` bytes and
   * `maxReplyCost` receive-buffer bytes each. A single message larger than a limit gets a chunk
   * of its own (the caller raises the socket's buffer for it). Atomic batches are one chunk.
   */
  chunks(maxBytes: number, maxReplyCost: number, from = 0): BatchChunk[] {
    if (this.open) throw new Error('Batch: a message is still open');
    const out: BatchChunk[] = [];
    const count = this.msgCount;
    if (from >= count) return out;
    if (this.atomic) {
      let replyCost = 0;
      for (let i = from; i < count; i++) replyCost += this.replyCostOf(i);
      out.push({ firstMessage: from, endMessage: count, start: this.starts[from]!, end: this.writer.length, replyCost });
      return out;
    }
    let first = from;
    let bytes = 0;
    let cost = 0;
    for (let i = from; i < count; i++) {
      const size = this.messageEnd(i) - this.starts[i]!;
      const messageCost = this.replyCostOf(i);
      if (i > first && (bytes + size > maxBytes || cost + messageCost > maxReplyCost)) {
        out.push({ firstMessage: first, endMessage: i, start: this.starts[first]!, end: this.starts[i]!, replyCost: cost });
        first = i;
        bytes = 0;
        cost = 0;
      }
      bytes += size;
      cost += messageCost;
    }
    out.push({ firstMessage: first, endMessage: count, start: this.starts[first]!, end: this.writer.length, replyCost: cost });
    return out;
  }
}

keepShape(new Batch({ initialCapacity: 64 }));

/** `array`, or a copy with room for at least `length` entries (twice the room, at least). */
function ensureLength<T extends Int32Array | Float64Array>(array: T, length: number): T {
  if (length <= array.length) return array;
  const next = new (array.constructor as new (length: number) => T)(Math.max(length, array.length * 2));
  next.set(array);
  return next;
}


/** Size of the smallest message: a header alone (used for sentinels). */
export const EMPTY_MESSAGE_SIZE = NLMSG_HDRLEN;
