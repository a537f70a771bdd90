import { EventEmitter } from 'node:events';
import type { Connection } from '../netlink/connection.js';
import { NETLINK_NETFILTER, NLM_F_CREATE } from '../netlink/constants.js';
import { ValidationError } from '../netlink/errors.js';
import type { NetlinkMessage } from '../netlink/message.js';
import { NFNL_SUBSYS_CTNETLINK, nfnlType } from '../netlink/nfnetlink.js';
import type { ConnectionProvider } from '../netlink/provider.js';
import { IPCTNL_MSG_CT_DELETE, IPCTNL_MSG_CT_NEW, NFNLGRP_CONNTRACK_DESTROY, NFNLGRP_CONNTRACK_NEW, NFNLGRP_CONNTRACK_UPDATE } from './constants.js';
import { compileFlowFilter, passesKernelPart, type FlowFilter } from './filter.js';
import { decodeFlow, type Flow } from './flow.js';

/** Kinds of flow events. */
export type FlowEventType = 'new' | 'update' | 'destroy';

/**
 * A flow event; `overrun` means events were lost (the kernel or the queue dropped them). The
 * flow has a `mark` always (0 where the kernel sent none), like a listed one.
 */
export type FlowEvent = { type: FlowEventType; flow: Flow } | { type: 'overrun'; lost?: number };

/** Options for {@link ConntrackApi.events}. */
export interface FlowEventOptions {
  /** Which events (default all three). */
  types?: FlowEventType[];
  /** Only flows matching this (checked in the library). A `where` that throws ends the stream with its error. */
  filter?: FlowFilter;
  /** Closes the stream when aborted. */
  signal?: AbortSignal;
  /** Events kept for a slow iterator before dropping (default 65536). */
  maxQueued?: number;
  /** SO_RCVBUF for the event socket (default 8 MiB). */
  receiveBufferSize?: number;
}

const GROUPS: Record<FlowEventType, number> = {
  new: NFNLGRP_CONNTRACK_NEW,
  update: NFNLGRP_CONNTRACK_UPDATE,
  destroy: NFNLGRP_CONNTRACK_DESTROY,
};
const NEW_TYPE = nfnlType(NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_NEW);
const DELETE_TYPE = nfnlType(NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_DELETE);

/**
 * A live stream of conntrack events on a socket of its own. Iterate it with `for await`, or
 * listen for `'event'` (and `'close'`). Only one iterator may consume it. If its socket fails for
 * good, `'error'` listeners hear why and the iterator rejects with it after the queued events.
 */
export class FlowEvents extends EventEmitter implements AsyncIterable<FlowEvent> {
  private readonly connection: Connection;
  private readonly release: () => void;
  private readonly queue: FlowEvent[] = [];
  private readonly maxQueued: number;
  private readonly types: ReadonlySet<FlowEventType>;
  private readonly matches: (flow: Flow) => boolean;
  /** The iterator's pending next(), if it waits for an event. */
  private waiter: { resolve: (result: IteratorResult<FlowEvent>) => void; reject: (error: unknown) => void } | undefined;
  /** Why the stream ended by itself (its socket failed), for the iterator after the queued events. */
  private failure: unknown;
  private lost = 0;
  private iterating = false;
  private closed = false;
  private readonly onAbort = () => this.close();
  private readonly signal: AbortSignal | undefined;

