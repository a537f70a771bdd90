/**
 * A sandbox lab for the examples and the demo: TOPOLOGY ONLY. It makes network namespaces of
 * its own and joins them with veth pairs, so that each scenario can be shown with real packets
 * without touching the host's network.
 *
 * A node is an anonymous namespace held by a small process (`unshare --net cat`, which ends when
 * this program ends, even if it crashes: its stdin closes); routemark opens it by its file,
 * `/proc/PID/ns/net`. Links, addresses, routes and sysctls are made with routemark's own API;
 * no `ip` command is run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { open, type Handle, type Route } from 'routemark';
import { startWhoami, type WhoamiOptions, type WhoamiServer } from './traffic.js';

/** An address for one end of a link: `'10.1.0.2/24'`, or point-to-point `{ address, peer }`. */
export type LinkAddress = string | { address: string; peer: string };

/** One namespace of the lab. */
export class LabNode {
  /** A handle on the node's namespace (routemark works there through it). */
  readonly handle: Handle;

  /** Use {@link Lab.node}. */
  constructor(
    readonly name: string,
    private readonly holder: ChildProcess,
    handle: Handle,
  ) {
    this.handle = handle;
  }

  /** The namespace file (`/proc/PID/ns/net`): what `open({ netns })`, nsenter and the CLI take. */
  get netns(): string {
    return `/proc/${this.holder.pid}/ns/net`;
  }

  /** Turns on IPv4 forwarding: the node routes packets between its links. */
  async forward(): Promise<void> {
    await this.handle.sysctl.setForwarding('inet', true);
  }

  /** Adds routes (in the main table unless they say otherwise). */
  async routes(...routes: Route[]): Promise<void> {
    for (const route of routes) await this.handle.routes.add(route);
  }

  /** Adds an address to the loopback device (a server's address on the "internet"). */
  async loopbackAddress(address: string): Promise<void> {
    await this.handle.addresses.add({ address, dev: 'lo' });
  }

  /** Closes the handle and ends the process that holds the namespace (by its pid). */
  close(): void {
    this.handle.close();
    if (this.holder.exitCode === null && this.holder.signalCode === null) this.holder.kill();
  }
}

/** Namespaces joined by veth pairs; {@link Lab.close} removes them all. */
export class Lab {
  private readonly nodes = new Map<string, LabNode>();
  private readonly servers: WhoamiServer[] = [];

  /** Makes a node: a fresh namespace with `lo` up. */
  async node(name: string): Promise<LabNode> {
    if (this.nodes.has(name)) throw new Error(`the lab already has a node ${name}`);
    const own = readlinkSync('/proc/self/ns/net');
    const holder = spawn('unshare', ['--net', '--', 'cat'], { stdio: ['pipe', 'ignore', 'inherit'] });
    const path = `/proc/${holder.pid}/ns/net`;
    // unshare has made the namespace once the process's net link differs from ours. A loaded
    // machine can take seconds to start it: the deadline is generous.
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (holder.exitCode !== null) throw new Error(`unshare --net failed (${holder.exitCode}): network namespaces need root`);
      try {
        if (readlinkSync(path) !== own) break;
      } catch {
        // the process is not there yet
      }
      if (Date.now() > deadline) throw new Error('unshare --net did not make a namespace within 15 s');
      await sleep(2);
    }
    const handle = await open({ netns: path });
    const node = new LabNode(name, holder, handle);
    this.nodes.set(name, node);
    await handle.links.up('lo');
    return node;
  }

  /** A node made before. */
  get(name: string): LabNode {
    const node = this.nodes.get(name);
    if (!node) throw new Error(`the lab has no node ${name}`);
    return node;
  }

  /**
   * Joins two nodes with a veth pair, `'router:up1'` to `'isp1:d1'`, gives each end its
   * addresses and brings both up.
   */
  async link(a: string, b: string, addresses: { a?: LinkAddress | LinkAddress[]; b?: LinkAddress | LinkAddress[] } = {}): Promise<void> {
    const [aNode, aIf] = this.end(a);
    const [bNode, bIf] = this.end(b);
    await aNode.handle.links.add({ name: aIf, kind: 'veth', peer: { name: bIf, netns: bNode.netns } });
    for (const [node, dev, list] of [[aNode, aIf, addresses.a], [bNode, bIf, addresses.b]] as const) {
      for (const address of list === undefined ? [] : Array.isArray(list) ? list : [list]) {
        await node.handle.addresses.add(typeof address === 'string' ? { address, dev } : { address: address.address, peer: address.peer, dev });
      }
      await node.handle.links.up(dev);
    }
  }

  private end(spec: string): [LabNode, string] {
    const [name, dev] = spec.split(':');
    if (!name || !dev) throw new Error(`expected node:interface, got ${spec}`);
    return [this.get(name), dev];
  }

  /** Starts a whoami server on a node (see {@link startWhoami}); the lab ends it on close. */
  async serve(node: LabNode, options: WhoamiOptions): Promise<WhoamiServer> {
    const server = await startWhoami(node.netns, options);
    this.servers.push(server);
    return server;
  }

  /** Ends the servers and removes every node (their namespaces go with the processes that held them). */
  close(): void {
    for (const server of this.servers.splice(0)) server.close();
    for (const node of this.nodes.values()) node.close();
    this.nodes.clear();
  }
}

/**
 * Runs `body` with a fresh lab and always removes it, also on Ctrl-C.
 * @example await withLab(async (lab) => { const a = await lab.node('a'); ... });
 */
export async function withLab<T>(body: (lab: Lab) => Promise<T>): Promise<T> {
  const lab = new Lab();
  const interrupted = () => {
    lab.close();
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    return await body(lab);
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    lab.close();
  }
}
