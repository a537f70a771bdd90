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
  // The caller's operations, kept as two arrays rather than an object per item: bulk calls make
  // 100k of them, and the object is only needed for the few that fail.
  private readonly operationNames: string[] = [];
  private readonly operationIndexes: (number | undefined)[] = [];
  private readonly starts: number[] = [];
  private readonly owners: number[] = [];
  private readonly replyCosts: number[] = [];
  private open = false;

  constructor(options: BatchOptions = {}) {
    this.writer = new MessageWriter(options.initialCapacity ?? 4096);
    this.atomic = options.atomic ?? false;
    this.collectReplies = options.collectReplies ?? false;
  }

  /** Number of messages. */
  get messageCount(): number {
    return this.starts.length;
  }

  /** Number of operations. */
  get operationCount(): number {
    return this.operationNames.length;
  }

  /** Operation `op` as the caller described it (its name and index in the caller's array). */
  operationRef(op: number): OperationRef {
    const index = this.operationIndexes[op];
    return index === undefined ? { operation: this.operationNames[op]! } : { operation: this.operationNames[op]!, index };
  }

  /** The caller's index of operation `op`, if it has one. */
  operationIndex(op: number): number | undefined {
    return this.operationIndexes[op];
  }

  /** Every operation, in order (made on demand). */
  get operations(): OperationRef[] {
    return this.operationNames.map((_, op) => this.operationRef(op));
  }

  /** Bytes written. */
  get byteLength(): number {
    return this.writer.length;
  }

  /** Registers an operation by name and caller's index (no object made). Returns its id. */
  operationAt(operation: string, index: number): number {
    this.operationNames.push(operation);
    this.operationIndexes.push(index);
    return this.operationNames.length - 1;
  }

  /** Registers an operation; its messages are added with {@link begin}. Returns its id. */
  operation(ref: OperationRef): number {
    this.operationNames.push(ref.operation);
    this.operationIndexes.push(ref.index);
    return this.operationNames.length - 1;
  }

  /**
   * Starts a message for operation `op` (from {@link operation}). The sequence number is left 0
   * and filled in when the batch is sent. Write the family header and attributes with
   * `batch.writer`, then call {@link end}.
   */
  begin(op: number, type: number, flags: number, replyCost = DEFAULT_REPLY_COST): void {
    if (this.open) throw new Error('Batch: previous message not ended');
    if (op < 0 || op >= this.operationNames.length) throw new Error(`Batch: unknown operation ${op}`);
    this.starts.push(this.writer.beginMessage(type, flags, 0));
    this.owners.push(op);
    this.replyCosts.push(replyCost);
    this.open = true;
  }

  /**
   * Appends a whole message already encoded (header included, its length right, seq 0) for
   * operation `op`, and returns its offset, so that a template's constants can be patched in
   * place with `batch.writer.patch*`.
   */
  appendMessage(op: number, message: Uint8Array, replyCost = DEFAULT_REPLY_COST): number {
    if (this.open) throw new Error('Batch: previous message not ended');
    if (op < 0 || op >= this.operationNames.length) throw new Error(`Batch: unknown operation ${op}`);
    const start = this.writer.length;
    this.writer.raw(message);
    this.starts.push(start);
    this.owners.push(op);
    this.replyCosts.push(replyCost);
    return start;
  }

  /**
   * Starts a message for operation `op` from pre-built header bytes (see
   * MessageWriter.beginMessageRaw); continue with `batch.writer`, then call {@link end}.
   */
  beginRaw(op: number, header: Uint8Array, replyCost = DEFAULT_REPLY_COST): void {
    if (this.open) throw new Error('Batch: previous message not ended');
    if (op < 0 || op >= this.operationNames.length) throw new Error(`Batch: unknown operation ${op}`);
    this.starts.push(this.writer.beginMessageRaw(header));
    this.owners.push(op);
    this.replyCosts.push(replyCost);
    this.open = true;
  }

  /** Ends the current message. */
  end(): void {
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
    return this.owners[messageIndex]!;
  }

  /** Byte offset of message `index`. */
  messageStart(messageIndex: number): number {
    return this.starts[messageIndex]!;
  }

  /** Byte offset just past message `index`. */
  messageEnd(messageIndex: number): number {
    return messageIndex + 1 < this.starts.length ? this.starts[messageIndex + 1]! : this.writer.length;
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
    for (let i = from; i < to; i++) {
      view.setUint32(this.starts[i]! + 8, (firstSeq + (i - from)) >>> 0, HOST_IS_LITTLE_ENDIAN);
    }
  }

  /** Writes the port id into every message (only tests need this; the kernel ignores it). */
  setPortId(portId: number): void {
    const bytes = this.writer.bytes();
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (const start of this.starts) view.setUint32(start + 12, portId >>> 0, HOST_IS_LITTLE_ENDIAN);
  }

  /**
   * The next chunk starting at message `from`: as many whole messages as fit in `maxBytes` bytes
   * and `maxReplyCost` receive-buffer bytes, and always at least one. Atomic batches are taken
   * whole.
   */
  takeChunk(from: number, maxBytes: number, maxReplyCost: number): BatchChunk {
    if (this.open) throw new Error('Batch: a message is still open');
    const count = this.starts.length;
    if (from >= count) throw new Error('Batch: no messages left');
    let bytes = 0;
    let cost = 0;
    let i = from;
    for (; i < count; i++) {
      const size = this.messageEnd(i) - this.starts[i]!;
      const messageCost = this.replyCosts[i]!;
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
    const count = this.starts.length;
    if (from >= count) return out;
    if (this.atomic) {
      let replyCost = 0;
      for (let i = from; i < count; i++) replyCost += this.replyCosts[i]!;
      out.push({ firstMessage: from, endMessage: count, start: this.starts[from]!, end: this.writer.length, replyCost });
      return out;
    }
    let first = from;
    let bytes = 0;
    let cost = 0;
    for (let i = from; i < count; i++) {
      const size = this.messageEnd(i) - this.starts[i]!;
      const messageCost = this.replyCosts[i]!;
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

/** Size of the smallest message: a header alone (used for sentinels). */
export const EMPTY_MESSAGE_SIZE = NLMSG_HDRLEN;