  constructor(provider: ConnectionProvider, options: FlowEventOptions = {}) {
    super();
    const types = options.types ?? ['new', 'update', 'destroy'];
    if (!Array.isArray(types) || types.length === 0 || types.some((t) => !(t in GROUPS))) {
      throw new ValidationError('options.types', options.types, "expected a non-empty array of 'new', 'update', 'destroy'");
    }
    this.types = new Set(types);
    // Events come unfiltered: the kernel's part of the filter (mark, zone, family) is checked here too.
    const filter = compileFlowFilter(options.filter ?? {}, 'options.filter');
    this.matches = (flow) => passesKernelPart(filter.kernel, flow) && filter.matches(flow);
    this.maxQueued = options.maxQueued ?? 65536;
    if (!provider.openConnection) throw new Error('routemark: flow events need a handle that can open event sockets');
    this.connection = provider.openConnection(NETLINK_NETFILTER, {
      receiveBufferSize: options.receiveBufferSize ?? 8 << 20,
      onUnsolicited: (message) => this.onMessage(message),
      onOverrun: () => this.push({ type: 'overrun' }),
      // A socket that failed for good hears nothing more: end the stream with the error rather than going quiet.
      onError: (error) => this.fail(error),
    });
    for (const type of this.types) this.connection.socket.addMembership(GROUPS[type]);
    this.release = this.connection.hold();
    this.signal = options.signal;
    if (this.signal?.aborted) this.close();
    else this.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  private onMessage(message: NetlinkMessage): void {
    let type: FlowEventType;
    if (message.type === DELETE_TYPE) type = 'destroy';
    else if (message.type === NEW_TYPE) type = message.flags & NLM_F_CREATE ? 'new' : 'update';
    else return;
    if (!this.types.has(type)) return;
    const flow = decodeFlow(message);
    // An event leaves out a zero mark unless the mark just changed (ctnetlink_dump_mark); dumps
    // always carry it. Absent here means 0, and is said so, as a listed flow says it.
    flow.mark ??= 0;
    let matches: boolean;
    try {
      matches = this.matches(flow);
    } catch (error) {
      // The caller's `where` threw: that is this stream's end, not the socket's failure (the
      // error would otherwise go up through the socket's callback).
      this.fail(error);
      return;
    }
    if (matches) this.push({ type, flow });
  }

  private push(event: FlowEvent): void {
    if (this.closed) return;
    this.emit('event', event);
    // Queue from the moment of subscription, so that an iterator started later misses nothing,
    // unless the consumer only listens for 'event' (then a queue would just fill up).
    if (!this.iterating && this.listenerCount('event') > 0) return;
    const waiter = this.takeWaiter();
    if (waiter) {
      waiter.resolve({ value: event, done: false });
      return;
    }
    if (this.queue.length >= this.maxQueued) {
      this.lost++;
      return;
    }
    // The marker goes where the loss happened: after what was queued before it.
    if (this.lost > 0) {
      this.queue.push({ type: 'overrun', lost: this.lost });
      this.lost = 0;
    }
    this.queue.push(event);
  }

  /** Ends the stream with `error`: 'error' listeners hear it, the iterator rejects with it after the queued events. */
  private fail(error: unknown): void {
    if (this.closed) return;
    this.failure = error;
    if (this.listenerCount('error') > 0) this.emit('error', error);
    const waiter = this.takeWaiter();
    this.close();
    if (waiter) {
      this.failure = undefined;
      waiter.reject(error);
    }
  }

  private takeWaiter(): FlowEvents['waiter'] {
    const waiter = this.waiter;
    this.waiter = undefined;
    return waiter;
  }

  /** Stops the stream and closes its socket. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.signal?.removeEventListener('abort', this.onAbort);
    this.release();
    this.connection.close();
    this.takeWaiter()?.resolve({ value: undefined, done: true });
    this.emit('close');
  }

  [Symbol.asyncIterator](): AsyncIterator<FlowEvent> {
    if (this.iterating) throw new Error('routemark: a flow event stream has one iterator');
    this.iterating = true;
    return {
      next: () => {
        const event = this.queue.shift();
        if (event) return Promise.resolve({ value: event, done: false });
        if (this.lost > 0) {
          const lost = this.lost;
          this.lost = 0;
          return Promise.resolve({ value: { type: 'overrun', lost }, done: false });
        }
        if (this.failure !== undefined) {
          const failure = this.failure;
          this.failure = undefined;
          return Promise.reject(failure);
        }
        if (this.closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => {
          this.waiter = { resolve, reject };
        });
      },
      return: () => {
        this.close();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
