import { MessageWriter, HOST_IS_LITTLE_ENDIAN } from './attributes.js';
import { Batch } from './batch.js';
import { NLMSG_DONE, NLMSG_ERROR, NLMSG_HDRLEN, NLMSG_MIN_TYPE, NLMSG_NOOP, NLM_F_ACK, NLM_F_DUMP_INTR, NLM_F_REQUEST } from './constants.js';
import { Errno } from './errno.js';
import { NetlinkError, fromSystemError, type OperationRef } from './errors.js';
import { parseErrorPayload, parseMessages, type NetlinkMessage } from './message.js';
import type { Transport } from './transport.js';

const { ENOBUFS, EBUSY, EINTR, ECANCELED, EMSGSIZE } = Errno;

// Datagrams at least this large go to the transport's sender thread, where it has one: the
// kernel's work on them then overlaps JavaScript's. Smaller ones are sent at once, without the
// hop between threads that a single request would feel as latency.
const QUEUED_SEND_BYTES = 8 << 10;

/** Options for a {@link Connection}. */
export interface ConnectionOptions {
  /** Namespace name used in error messages. */
  netns?: string;
  /** SO_SNDBUF to ask for; one sendmsg carries at most this much (default 4 MiB). */
  sendBufferSize?: number;
  /** SO_RCVBUF to ask for; bounds how many replies may be outstanding (default 8 MiB). */
  receiveBufferSize?: number;
  /** How often a dump is restarted when the kernel flags it NLM_F_DUMP_INTR (default 10). */
  maxDumpRestarts?: number;
  /** Messages that answer no request of ours (multicast events). */
  onUnsolicited?: (message: NetlinkMessage) => void;
  /** Called when the kernel dropped messages for this socket (ENOBUFS). */
  onOverrun?: () => void;
  /**
   * Called once if the socket failed for good (a receive error other than lost messages): the
   * connection is closed by then, everything pending rejected with `error`.
   */
  onError?: (error: NetlinkError) => void;
}

/** What happened to each operation of a batch. */
export interface BatchResult {
  /** Per operation (in the batch's order): undefined on success, else the error. */
  errors: (NetlinkError | undefined)[];
  /** Per operation, the kernel's reply messages (only for batches with `collectReplies`). */
  replies: NetlinkMessage[][] | undefined;
  /** How many operations failed. */
  failed: number;
}

interface BatchState {
  batch: Batch;
  nextMessage: number;
  errors: (NetlinkError | undefined)[];
  replies: NetlinkMessage[][] | undefined;
  failed: number;
  flightsOutstanding: number;
  resolve: (result: BatchResult) => void;
}

interface Segment {
  state: BatchState;
  firstMessage: number;
  endMessage: number;
  firstSeq: number;
}

interface Flight {
  firstSeq: number;
  /** Sequence number of the NOOP sent right after the flight; its ack closes the flight. */
  sentinelSeq: number;
  segments: Segment[];
  cost: number;
  atomic: boolean;
  /** The kernel dropped messages while this flight was out: silence proves nothing. */
  lossy: boolean;
}

/**
 * Receives a dump's messages as they arrive, without an object per message: for dumps of 100k
 * entries that the caller reads straight from the received bytes.
 */
export interface DumpVisitor {
  /** One data message: bytes [start, end) of `data`, header included. */
  message(data: Buffer, start: number, end: number): void;
  /** The dump starts over (the kernel said its data changed or was lost): forget what came. */
  restart(): void;
}

interface DumpState {
  request: Buffer;
  ref: OperationRef;
  seq: number;
  messages: NetlinkMessage[];
  visitor: DumpVisitor | undefined;
  interrupted: boolean;
  restarts: number;
  lossy: boolean;
  resolve: (messages: NetlinkMessage[]) => void;
  reject: (error: Error) => void;
}

/**
 * Requests, dumps and batches over one netlink socket.
 *
 * Every in-kernel netlink family handles a request synchronously inside sendmsg, so each
 * sendmsg ("flight") is followed by a NOOP carrying NLM_F_ACK: when its ack arrives, every
 * message before it has been answered, and a message that drew no error succeeded. Messages
 * therefore go without NLM_F_ACK and only failures come back, which keeps the receive queue
 * small even for 100k operations. Flights are sized so that, even if every message failed, the
 * errors fit the receive buffer. Concurrent calls are coalesced into shared flights in call
 * order. Dumps run one at a time (the kernel allows one per socket) and restart when the kernel
 * reports NLM_F_DUMP_INTR.
 */
