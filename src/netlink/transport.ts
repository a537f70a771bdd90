import { Errno } from './errno.js';
import { NetlinkError } from './errors.js';

/**
 * What a Connection needs from a socket. The addon's NetlinkSocket implements it (see
 * NativeTransport); tests use a fake kernel that implements it too.
 */
export interface Transport {
  /** The socket's netlink port id (nl_pid). */
  readonly portId: number;
  /** Sends one datagram to the kernel. Throws a system error (errno, syscall) on failure. */
  send(data: Uint8Array): void;
  /**
   * Optional. Queues a datagram, and after it a NOOP with NLM_F_ACK and sequence number
   * `sentinelSeq`, for a sender thread, and returns at once: the kernel handles a request on the
   * thread that sends it, so it works on one chunk while JavaScript encodes the next. Datagrams
   * reach the kernel in call order (`send` waits for the queue). Failures go to the
   * `onSendFailure` handler given to {@link start}, before anything received after them.
   */
  sendQueued?(data: Buffer, sentinelSeq: number): void;
  /**
   * Optional; with {@link sendQueued}. Stops the sender thread once the datagram it is sending
   * (and that datagram's sentinel) is out, and returns the queued datagrams the kernel never
   * received, by sentinel sequence number: `errno` 0 for those still waiting in the queue,
   * sendto's errno for those it refused (not yet reported to `onSendFailure`). Everything else
   * queued reached the kernel. `sendQueued` throws from then on. Used at close, so that an
   * operation that was never sent is not reported as possibly applied.
   */
  stopSending?(): { sentinelSeq: number; errno: number }[];
  /**
   * Starts delivering received data. `onData` gets one or more whole datagrams back to back, or
   * `null` with an errno (ENOBUFS: the kernel dropped messages for this socket).
   */
  start(onData: (data: Buffer | null, errno: number) => void, onSendFailure?: (sentinelSeq: number, errno: number, sentinelFailed: boolean) => void): void;
  /** Sets SO_SNDBUF and SO_RCVBUF (forcing past the system limits where allowed). */
  setBufferSizes(sizes: { send?: number; receive?: number }): void;
  /** The effective SO_SNDBUF and SO_RCVBUF (as the kernel reports them: doubled). */
  bufferSizes(): { send: number; receive: number };
  /** Joins a multicast group. */
  addMembership(group: number): void;
  /** Leaves a multicast group. */
  dropMembership(group: number): void;
  /** Keeps the event loop alive while the socket is polled. */
  ref(): void;
  /** Lets the event loop exit even though the socket is polled. */
  unref(): void;
  /** Closes the socket. */
  close(): void;
  /**
   * Optional. Reads at once, without waiting, what the kernel has queued for the socket: whole
   * datagrams back to back (`data`, null if none), stopping at `maxBytes` or at a receive error
   * (`errno`; 0 if none), which came after everything in `data`. Used at close, so that answers
   * that already arrived still settle their operations.
   */
  readQueued?(maxBytes: number): { data: Buffer | null; errno: number };
}

/**
 * A Transport that was never open: what a closed handle's connections stand on, so that a call
 * on a closed handle rejects like one that was pending at close, naming its operation.
 */
export class ClosedTransport implements Transport {
  readonly portId = 0;

  send(): void {
    throw Object.assign(new Error('sendto: the socket is closed'), { errno: 9, syscall: 'sendto' });
  }

  start(): void {}

  setBufferSizes(): void {}

  bufferSizes(): { send: number; receive: number } {
    return { send: 0, receive: 0 };
  }

  addMembership(): void {
    throw new NetlinkError({ errno: Errno.ECANCELED, operation: 'subscribe', detail: 'the handle was closed' });
  }

  dropMembership(): void {}

  ref(): void {}

  unref(): void {}

  close(): void {}
}
