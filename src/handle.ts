import { closeSync, openSync } from 'node:fs';
import { Connection } from './netlink/connection.js';
import { NETLINK_NETFILTER, NETLINK_ROUTE } from './netlink/constants.js';
import { Errno } from './netlink/errno.js';
import { NetlinkError } from './netlink/errors.js';
import { NativeTransport } from './netlink/native-transport.js';
import { ClosedTransport } from './netlink/transport.js';
import type { ConnectionProvider } from './netlink/provider.js';
import { netnsLabel, netnsPath, type NetnsRef } from './netns.js';
import { ConntrackApi } from './ct/api.js';
import { NftApi } from './nft/api.js';
import { AddressApi, LinkApi, NeighbourApi, NexthopApi, RouteApi, RuleApi } from './rtnl/api.js';
import { ownerId } from './rtnl/owner.js';
import { TableNames, useTableNames, type TableNamesOptions } from './rtnl/tables.js';
import type { ConnectionOptions } from './netlink/connection.js';
import { SysctlApi } from './sys/api.js';

/** Options for {@link open}. */
export interface OpenOptions {
  /**
   * The network namespace to work in: a name under /run/netns (`ip netns add NAME`), a path to
   * a namespace file, or a process id. Default: the current namespace.
   */
  netns?: NetnsRef;
  /** SO_SNDBUF for the handle's sockets (default 4 MiB; one sendmsg carries at most this). */
  sendBufferSize?: number;
  /** SO_RCVBUF for the handle's sockets (default 8 MiB). */
  receiveBufferSize?: number;
  /**
   * Where table names come from: default /etc/iproute2 (rt_tables, rt_tables.d/*.conf), then
   * /usr/share/iproute2. Give another directory (or a TableNames) to use your own names.
   */
  tableNames?: TableNames | TableNamesOptions;
  /**
   * The owner id of everything this handle creates: the protocol number its rules and routes
   * carry when they name none (`ip rule`/`ip route` show it as `proto 201`). List calls take
   * `owned: true`, and deletes and flushes without a protocol keep to the owner's objects, so
   * that an agent never touches what other tools made. Use 200..254 (see OWNER_ID_RANGE); the
   * numbers the kernel, `ip` and routing daemons use are refused.
   */
  owner?: number;
}

/**
 * A handle bound to one network namespace, holding its netlink sockets (opened on first use).
 * Everything routemark does goes through a handle; the top-level functions use a default one
 * in the current namespace. Close it with {@link Handle.close} when done.
 */
export class Handle implements ConnectionProvider {
  /** The namespace this handle works in, as given (undefined: the current one). */
  readonly netns: NetnsRef | undefined;
  readonly netnsLabel: string | undefined;
  /** Policy routing rules (`ip rule`). */
  readonly rules: RuleApi;
  /** Routes (`ip route`). */
  readonly routes: RouteApi;
  /** Network interfaces (`ip link`). */
  readonly links: LinkApi;
  /** Interface addresses (`ip addr`). */
  readonly addresses: AddressApi;
  /** Neighbours (`ip neigh`): the ARP and NDP cache. */
  readonly neighbours: NeighbourApi;
  /** Nexthop objects (`ip nexthop`) that routes use by id. */
  readonly nexthops: NexthopApi;
  /** nf_tables (`nft`), as nftables JSON. */
  readonly nft: NftApi;
  /** Conntrack flows and marks (`conntrack`). */
  readonly conntrack: ConntrackApi;
  /** Namespace sysctls (rp_filter, forwarding, src_valid_mark, ...). */
  readonly sysctl: SysctlApi;
  /** The owner id (protocol number) of what this handle creates, if it was opened with one. */
  readonly owner: number | undefined;
  private readonly connections = new Map<number, Connection>();
  private readonly namedConnections = new Map<string, Connection>();
  /** What calls on a closed handle get: connections that reject naming their operation. */
  private readonly closedConnections = new Map<number, Connection>();
  private readonly options: OpenOptions;
  private closed = false;
  /** The namespace file as given (/run/netns/NAME, /proc/PID/ns/net, a path). */
  private readonly givenNetnsPath: string | undefined;
  /**
   * A descriptor of the namespace, opened with the first socket: every later socket (and
   * /proc/sys access) enters the namespace through it, so that the handle keeps working in the
   * namespace it was opened in even if its name is deleted (`ip netns del`) or given to a new
   * namespace, or its process id reused.
   */
  private pinnedNetns: number | undefined;

  /** Prefer {@link open}, which also checks that the namespace exists. */
  constructor(options: OpenOptions = {}) {
    this.options = options;
    this.owner = options.owner === undefined ? undefined : ownerId(options.owner, 'options.owner');
    this.netns = options.netns;
    this.givenNetnsPath = netnsPath(options.netns, 'netns');
    this.netnsLabel = netnsLabel(options.netns);
    this.rules = new RuleApi(this);
    this.routes = new RouteApi(this);
    this.links = new LinkApi(this);
    this.addresses = new AddressApi(this);
    this.neighbours = new NeighbourApi(this);
    this.nexthops = new NexthopApi(this);
    this.nft = new NftApi(this);
    this.conntrack = new ConntrackApi(this);
    this.sysctl = new SysctlApi(this);
    if (options.tableNames !== undefined) useTableNames(this, options.tableNames);
  }

