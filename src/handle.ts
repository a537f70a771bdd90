import { Connection } from './netlink/connection.js';
import { NETLINK_NETFILTER, NETLINK_ROUTE } from './netlink/constants.js';
import { NativeTransport } from './netlink/native-transport.js';
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
  readonly netnsPath: string | undefined;
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
  private readonly options: OpenOptions;
  private closed = false;

  /** Prefer {@link open}, which also checks that the namespace exists. */
  constructor(options: OpenOptions = {}) {
    this.options = options;
    this.owner = options.owner === undefined ? undefined : ownerId(options.owner, 'options.owner');
    this.netns = options.netns;
    this.netnsPath = netnsPath(options.netns, 'netns');
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

  /** The handle's connection for a netlink protocol, opened on first use. */
  connection(protocol: number): Connection {
    if (this.closed) throw new Error('routemark: the handle is closed');
    let connection = this.connections.get(protocol);
    if (connection === undefined) {
      const transport = new NativeTransport(protocol, {
        netnsPath: this.netnsPath,
        netnsName: this.netnsLabel,
        strictCheck: protocol === NETLINK_ROUTE,
      });
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
    if (this.closed) throw new Error('routemark: the handle is closed');
    const transport = new NativeTransport(protocol, {
      netnsPath: this.netnsPath,
      netnsName: this.netnsLabel,
      strictCheck: protocol === NETLINK_ROUTE,
    });
    return new Connection(transport, { netns: this.netnsLabel, ...options });
  }

  /** A named socket of its own, opened on first use and closed with the handle (see ConnectionProvider). */
  connectionFor(key: string, protocol: number, options: ConnectionOptions): Connection {
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