export class Connection {
  private readonly transport: Transport;
  private readonly options: ConnectionOptions;
  private readonly ownPortId: number;
  private nextSeq = 1;
  private readonly queue: BatchState[] = [];
  private readonly flights: Flight[] = [];
  private inFlightCost = 0;
  private flushScheduled = false;
  private readonly dumpQueue: DumpState[] = [];
  private activeDump: DumpState | undefined;
  private readonly abandonedDumpSeqs = new Set<number>();
  private resyncSeq: number | undefined;
  private closed = false;
  /** Why the connection closed when it was not asked to (a receive error), for later calls. */
  private failure: NetlinkError | undefined;
  private referenced = false;
  private keepAlive = 0;
  private readonly sentinel = Buffer.alloc(NLMSG_HDRLEN);
  private staging = new MessageWriter(1 << 16);
  /** Datagrams sent so far (sentinels included); tests and benchmarks read it. */
  sendCount = 0;
  /** Messages sent so far, sentinels excluded. */
  messagesSent = 0;

  constructor(transport: Transport, options: ConnectionOptions = {}) {
    this.transport = transport;
    this.options = options;
    this.ownPortId = transport.portId;
    transport.setBufferSizes({
      send: options.sendBufferSize ?? 4 << 20,
      receive: options.receiveBufferSize ?? 8 << 20,
    });
    transport.unref();
    transport.start((data, errno) => {
      // Never throw into the addon's poll callback: report a bug in here like any other
      // uncaught exception, from a fresh stack.
      try {
        this.onData(data, errno);
      } catch (error) {
        setImmediate(() => {
          throw error;
        });
      }
    }, (sentinelSeq, errno, sentinelFailed) => {
      try {
        this.onQueuedSendFailure(sentinelSeq, errno, sentinelFailed);
      } catch (error) {
        setImmediate(() => {
          throw error;
        });
      }
    });
  }

  /** The socket's netlink port id. */
  get portId(): number {
    return this.ownPortId;
  }

  /** Whether batches are waiting for room in the receive budget (acks must be read first). */
  get backlogged(): boolean {
    return this.queue.length > 0;
  }

  /** Whether close() was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** The transport underneath (multicast membership, buffer sizes). */
  get socket(): Transport {
    return this.transport;
  }

  /**
   * Sends a batch and resolves with every operation's outcome once the kernel has answered all
   * of them. Never rejects for a kernel error: those are in the result, attributed to their
   * operations. Rejects only if the connection is closed.
   */
  execute(batch: Batch): Promise<BatchResult> {
    if (this.closed) return Promise.reject(this.closedError(batch.operationCount > 0 ? batch.operationRef(0) : { operation: 'request' }));
    return new Promise<BatchResult>((resolve) => {
      const state: BatchState = {
        batch,
        nextMessage: 0,
        errors: new Array<NetlinkError | undefined>(batch.operationCount).fill(undefined),
        replies: batch.collectReplies ? Array.from({ length: batch.operationCount }, () => []) : undefined,
        failed: 0,
        flightsOutstanding: 0,
        resolve,
      };
      if (batch.messageCount === 0) {
        resolve({ errors: state.errors, replies: state.replies, failed: 0 });
        return;
      }
      this.queue.push(state);
      this.scheduleFlush();
    });
  }

  /**
   * Like {@link execute}, but sends at once rather than at the end of the tick (as far as the
   * receive budget allows): a producer that encodes a large job chunk by chunk calls it for each
   * chunk, so the kernel works on one while the next is encoded.
   */
  executeNow(batch: Batch): Promise<BatchResult> {
    const result = this.execute(batch);
    if (this.queue.length > 0 && !this.closed) this.flush();
    return result;
  }

  /**
   * Sends one message and resolves with the kernel's replies (empty for a plain ack), or
   * rejects with the NetlinkError the kernel returned.
   */
  async request(ref: OperationRef, type: number, flags: number, write?: (writer: MessageWriter) => void): Promise<NetlinkMessage[]> {
    const batch = new Batch({ collectReplies: true, initialCapacity: 256 });
    batch.add(ref, type, flags, write);
    const result = await this.execute(batch);
    const error = result.errors[0];
    if (error) throw error;
    return result.replies![0]!;
  }

