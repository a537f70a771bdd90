import type { Connection, ConnectionOptions } from './connection.js';

/**
 * Gives a kernel-family module the sockets of one handle, one per netlink protocol, opened on
 * first use in the handle's namespace.
 */
export interface ConnectionProvider {
  /** The handle's connection for a netlink protocol (NETLINK_ROUTE, NETLINK_NETFILTER). */
  connection(protocol: number): Connection;
  /** The handle's namespace, for messages (undefined: the current one). */
  readonly netnsLabel: string | undefined;
  /** The namespace file to enter, for non-netlink work such as /proc/sys (undefined: current). */
  readonly netnsPath: string | undefined;
  /**
   * A new socket of its own in the handle's namespace, for event listeners (multicast groups)
   * that must not share the request socket. The caller closes it.
   */
  openConnection?(protocol: number, options?: ConnectionOptions): Connection;
  /**
   * A socket of its own in the handle's namespace, named `key`: opened with `options` on first
   * use, the same one afterwards, closed with the handle (for helpers that listen during calls).
   */
  connectionFor?(key: string, protocol: number, options: ConnectionOptions): Connection;
}
