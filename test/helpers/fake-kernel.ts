/**
 * A fake netlink kernel for unit tests of the batch and connection logic: a Transport that
 * answers every request with what a handler decides, and the trailing NOOP with an ack, just as
 * the real kernel does inside sendmsg. It can also lose replies (ENOBUFS) on demand.
 */
import { MessageWriter } from '../../src/netlink/attributes.js';
import { NLMSG_DONE, NLMSG_ERROR, NLMSG_NOOP, NLM_F_ACK, NLM_F_CAPPED, NLM_F_ACK_TLVS, NLMSGERR_ATTR_MSG, NLMSGERR_ATTR_OFFS, NLM_F_MULTI } from '../../src/netlink/constants.js';
import { parseMessages, type NetlinkMessage } from '../../src/netlink/message.js';
import type { Transport } from '../../src/netlink/transport.js';

/** What the fake kernel sends back for one request. */
export type FakeReply =
  | { error: number; extAckMessage?: string; extAckOffset?: number }
  | { data: Uint8Array; type: number; flags?: number }
  | { done: true; flags?: number; error?: number };

/** Decides the replies to one message. */
export type FakeHandler = (message: NetlinkMessage, kernel: FakeKernel) => FakeReply[];

export class FakeKernel implements Transport {
  readonly portId = 4242;
  /** Every datagram sent, as received. */
  readonly datagrams: Buffer[] = [];
  /** Every message sent, in order. */
  readonly messages: NetlinkMessage[] = [];
  sizes = { send: 8 << 20, receive: 16 << 20 };
  /** When set, replies to the next datagram are dropped and ENOBUFS is reported. */
  dropNextReplies = false;
  private onData: ((data: Buffer | null, errno: number) => void) | undefined;
  private pending: Buffer[] = [];
  private scheduled = false;
  referenced = true;
  closed = false;

  constructor(private readonly handler: FakeHandler = () => []) {}

  send(data: Uint8Array): void {
    if (this.closed) throw Object.assign(new Error('sendto: closed'), { errno: 9, syscall: 'sendto' });
    if (data.length > this.sizes.send - 32) throw Object.assign(new Error('sendto: too long'), { errno: 90, syscall: 'sendto' });
    const copy = Buffer.from(data);
    this.datagrams.push(copy);
    const drop = this.dropNextReplies;
    this.dropNextReplies = false;
    for (const message of parseMessages(copy)) {
      this.messages.push(message);
      const replies = message.type === NLMSG_NOOP ? (message.flags & NLM_F_ACK ? [{ error: 0 }] : []) : this.handler(message, this);
      if (drop) continue;
      for (const reply of replies) this.pending.push(this.encode(message, reply));
    }
    if (drop) {
      this.deliver(null, 105); // ENOBUFS
      return;
    }
    this.schedule();
  }