  /**
   * Runs a dump (NLM_F_DUMP request) and resolves with all its messages, restarting it when the
   * kernel signals that the data changed underneath (NLM_F_DUMP_INTR).
   */
  dump(ref: OperationRef, type: number, flags: number, write?: (writer: MessageWriter) => void): Promise<NetlinkMessage[]> {
    return this.queueDump(ref, type, flags, write, undefined);
  }

  /**
   * Runs a dump like {@link dump}, handing each message to `visitor` as it arrives instead of
   * collecting message objects; `visitor.restart()` is called if the dump starts over.
   */
  async dumpEach(ref: OperationRef, type: number, flags: number, write: ((writer: MessageWriter) => void) | undefined, visitor: DumpVisitor): Promise<void> {
    await this.queueDump(ref, type, flags, write, visitor);
  }

  private queueDump(
    ref: OperationRef,
    type: number,
    flags: number,
    write: ((writer: MessageWriter) => void) | undefined,
    visitor: DumpVisitor | undefined,
  ): Promise<NetlinkMessage[]> {
    if (this.closed) return Promise.reject(this.closedError(ref));
    const writer = new MessageWriter(256);
    writer.beginMessage(type, flags, 0);
    write?.(writer);
    writer.endMessage();
    const request = Buffer.from(writer.bytes());
    return new Promise<NetlinkMessage[]>((resolve, reject) => {
      this.dumpQueue.push({ request, ref, seq: 0, messages: [], visitor, interrupted: false, restarts: 0, lossy: false, resolve, reject });
      this.startNextDump();
      this.updateRef();
    });
  }

