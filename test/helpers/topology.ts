/**
 * Test topologies: named network namespaces joined by veth pairs, for dataplane tests with
 * real packets (clients, a router, uplinks, servers). Everything is removed when the test ends.
 */
import { makeNetns, type TeardownHost, type TestNetns } from './netns.js';

/** A link between two nodes: `node:ifname` on each end, with optional addresses (with prefix). */
export interface TopologyLink {
  a: string;
  b: string;
  aAddress?: string | string[];
  bAddress?: string | string[];
}

/** What to build. */
export interface TopologySpec {
  /** Node names, e.g. ['client', 'router', 'isp1', 'isp2', 'server']. */
  nodes: string[];
  links: TopologyLink[];
  /** Nodes that forward packets (net.ipv4.ip_forward and IPv6 forwarding). */
  routers?: string[];
  /** Extra `ip` commands per node, run after the links are up, e.g. ['route', 'add', 'default', 'via', '10.0.1.1']. */
  ip?: [node: string, ...args: string[]][];
}

/** A built topology: its nodes by name. */
export class Topology {
  constructor(private readonly nodes: Map<string, TestNetns>) {}

  /** The namespace of a node. */
  node(name: string): TestNetns {
    const ns = this.nodes.get(name);
    if (!ns) throw new Error(`no node ${name} in this topology`);
    return ns;
  }

  /** Every node's namespace. */
  all(): TestNetns[] {
    return [...this.nodes.values()];
  }
}

function addresses(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** Builds a topology; its namespaces are removed when the test ends. */
export function buildTopology(t: TeardownHost, spec: TopologySpec): Topology {
  const nodes = new Map<string, TestNetns>();
  for (const name of spec.nodes) nodes.set(name, makeNetns(t, `rm${name.slice(0, 6)}`));
  const topology = new Topology(nodes);
  for (const link of spec.links) {
    const [aNode, aIf] = link.a.split(':') as [string, string];
    const [bNode, bIf] = link.b.split(':') as [string, string];
    const a = topology.node(aNode);
    const b = topology.node(bNode);
    a.ip('link', 'add', aIf, 'type', 'veth', 'peer', 'name', bIf, 'netns', b.name);
    for (const address of addresses(link.aAddress)) a.ip('addr', 'add', address, 'dev', aIf, ...(address.includes(':') ? ['nodad'] : []));
    for (const address of addresses(link.bAddress)) b.ip('addr', 'add', address, 'dev', bIf, ...(address.includes(':') ? ['nodad'] : []));
    a.ip('link', 'set', aIf, 'up');
    b.ip('link', 'set', bIf, 'up');
  }
  for (const name of spec.routers ?? []) {
    const ns = topology.node(name);
    ns.exec('sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    ns.exec('sysctl', ['-qw', 'net.ipv6.conf.all.forwarding=1']);
  }
  for (const [node, ...args] of spec.ip ?? []) topology.node(node).ip(...args);
  return topology;
}