  private deliver(data: Buffer | null, errno: number): void {
    setImmediate(() => this.onData?.(data, errno));
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const batch = Buffer.concat(this.pending);
      this.pending = [];
      if (batch.length > 0) this.onData?.(batch, 0);
    });
  }

  /** Encodes a reply to `request`. */
  encode(request: NetlinkMessage, reply: FakeReply): Buffer {
    const w = new MessageWriter(256);
    if ('error' in reply && !('done' in reply)) {
      const hasTlv = reply.extAckMessage !== undefined || reply.extAckOffset !== undefined;
      w.beginMessage(NLMSG_ERROR, NLM_F_CAPPED | (hasTlv ? NLM_F_ACK_TLVS : 0), request.seq, this.portId);
      w.s32(-reply.error);
      w.raw(request.data.subarray(request.start, request.start + 16));
      if (reply.extAckMessage !== undefined) w.attrString(NLMSGERR_ATTR_MSG, reply.extAckMessage);
      if (reply.extAckOffset !== undefined) w.attrU32(NLMSGERR_ATTR_OFFS, reply.extAckOffset);
      w.endMessage();
      return Buffer.from(w.bytes());
    }
    if ('done' in reply) {
      w.beginMessage(NLMSG_DONE, NLM_F_MULTI | (reply.flags ?? 0), request.seq, this.portId);
      w.s32(-(reply.error ?? 0));
      w.endMessage();
      return Buffer.from(w.bytes());
    }
    w.beginMessage(reply.type, reply.flags ?? 0, request.seq, this.portId);
    w.raw(reply.data);
    w.endMessage();
    return Buffer.from(w.bytes());
  }

  /** Injects an unsolicited message (a multicast event). */
  inject(type: number, data: Uint8Array): void {
    const w = new MessageWriter(64);
    w.beginMessage(type, 0, 0, 0);
    w.raw(data);
    w.endMessage();
    this.pending.push(Buffer.from(w.bytes()));
    this.schedule();
  }

  start(onData: (data: Buffer | null, errno: number) => void): void {
    this.onData = onData;
  }
  setBufferSizes(sizes: { send?: number; receive?: number }): void {
    if (sizes.send !== undefined) this.sizes.send = sizes.send * 2;
    if (sizes.receive !== undefined) this.sizes.receive = sizes.receive * 2;
  }
  bufferSizes(): { send: number; receive: number } {
    return this.sizes;
  }
  addMembership(): void {}
  dropMembership(): void {}
  ref(): void {
    this.referenced = true;
  }
  unref(): void {
    this.referenced = false;
  }
  close(): void {
    this.closed = true;
  }
}

/**
 * A FakeKernel with the sender-thread path of the addon: sendQueued datagrams are handled later,
 * in order, each followed by its sentinel, and `send` first finishes what is queued, as the
 * addon's does. `failQueued` makes the next queued datagram (or only its sentinel) fail.
 */
export class QueuedFakeKernel extends FakeKernel {
  /** Datagrams that went through sendQueued. */
  queuedCount = 0;
  /** The next queued datagram fails with this errno (and `sentinelOnly`: only its sentinel). */
  failQueued: { errno: number; sentinelOnly?: boolean } | undefined;
  private readonly queue: { data: Buffer; sentinelSeq: number }[] = [];
  private draining = false;
  private onSendFailure: ((sentinelSeq: number, errno: number, sentinelFailed: boolean) => void) | undefined;

  sendQueued(data: Buffer, sentinelSeq: number): void {
    this.queuedCount++;
    this.queue.push({ data, sentinelSeq });
    if (!this.draining) {
      this.draining = true;
      setImmediate(() => this.drain());
    }
  }

  override send(data: Uint8Array): void {
    this.drain();
    super.send(data);
  }

  override start(onData: (data: Buffer | null, errno: number) => void, onSendFailure?: (sentinelSeq: number, errno: number, sentinelFailed: boolean) => void): void {
    super.start(onData);
    this.onSendFailure = onSendFailure;
  }

  override close(): void {
    this.queue.length = 0; // the addon joins its sender thread and drops what is left
    super.close();
  }

  private drain(): void {
    this.draining = false;
    for (let job = this.queue.shift(); job !== undefined; job = this.queue.shift()) {
      const failure = this.failQueued;
      this.failQueued = undefined;
      if (failure && !failure.sentinelOnly) {
        // Reported before anything received after it, as the addon does.
        this.onSendFailure?.(job.sentinelSeq, failure.errno, false);
        continue;
      }
      super.send(job.data);
      if (failure) {
        this.onSendFailure?.(job.sentinelSeq, failure.errno, true);
        continue;
      }
      const sentinel = Buffer.alloc(16);
      sentinel.writeUInt32LE(16, 0);
      sentinel.writeUInt16LE(NLMSG_NOOP, 4);
      sentinel.writeUInt16LE(1 | NLM_F_ACK, 6);
      sentinel.writeUInt32LE(job.sentinelSeq, 8);
      super.send(sentinel);
    }
  }
}