  /** Keeps the event loop alive until the returned function is called (for event listeners). */
  hold(): () => void {
    this.keepAlive++;
    this.updateRef();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.keepAlive--;
      this.updateRef();
    };
  }

  /**
   * Closes the socket. Sent operations whose answers the kernel has already queued settle with
   * their real outcome; everything else still pending rejects (or reports) an ECANCELED error,
   * saying for sent operations that they may have been applied, and for operations that never
   * reached the kernel (still waiting, here or in the sender thread's queue) only that the
   * handle was closed.
   */
  close(): void {
    this.shutDown();
  }

  /** Closes the socket and fails everything pending with {@link closedError}. */
  private shutDown(): void {
    if (this.closed) return;
    this.closed = true;
    // The sender thread stops first: until it has, a datagram still in its queue could reach the
    // kernel at any moment, so neither "never sent" nor the answers read below would be final.
    const neverSent = this.stopSending();
    this.settleQueuedAnswers();
    for (const flight of this.flights.splice(0)) {
      this.inFlightCost -= flight.cost;
      // A sent flight has (or may have) been carried out already: its answers are only unread.
      // Saying "canceled" alone would make a caller think nothing changed.
      const sent = !neverSent.has(flight.sentinelSeq);
      for (const segment of flight.segments) this.failSegment(segment, (ref) => this.closedError(ref, sent));
      this.finishFlight(flight);
    }
    for (const state of this.queue.splice(0)) {
      const remaining: Segment = { state, firstMessage: state.nextMessage, endMessage: state.batch.messageCount, firstSeq: 0 };
      this.failSegment(remaining, (ref) => this.closedError(ref));
      state.nextMessage = state.batch.messageCount;
      this.maybeFinish(state);
    }
    const dumps = this.activeDump ? [this.activeDump, ...this.dumpQueue.splice(0)] : this.dumpQueue.splice(0);
    this.activeDump = undefined;
    for (const dump of dumps) dump.reject(this.closedError(dump.ref));
    this.abandonedDumpSeqs.clear();
    this.resyncSeq = undefined;
    this.transport.close();
  }

  /**
   * At close: stops the transport's sender thread and returns the sentinel sequence numbers of
   * the flights the kernel never received. Those that sendto refused fail here with its errno,
   * as {@link onQueuedSendFailure} would have failed them had the close not come first.
   */
  private stopSending(): Set<number> {
    const neverSent = new Set<number>();
    if (this.transport.stopSending === undefined || this.flights.length === 0) return neverSent;
    let unsent: { sentinelSeq: number; errno: number }[];
    try {
      unsent = this.transport.stopSending();
    } catch {
      // Nothing is known: every flight stays "may have been applied".
      return neverSent;
    }
    for (const { sentinelSeq, errno } of unsent) {
      const flight = this.flights.find((f) => f.sentinelSeq === sentinelSeq);
      if (flight === undefined) continue;
      if (errno !== 0) this.failUnsent(flight, new NetlinkError({ errno, syscall: 'sendto', netns: this.options.netns }));
      else neverSent.add(sentinelSeq);
    }
    return neverSent;
  }

  /**
   * At close: reads what the kernel has already queued for the socket and lets the answers to
   * flights settle their operations, so that only those whose answers are still missing are
   * reported as possibly applied. The kernel answers a request inside its sendmsg, so a flight
   * that was sent (on this thread, or by the sender thread, stopped by now) is usually answered
   * in full by now. Dump messages and events are dropped (they end with the connection). Reads
   * at most about one receive buffer: all that can be queued at once, so events arriving
   * meanwhile cannot keep it going.
   */
  private settleQueuedAnswers(): void {
    // After a socket failure there is nothing sound to read.
    if (this.flights.length === 0 || this.transport.readQueued === undefined || this.failure !== undefined) return;
    let data: Buffer | null;
    try {
      // A receive error (ENOBUFS) stops the reading; what came before it is sound, because the
      // kernel reports a drop at the first recv after it, so later answers are simply not read.
      data = this.transport.readQueued(this.transport.bufferSizes().receive).data;
    } catch {
      return;
    }
    if (data === null) return;
    // Once, at close: objects per message cost nothing here, unlike onData's in-place reading.
    for (const message of parseMessages(data)) {
      if (this.flights.length === 0) break;
      if (message.portId === this.ownPortId && this.findFlight(message.seq) !== undefined) this.dispatch(message);
    }
  }

  /** What a call on this connection fails with once it is closed: ECANCELED, or the error that broke it. */
  private closedError(ref: OperationRef, sent = false): NetlinkError {
    if (this.failure !== undefined) return this.failure.withOperation(ref);
    const detail = sent ? 'the handle was closed before the kernel answered; the operation may have been applied' : 'the handle was closed';
    return new NetlinkError({ errno: ECANCELED, ...ref, netns: this.options.netns, detail });
  }

  private allocateSeq(count: number): number {
    if (this.nextSeq + count >= 0xffffffff) this.nextSeq = 1;
    const first = this.nextSeq;
    this.nextSeq += count;
    return first;
  }

  private scheduleFlush(): void {
    this.updateRef();
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // A microtask lets every request issued in the same tick share one sendmsg.
    queueMicrotask(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private limits(): { maxBytes: number; budget: number } {
    const sizes = this.transport.bufferSizes();
    // netlink_sendmsg refuses a datagram longer than sk_sndbuf - 32.
    const maxBytes = Math.max(4096, sizes.send - 64);
    // The kernel drops replies once the queued truesize passes sk_rcvbuf; stay well below it.
    const budget = Math.max(16 * 1024, Math.floor(sizes.receive * 0.75));
    return { maxBytes, budget };
  }

  private flush(): void {
    if (this.closed) return;
    const { maxBytes, budget } = this.limits();
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      if (head.batch.atomic) {
        const chunk = head.batch.takeChunk(0, Infinity, Infinity);
        // An atomic batch waits for the queue to drain, then goes alone, however large.
        if (this.flights.length > 0 && this.inFlightCost + chunk.replyCost > budget) break;
        this.queue.shift();
        head.nextMessage = head.batch.messageCount;
        const firstSeq = this.allocateSeq(chunk.endMessage + 1);
        head.batch.numberMessages(0, chunk.endMessage, firstSeq);
        const bytes = head.batch.bytes();
        this.ensureSendBuffer(bytes.length);
        this.ensureReceiveBuffer(chunk.replyCost);
        this.launch(
          { firstSeq, sentinelSeq: firstSeq + chunk.endMessage, segments: [{ state: head, firstMessage: 0, endMessage: chunk.endMessage, firstSeq }], cost: chunk.replyCost, atomic: true, lossy: false },
          bytes,
        );
        continue;
      }
      const available = budget - this.inFlightCost;
      if (this.flights.length > 0 && available < budget / 4) break;
      const segments: Segment[] = [];
      let bytes = 0;
      let cost = 0;
      let messages = 0;
      while (this.queue.length > 0) {
        const state = this.queue[0]!;
        if (state.batch.atomic) break;
        const chunk = state.batch.takeChunk(state.nextMessage, maxBytes - bytes, Math.max(available - cost, 1));
        const chunkBytes = chunk.end - chunk.start;
        if (segments.length > 0 && (bytes + chunkBytes > maxBytes || cost + chunk.replyCost > available)) break;
        segments.push({ state, firstMessage: chunk.firstMessage, endMessage: chunk.endMessage, firstSeq: 0 });
        bytes += chunkBytes;
        cost += chunk.replyCost;
        messages += chunk.endMessage - chunk.firstMessage;
        state.nextMessage = chunk.endMessage;
        if (state.nextMessage < state.batch.messageCount) break; // this flight is full
        this.queue.shift();
      }
      const firstSeq = this.allocateSeq(messages + 1);
      let seq = firstSeq;
      for (const segment of segments) {
        segment.firstSeq = seq;
        segment.state.batch.numberMessages(segment.firstMessage, segment.endMessage, seq);
        seq += segment.endMessage - segment.firstMessage;
      }
      let datagram: Buffer;
      if (segments.length === 1) {
        const only = segments[0]!;
        const batch = only.state.batch;
        datagram = batch.bytes().subarray(batch.messageStart(only.firstMessage), batch.messageEnd(only.endMessage - 1));
      } else {
        this.staging.reset();
        for (const segment of segments) {
          const batch = segment.state.batch;
          this.staging.raw(batch.bytes().subarray(batch.messageStart(segment.firstMessage), batch.messageEnd(segment.endMessage - 1)));
        }
        datagram = this.staging.bytes();
      }
      if (datagram.length > maxBytes) this.ensureSendBuffer(datagram.length);
      // A queued datagram is read after this returns: it cannot live in the reused staging buffer.
      if (segments.length > 1 && this.queues(datagram.length)) datagram = Buffer.from(datagram);
      this.launch({ firstSeq, sentinelSeq: seq, segments, cost, atomic: false, lossy: false }, datagram);
    }
    this.updateRef();
  }

  private ensureSendBuffer(bytes: number): void {
    const { send } = this.transport.bufferSizes();
    if (send - 64 < bytes) this.transport.setBufferSizes({ send: bytes + 4096 });
  }

  private ensureReceiveBuffer(cost: number): void {
    const { receive } = this.transport.bufferSizes();
    const wanted = Math.min(Math.ceil(cost / 0.75), 1 << 30);
    if (receive < wanted) this.transport.setBufferSizes({ receive: Math.ceil(wanted / 2) });
  }

  /** Whether a datagram of this length goes to the transport's sender thread. */
  private queues(length: number): boolean {
    return this.transport.sendQueued !== undefined && length >= QUEUED_SEND_BYTES;
  }

  private launch(flight: Flight, datagram: Buffer): void {
    for (const segment of flight.segments) segment.state.flightsOutstanding++;
    this.flights.push(flight);
    this.inFlightCost += flight.cost;
    const queued = this.queues(datagram.length);
    try {
      // A queued flight's sentinel is sent by the sender thread, right after it; a failure
      // comes back through onQueuedSendFailure before any later reply is read.
      if (queued) this.transport.sendQueued!(datagram, flight.sentinelSeq);
      else this.transport.send(datagram);
    } catch (error) {
      this.failUnsent(flight, fromSystemError(error, { netns: this.options.netns }));
      return;
    }
    this.sendCount++;
    this.messagesSent += flight.sentinelSeq - flight.firstSeq;
    if (queued) this.sendCount++;
    else this.sendSentinel(flight.sentinelSeq);
  }

  private onQueuedSendFailure(sentinelSeq: number, errno: number, sentinelFailed: boolean): void {
    if (this.closed) return;
    const flight = this.flights.find((f) => f.sentinelSeq === sentinelSeq);
    if (flight === undefined) return;
    if (sentinelFailed) {
      // The data went out but nothing will close the flight: as with lost replies.
      this.onReceiveError(ENOBUFS);
      return;
    }
    this.failUnsent(flight, new NetlinkError({ errno, syscall: 'sendto', netns: this.options.netns }));
    if (this.queue.length > 0) this.flush();
    this.updateRef();
  }

  /** Fails every operation of a flight the kernel never received, and closes the flight. */
  private failUnsent(flight: Flight, failure: unknown): void {
    for (const segment of flight.segments) {
      this.failSegment(segment, (ref) =>
        failure instanceof NetlinkError
          ? failure.withOperation(ref)
          : new NetlinkError({ errno: EMSGSIZE, ...ref, netns: this.options.netns, cause: failure }),
      );
    }
    this.completeFlight(flight);
  }

  private sendSentinel(seq: number): void {
    const view = new DataView(this.sentinel.buffer, this.sentinel.byteOffset, NLMSG_HDRLEN);
    view.setUint32(0, NLMSG_HDRLEN, HOST_IS_LITTLE_ENDIAN);
    view.setUint16(4, NLMSG_NOOP, HOST_IS_LITTLE_ENDIAN);
    view.setUint16(6, NLM_F_REQUEST | NLM_F_ACK, HOST_IS_LITTLE_ENDIAN);
    view.setUint32(8, seq, HOST_IS_LITTLE_ENDIAN);
    view.setUint32(12, 0, HOST_IS_LITTLE_ENDIAN);
    try {
      this.transport.send(this.sentinel);
      this.sendCount++;
    } catch {
      // Without its sentinel a flight would never close: treat it like lost replies.
      this.onReceiveError(ENOBUFS);
    }
  }

  private onData(data: Buffer | null, errno: number): void {
    if (this.closed) return;
    if (data === null) {
      this.onReceiveError(errno);
      return;
    }
    // Messages are read in place; a dump with a visitor gets its data messages without any
    // object being made for them (dumps can carry 100k entries).
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    let offset = 0;
    // A callback (an event listener, a dump visitor) may close the connection: nothing after
    // that may reach anyone, not even as an unsolicited message.
    while (offset + NLMSG_HDRLEN <= data.length && !this.closed) {
      const length = view.getUint32(offset, HOST_IS_LITTLE_ENDIAN);
      if (length < NLMSG_HDRLEN || offset + length > data.length) break;
      const type = view.getUint16(offset + 4, HOST_IS_LITTLE_ENDIAN);
      const flags = view.getUint16(offset + 6, HOST_IS_LITTLE_ENDIAN);
      const seq = view.getUint32(offset + 8, HOST_IS_LITTLE_ENDIAN);
      const portId = view.getUint32(offset + 12, HOST_IS_LITTLE_ENDIAN);
      const dump = this.activeDump;
      if (dump?.visitor !== undefined && type >= NLMSG_MIN_TYPE && seq === dump.seq && portId === this.ownPortId) {
        if (flags & NLM_F_DUMP_INTR) dump.interrupted = true;
        if (!dump.lossy) dump.visitor.message(data, offset, offset + length);
      } else {
        this.dispatch({ type, flags, seq, portId, data, start: offset, end: offset + length });
      }
      offset += (length + 3) & ~3;
    }
    if (this.queue.length > 0) this.flush();
    this.updateRef();
  }

  private dispatch(message: NetlinkMessage): void {
    const dump = this.activeDump;
    if (dump !== undefined && message.seq === dump.seq && message.portId === this.ownPortId) {
      this.onDumpMessage(dump, message);
      return;
    }
    // Other processes' requests carry their own sequence numbers, which may equal ours: only
    // messages to our port belong to an abandoned dump (the rest are events).
    if (message.portId === this.ownPortId && this.abandonedDumpSeqs.has(message.seq)) {
      if (message.type === NLMSG_DONE || message.type === NLMSG_ERROR) {
        this.abandonedDumpSeqs.delete(message.seq);
        this.startNextDump();
      }
      return;
    }
    if (this.resyncSeq !== undefined && message.seq === this.resyncSeq && message.type === NLMSG_ERROR) {
      this.onResync();
      return;
    }
    const flight = this.findFlight(message.seq);
    if (flight === undefined || message.portId !== this.ownPortId) {
      this.options.onUnsolicited?.(message);
      return;
    }
    if (message.seq === flight.sentinelSeq) {
      if (message.type === NLMSG_ERROR) {
        const { errno, extAck } = parseErrorPayload(message);
        if (errno !== 0) {
          // The NOOP itself was refused (e.g. EPERM for the whole skb): silence proves nothing.
          for (const segment of flight.segments) {
            this.failSegment(segment, (ref) => new NetlinkError({ errno, extAck, ...ref, netns: this.options.netns }), true);
          }
        }
        this.completeFlight(flight);
      }
      return;
    }
    const segment = this.findSegment(flight, message.seq);
    if (segment === undefined) return;
    const state = segment.state;
    const op = state.batch.ownerOf(segment.firstMessage + (message.seq - segment.firstSeq));
    if (message.type === NLMSG_ERROR) {
      const { errno, extAck } = parseErrorPayload(message);
      if (errno !== 0 && state.errors[op] === undefined) {
        state.errors[op] = new NetlinkError({ errno, extAck, ...state.batch.operationRef(op), netns: this.options.netns });
        state.failed++;
      }
      return;
    }
    if (message.type === NLMSG_DONE) return;
    state.replies?.[op]!.push(message);
  }

  private findFlight(seq: number): Flight | undefined {
    for (const flight of this.flights) {
      if (seq >= flight.firstSeq && seq <= flight.sentinelSeq) return flight;
    }
    return undefined;
  }

  private findSegment(flight: Flight, seq: number): Segment | undefined {
    for (const segment of flight.segments) {
      if (seq >= segment.firstSeq && seq < segment.firstSeq + (segment.endMessage - segment.firstMessage)) return segment;
    }
    return undefined;
  }

  /** Marks every operation of the segment that has no error yet as failed. */
  private failSegment(segment: Segment, makeError: (ref: OperationRef) => NetlinkError, onlyUnfailed = true): void {
    const state = segment.state;
    let lastOp = -1;
    for (let i = segment.firstMessage; i < segment.endMessage; i++) {
      const op = state.batch.ownerOf(i);
      if (op === lastOp) continue;
      lastOp = op;
      if (onlyUnfailed && state.errors[op] !== undefined) continue;
      if (state.errors[op] === undefined) state.failed++;
      state.errors[op] = makeError(state.batch.operationRef(op));
    }
  }

  private completeFlight(flight: Flight): void {
    const index = this.flights.indexOf(flight);
    if (index >= 0) this.flights.splice(index, 1);
    this.inFlightCost -= flight.cost;
    if (flight.lossy) {
      for (const segment of flight.segments) {
        this.failSegment(segment, (ref) =>
          new NetlinkError({ errno: ENOBUFS, ...ref, netns: this.options.netns, detail: 'replies were lost; the outcome is unknown' }),
        );
      }
    }
    this.finishFlight(flight);
  }

  private finishFlight(flight: Flight): void {
    for (const segment of flight.segments) {
      segment.state.flightsOutstanding--;
      this.maybeFinish(segment.state);
    }
  }

  private maybeFinish(state: BatchState): void {
    if (state.flightsOutstanding > 0 || state.nextMessage < state.batch.messageCount) return;
    state.resolve({ errors: state.errors, replies: state.replies, failed: state.failed });
  }

  private onReceiveError(errno: number): void {
    // EMSGSIZE: recv dropped a datagram larger than the addon's arena and its reserve, which
    // only another process could have sent (the kernel builds none so large). Like ENOBUFS,
    // messages were lost but the socket is fine.
    if (errno !== ENOBUFS && errno !== EMSGSIZE) {
      // Anything else means the socket is unusable (the addon stops polling it): close it, and
      // fail everything pending, dumps included, with the error rather than leaving them waiting.
      const error = new NetlinkError({ errno, syscall: 'recv', netns: this.options.netns, detail: 'the socket failed and was closed' });
      this.failure = error;
      this.shutDown();
      this.options.onError?.(error);
      return;
    }
    this.options.onOverrun?.();
    for (const flight of this.flights) flight.lossy = true;
    if (this.activeDump) this.activeDump.lossy = true;
    if (this.flights.length === 0 && !this.activeDump) return;
    // Replies were dropped, possibly a flight's closing ack among them. The kernel answers in
    // order, so the ack of a fresh NOOP tells us when everything before it has been seen.
    this.resyncSeq = this.allocateSeq(1);
    this.sendSentinel(this.resyncSeq);
  }

  private onResync(): void {
    const resync = this.resyncSeq!;
    this.resyncSeq = undefined;
    for (const flight of [...this.flights]) {
      if (flight.lossy && flight.sentinelSeq < resync) this.completeFlight(flight);
    }
    const dump = this.activeDump;
    if (dump?.lossy) {
      // Its remaining messages (or its DONE) may be gone: drop it and ask again, counted like
      // every other restart, so that a dump whose replies are lost every time ends in ENOBUFS.
      this.abandonedDumpSeqs.add(dump.seq);
      this.restartDump(dump, ENOBUFS, 'the receive queue overflowed during the dump too often');
    }
    if (this.queue.length > 0) this.flush();
    this.updateRef();
  }

  private startNextDump(): void {
    if (this.closed || this.activeDump !== undefined) return;
    const dump = this.dumpQueue.shift();
    if (dump === undefined) return;
    this.activeDump = dump;
    dump.seq = this.allocateSeq(1);
    new DataView(dump.request.buffer, dump.request.byteOffset, NLMSG_HDRLEN).setUint32(8, dump.seq, HOST_IS_LITTLE_ENDIAN);
    try {
      this.transport.send(dump.request);
      this.sendCount++;
      this.messagesSent++;
    } catch (error) {
      this.activeDump = undefined;
      const failure = fromSystemError(error, { netns: this.options.netns });
      dump.reject(failure instanceof NetlinkError ? failure.withOperation(dump.ref) : (failure as Error));
      this.startNextDump();
    }
  }

  private onDumpMessage(dump: DumpState, message: NetlinkMessage): void {
    if (message.flags & NLM_F_DUMP_INTR) dump.interrupted = true;
    const busy = message.type === NLMSG_ERROR && parseErrorPayload(message).errno === EBUSY;
    // The kernel answers in order and runs one dump per socket: once it answers a new dump,
    // every abandoned one has ended, even those whose DONE was among the lost messages.
    if (!busy) this.abandonedDumpSeqs.clear();
    if (message.type === NLMSG_ERROR) {
      const { errno, extAck } = parseErrorPayload(message);
      if (errno === 0) return;
      if (busy && this.abandonedDumpSeqs.size > 0) {
        // An abandoned dump still runs on this socket; retry when it ends.
        this.activeDump = undefined;
        this.dumpQueue.unshift(dump);
        setTimeout(() => this.startNextDump(), 5).unref();
        return;
      }
      // The kernel ends a dump with ENOBUFS when the receive queue filled up under it (events
      // on a listening socket): the answer is incomplete, so ask again.
      if (errno === ENOBUFS) {
        this.restartDump(dump, ENOBUFS, 'the receive queue overflowed during the dump too often');
        return;
      }
      this.endDump(dump, new NetlinkError({ errno, extAck, ...dump.ref, netns: this.options.netns }));
      return;
    }
    if (message.type === NLMSG_DONE) {
      // A DONE may carry an error code of its own (dump failed midway).
      if (message.end - message.start >= NLMSG_HDRLEN + 4) {
        const code = new DataView(message.data.buffer, message.data.byteOffset).getInt32(message.start + NLMSG_HDRLEN, HOST_IS_LITTLE_ENDIAN);
        if (code === -ENOBUFS) {
          this.restartDump(dump, ENOBUFS, 'the receive queue overflowed during the dump too often');
          return;
        }
        if (code < 0) {
          this.endDump(dump, new NetlinkError({ errno: -code, ...dump.ref, netns: this.options.netns }));
          return;
        }
      }
      if (dump.interrupted) {
        this.restartDump(dump, EINTR, 'the dump was interrupted by changes too often');
        return;
      }
      if (dump.lossy) {
        // Some of its messages were dropped (ENOBUFS) before this DONE: ask again.
        this.restartDump(dump, ENOBUFS, 'the receive queue overflowed during the dump too often');
        return;
      }
      this.endDump(dump, undefined);
      return;
    }
    if (dump.visitor) dump.visitor.message(message.data, message.start, message.end);
    else dump.messages.push(message);
  }

  /** Asks for a dump again (its data changed or was lost), at most maxDumpRestarts times. */
  private restartDump(dump: DumpState, errno: number, detail: string): void {
    if (dump.restarts >= (this.options.maxDumpRestarts ?? 10)) {
      this.endDump(dump, new NetlinkError({ errno, ...dump.ref, netns: this.options.netns, detail }));
      return;
    }
    dump.restarts++;
    dump.messages = [];
    dump.visitor?.restart();
    dump.interrupted = false;
    dump.lossy = false;
    this.activeDump = undefined;
    this.dumpQueue.unshift(dump);
    this.startNextDump();
  }

  private endDump(dump: DumpState, error: NetlinkError | undefined): void {
    this.activeDump = undefined;
    if (error) dump.reject(error);
    else dump.resolve(dump.messages);
    this.startNextDump();
    this.updateRef();
  }

  private updateRef(): void {
    if (this.closed) return;
    const busy =
      this.keepAlive > 0 || this.queue.length > 0 || this.flights.length > 0 || this.activeDump !== undefined || this.dumpQueue.length > 0;
    if (busy === this.referenced) return;
    this.referenced = busy;
    if (busy) this.transport.ref();
    else this.transport.unref();
  }
}