  /**
   * The namespace file to enter for work in this handle's namespace (undefined: the current one).
   * Once the handle has opened a socket, a /proc/self/fd path to the namespace it pinned then.
   */
  get netnsPath(): string | undefined {
    if (this.pinnedNetns !== undefined) return `/proc/self/fd/${this.pinnedNetns}`;
    return this.givenNetnsPath;
  }

  /** Opens the namespace file once, so that the handle stays in this namespace (see pinnedNetns). */
  private pinNetns(): void {
    if (this.pinnedNetns !== undefined || this.givenNetnsPath === undefined) return;
    try {
      this.pinnedNetns = openSync(this.givenNetnsPath, 'r');
    } catch {
      // The socket's own open reports why, with the errno and the namespace named.
    }
  }

  /** The error for work asked of a closed handle. */
  private closedError(operation: string): NetlinkError {
    return new NetlinkError({ errno: Errno.ECANCELED, operation, netns: this.netnsLabel, detail: 'the handle was closed' });
  }

  private newTransport(protocol: number): NativeTransport {
    const firstPin = this.pinnedNetns === undefined;
    this.pinNetns();
    const options = { netnsName: this.netnsLabel, strictCheck: protocol === NETLINK_ROUTE };
    try {
      return new NativeTransport(protocol, { ...options, netnsPath: this.netnsPath });
    } catch (error) {
      if (!firstPin || this.pinnedNetns === undefined) throw error;
      // Not a namespace after all (setns refused the file): unpin, and let the error name the
      // file as given rather than a /proc/self/fd path.
      closeSync(this.pinnedNetns);
      this.pinnedNetns = undefined;
      return new NativeTransport(protocol, { ...options, netnsPath: this.givenNetnsPath });
    }
  }

  /**
   * The handle's connection for a netlink protocol, opened on first use (and again if its
   * socket failed). On a closed handle, a closed connection: calls on it reject with ECANCELED
   * naming their operation.
   */
  connection(protocol: number): Connection {
    if (this.closed) {
      let closed = this.closedConnections.get(protocol);
      if (closed === undefined) {
        closed = new Connection(new ClosedTransport(), { netns: this.netnsLabel });
        closed.close();
        this.closedConnections.set(protocol, closed);
      }
      return closed;
    }
    let connection = this.connections.get(protocol);
    // A connection closes by itself only when its socket failed: a long-lived handle opens a new one.
    if (connection === undefined || connection.isClosed) {
      const transport = this.newTransport(protocol);
      connection = new Connection(transport, {
        netns: this.netnsLabel,
        sendBufferSize: this.options.sendBufferSize,
        receiveBufferSize: this.options.receiveBufferSize,
      });
      this.connections.set(protocol, connection);
    }
    return connection;
  }

  /** A new socket of its own in the handle's namespace (for event listeners); the caller closes it. */
  openConnection(protocol: number, options: ConnectionOptions = {}): Connection {
    if (this.closed) throw this.closedError('open');
    return new Connection(this.newTransport(protocol), { netns: this.netnsLabel, ...options });
  }

  /** A named socket of its own, opened on first use and closed with the handle (see ConnectionProvider). */
  connectionFor(key: string, protocol: number, options: ConnectionOptions): Connection {
    // A socket opened now would never be closed: the handle no longer tracks its sockets.
    if (this.closed) throw this.closedError('open');
    let connection = this.namedConnections.get(key);
    if (connection === undefined || connection.isClosed) {
      connection = this.openConnection(protocol, options);
      this.namedConnections.set(key, connection);
    }
    return connection;
  }

  /** Whether {@link close} was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Closes every socket; pending operations reject with ECANCELED. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const connection of [...this.connections.values(), ...this.namedConnections.values()]) connection.close();
    this.connections.clear();
    this.namedConnections.clear();
    if (this.pinnedNetns !== undefined) {
      closeSync(this.pinnedNetns);
      this.pinnedNetns = undefined;
    }
  }
}

/**
 * Opens a handle in a network namespace (default: the current one). Rejects with a
 * NetlinkError (ENOENT, operation 'open') if the namespace does not exist.
 *
 * @example
 * ```ts
 * const ns = await open({ netns: 'blue' });
 * await ns.rules.add({ fwmark: 65, priority: 1000, table: 1 });
 * ns.close();
 * ```
 */
export async function open(options: OpenOptions = {}): Promise<Handle> {
  const handle = new Handle(options);
  handle.connection(NETLINK_ROUTE); // fails now if the namespace does not exist
  return handle;
}

export { NETLINK_NETFILTER, NETLINK_ROUTE };
