import { native, type NativeNetlinkSocket } from '../native.js';
import { keepShape } from '../shapes.js';
import {
  NETLINK_ADD_MEMBERSHIP,
  NETLINK_CAP_ACK,
  NETLINK_DROP_MEMBERSHIP,
  NETLINK_EXT_ACK,
  NETLINK_GET_STRICT_CHK,
  SOL_NETLINK,
  SOL_SOCKET,
  SO_RCVBUF,
  SO_RCVBUFFORCE,
  SO_SNDBUF,
  SO_SNDBUFFORCE,
} from './constants.js';
import { fromSystemError } from './errors.js';
import type { Transport } from './transport.js';

/** Options for {@link NativeTransport}. */
export interface NativeTransportOptions {
  /** Path of the network namespace file (e.g. /run/netns/NAME); the current one if absent. */
  netnsPath?: string;
  /** Namespace name for error messages. */
  netnsName?: string;
  /** Set NETLINK_GET_STRICT_CHK (rtnetlink: dumps filtered by the kernel). Default true. */
  strictCheck?: boolean;
  /**
   * Size of the addon's receive arena (4096 bytes to 64 MiB; default 1 MiB). Tests make it small
   * to meet datagrams larger than its free space or than all of it.
   */
  receiveArenaBytes?: number;
}

/** Whether a Buffer made by the addon is kept (see emptyBuffer in native.ts). */
let bufferShapeKept = false;

/**
 * A Transport over the addon's NetlinkSocket. Sets NETLINK_EXT_ACK (the kernel explains its
 * errors), NETLINK_CAP_ACK (errors do not echo the whole request back) and, unless told not to,
 * NETLINK_GET_STRICT_CHK.
 */
export class NativeTransport implements Transport {
  private readonly socket: NativeNetlinkSocket;
  private sizes: { send: number; receive: number };
  /** nl_pid, read once: it never changes, and reading it is a native call. */
  readonly portId: number;

  constructor(protocol: number, options: NativeTransportOptions = {}) {
    try {
      this.socket = new (native().NetlinkSocket)(protocol, options.netnsPath, options.receiveArenaBytes);
      this.socket.setOption(SOL_NETLINK, NETLINK_EXT_ACK, 1);
      this.socket.setOption(SOL_NETLINK, NETLINK_CAP_ACK, 1);
      if (options.strictCheck ?? true) this.socket.setOption(SOL_NETLINK, NETLINK_GET_STRICT_CHK, 1);
    } catch (error) {
      throw fromSystemError(error, { operation: 'open', netns: options.netnsName ?? options.netnsPath });
    }
    this.sizes = this.readSizes();
    this.portId = this.socket.portId;
    if (!bufferShapeKept) {
      keepShape(native().emptyBuffer());
      bufferShapeKept = true;
    }
  }

  /**
   * Bytes of overflow reserve mapped behind the receive arena: 4 MiB, or 0 where the system
   * refused that address space (vm.overcommit_memory=2, RLIMIT_AS) and datagrams larger than the
   * arena's free space are read apart instead. Undefined until the socket is started.
   */
  get receiveReserveBytes(): number | undefined {
    return this.socket.receiveReserveBytes;
  }

  send(data: Uint8Array): void {
    this.socket.send(data);
  }

  sendQueued(data: Buffer, sentinelSeq: number): void {
    this.socket.sendQueued(data, sentinelSeq);
  }

  stopSending(): { sentinelSeq: number; errno: number }[] {
    return this.socket.stopSender();
  }

  start(onData: (data: Buffer | null, errno: number) => void, onSendFailure?: (sentinelSeq: number, errno: number, sentinelFailed: boolean) => void): void {
    if (onSendFailure) this.socket.onSendFailure(onSendFailure);
    this.socket.start(onData);
  }

  setBufferSizes(sizes: { send?: number; receive?: number }): void {
    if (sizes.send !== undefined) this.setSize(SO_SNDBUFFORCE, SO_SNDBUF, sizes.send);
    if (sizes.receive !== undefined) this.setSize(SO_RCVBUFFORCE, SO_RCVBUF, sizes.receive);
    this.sizes = this.readSizes();
  }

  private setSize(forced: number, plain: number, value: number): void {
    const bytes = Math.min(Math.max(Math.ceil(value), 4096), 0x3fffffff);
    try {
      // Root (CAP_NET_ADMIN) may go past net.core.[rw]mem_max, which the namespace cannot raise.
      this.socket.setOption(SOL_SOCKET, forced, bytes);
    } catch {
      this.socket.setOption(SOL_SOCKET, plain, bytes);
    }
  }

  private readSizes(): { send: number; receive: number } {
    return { send: this.socket.getOption(SOL_SOCKET, SO_SNDBUF), receive: this.socket.getOption(SOL_SOCKET, SO_RCVBUF) };
  }

  bufferSizes(): { send: number; receive: number } {
    return this.sizes;
  }

  addMembership(group: number): void {
    try {
      this.socket.setOption(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, group);
    } catch (error) {
      throw fromSystemError(error, { operation: 'subscribe' });
    }
  }

  dropMembership(group: number): void {
    this.socket.setOption(SOL_NETLINK, NETLINK_DROP_MEMBERSHIP, group);
  }

  ref(): void {
    this.socket.ref();
  }

  unref(): void {
    this.socket.unref();
  }

  close(): void {
    this.socket.close();
  }

  readQueued(maxBytes: number): { data: Buffer | null; errno: number } {
    return this.socket.readQueued(maxBytes);
  }
}
