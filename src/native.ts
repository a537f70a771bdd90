/**
 * The typed interface of the routemark addon (native/), loaded once with `bindings`.
 * The addon is thin: sockets, system calls and libnftnl parsing. Everything else is TypeScript.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import bindings from 'bindings';

/** A netlink socket made by the addon (native/netlink_socket.cc). */
export interface NativeNetlinkSocket {
  /** nl_pid the kernel assigned at bind. */
  readonly portId: number;
  /** The file descriptor, or -1 once closed. */
  readonly fd: number;
  readonly closed: boolean;
  /** One sendto of the whole buffer; returns bytes sent. Throws {errno, syscall} on failure. */
  send(data: Uint8Array): number;
  /**
   * Queues `data` for the socket's sender thread, to be sent after everything queued before it
   * and followed by a NOOP with NLM_F_ACK and sequence number `sentinelSeq`; returns at once.
   * `send` waits for the queue to empty first, so the kernel sees datagrams in call order.
   */
  sendQueued(data: Uint8Array, sentinelSeq: number): void;
  /**
   * Where queued sends that failed are reported, before any datagram received after them:
   * `(sentinelSeq, errno, sentinelFailed)`; when only the sentinel failed, the data was sent.
   */
  onSendFailure(callback: (sentinelSeq: number, errno: number, sentinelFailed: boolean) => void): void;
  /** Starts polling on the calling environment's libuv loop; `onData(null, errno)` on errors. */
  start(onData: (data: Buffer | null, errno: number) => void): void;
  /** Stops polling. */
  stop(): void;
  setOption(level: number, name: number, value: number): void;
  getOption(level: number, name: number): number;
  ref(): void;
  unref(): void;
  close(): void;
  /**
   * Reads, without waiting, the datagrams the kernel has queued: until none is left, a receive
   * error (`errno`, with what came before it in `data`), or `maxBytes` is passed. For a close
   * that settles what the kernel already answered; polling delivers nothing it took.
   */
  readQueued(maxBytes: number): { data: Buffer | null; errno: number };
  /**
   * Stops the sender thread once the sendmsg in progress (and its sentinel) is done and names the
   * queued datagrams the kernel never received: errno 0 for those still queued, sendto's errno for
   * those it refused (not yet reported to onSendFailure). sendQueued throws EBADF afterwards.
   */
  stopSender(): { sentinelSeq: number; errno: number }[];
  /** Bytes of overflow reserve behind the receive arena: 4 MiB, or 0 where the system refused the mapping; undefined until start. */
  readonly receiveReserveBytes: number | undefined;
}

/** The addon's exports. */
export interface NativeAddon {
  /**
   * `arenaBytes`: the receive arena's size (4096 to 64 MiB; default 1 MiB). The datagrams waiting
   * at a wake-up are copied into it and handed over in one Buffer; a datagram larger than what is
   * left of it, or than all of it, lands whole in a 4 MiB reserve mapped past its end. Where the
   * system refuses that address space, the arena is mapped alone and such datagrams are read apart.
   */
  NetlinkSocket: new (protocol: number, netnsPath?: string, arenaBytes?: number) => NativeNetlinkSocket;
  /** Opens a file from inside a network namespace (for /proc/sys/net); returns an fd. */
  openInNetns(netnsPath: string | undefined, filePath: string, flags: number): number;
  /**
   * Creates a persistent tun/tap device inside a network namespace (TUNSETIFF with `flags`, then
   * TUNSETOWNER / TUNSETGROUP unless -1, then TUNSETPERSIST); returns its name. Throws
   * {errno, syscall} with syscall 'ioctl(TUNSETIFF)' etc.
   */
  createTun(netnsPath: string | undefined, name: string, flags: number, owner: number, group: number): string;
  /**
   * A Buffer of no bytes, made as the addon makes received data: kept so that V8 keeps the
   * hidden class of such Buffers (see shapes.ts).
   */
  emptyBuffer(): Buffer;
  /**
   * Parses nf_tables messages (dump replies, echoes, events) with libnftnl: one JSON array,
   * one object per message, rule expressions as descriptors (native/nft/parse.cc).
   */
  nftParse(data: Uint8Array): string;
  /**
   * Builds one nf_tables message with libnftnl from a descriptor (native/nft/build.cc): the
   * oracle tests compare TypeScript's encoder with. `kind` is rule, table, chain, set,
   * elements or obj (a stateful object).
   */
  nftBuild(kind: 'rule' | 'table' | 'chain' | 'set' | 'elements' | 'obj', msgType: number, family: number, flags: number, seq: number, descriptor: object): Buffer;
}

let addon: NativeAddon | undefined;

/** The addon, loaded on first use (so that importing routemark never fails by itself). */
export function native(): NativeAddon {
  addon ??= bindings({ bindings: 'routemark', module_root: packageRoot() }) as NativeAddon;
  return addon;
}

// bindings finds the package root from its caller's path, but stops at the first package.json,
// and dist/cjs has one of its own (marking it CommonJS). Walk up to routemark's own instead.
function packageRoot(): string {
  let dir = dirname(thisFile());
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'routemark') return dir;
      } catch {
        // not a manifest we can read; keep walking
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('routemark: cannot find the package root to load the addon from');
    dir = parent;
  }
}

// This module's own path, in ESM and CommonJS builds alike (no import.meta, no __filename).
function thisFile(): string {
  const original = Error.prepareStackTrace;
  try {
    Error.prepareStackTrace = (_error, stack) => stack;
    const stack = new Error().stack as unknown as NodeJS.CallSite[];
    const name = stack[0]?.getFileName() ?? '';
    return name.startsWith('file:') ? fileURLToPath(name) : name;
  } finally {
    Error.prepareStackTrace = original;
  }
}
