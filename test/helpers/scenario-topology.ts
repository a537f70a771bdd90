/**
 * The scenario tests' topology, built with `ip` (independent of the examples' own lab, which uses
 * routemark): the same nodes, names and addresses as examples/lab/topologies.ts.
 *
 *   lan (10.10.0.2, 10.10.0.3) -- lan0 router up1 -- d1 isp1 (203.0.113.10 on lo) -- n1 internet
 *                                        up2 -- d2 isp2 (203.0.113.10 on lo) -- n2 (198.51.100.10)
 *                                        g1/g2 -- guest1 (10.20.1.5), guest2 (10.20.2.5)
 *
 * The router's main table sends everything by isp1; the ISPs know only their own links, and the
 * router and the ISPs check sources strictly (rp_filter 1). Each ISP answers on 203.0.113.10 with
 * a whoami server labelled with its name: the answer names the uplink a flow left by, and the
 * address it saw shows the NAT.
 */
import { buildTopology, type Topology, type TopologySpec } from './topology.js';
import type { TeardownHost, TestNetns } from './netns.js';
import { serveWhoami } from './witness.js';

/** Options: what to build besides the router, its LAN and its two ISPs. */
export interface ScenarioTopologyOptions {
  /** Uplink 2 is `tun0`, point-to-point 10.9.0.2 peer 10.9.0.1 (a tunnel-like link). */
  tunnel?: boolean;
  /** A client behind both ISPs (198.51.100.10). */
  internet?: boolean;
  /** Guest networks g1 10.20.1.0/24 and g2 10.20.2.0/24 on the router. */
  guests?: boolean;
  /** Ports the ISPs answer on, TCP and UDP (default 80 and 465). */
  ports?: number[];
}

/** The built topology and its nodes. */
export interface ScenarioTopology {
  topology: Topology;
  lan: TestNetns;
  router: TestNetns;
  isp1: TestNetns;
  isp2: TestNetns;
  internet: TestNetns;
  guest1: TestNetns;
  guest2: TestNetns;
}

/** Builds the topology and starts the ISPs' whoami servers; everything is removed at teardown. */
export async function buildScenarioTopology(t: TeardownHost, options: ScenarioTopologyOptions = {}): Promise<ScenarioTopology> {
  const nodes = ['lan', 'router', 'isp1', 'isp2'];
  const spec: TopologySpec = {
    nodes,
    links: [
      { a: 'lan:eth0', b: 'router:lan0', aAddress: ['10.10.0.2/24', '10.10.0.3/24'], bAddress: '10.10.0.1/24' },
      { a: 'router:up1', b: 'isp1:d1', aAddress: '10.1.0.2/24', bAddress: '10.1.0.1/24' },
      options.tunnel ? { a: 'router:tun0', b: 'isp2:d2' } : { a: 'router:up2', b: 'isp2:d2', aAddress: '10.2.0.2/24', bAddress: '10.2.0.1/24' },
    ],
    routers: ['router'],
    ip: [
      ['lan', 'route', 'add', 'default', 'via', '10.10.0.1'],
      ['router', 'route', 'add', 'default', 'via', '10.1.0.1', 'dev', 'up1'],
      ['isp1', 'addr', 'add', '203.0.113.10/32', 'dev', 'lo'],
      ['isp2', 'addr', 'add', '203.0.113.10/32', 'dev', 'lo'],
    ],
  };
  if (options.tunnel) {
    spec.ip!.push(['router', 'addr', 'add', '10.9.0.2', 'peer', '10.9.0.1', 'dev', 'tun0'], ['isp2', 'addr', 'add', '10.9.0.1', 'peer', '10.9.0.2', 'dev', 'd2']);
  }
  if (options.internet) {
    nodes.push('internet');
    spec.links.push(
      { a: 'isp1:n1', b: 'internet:i1', aAddress: '10.101.0.1/24', bAddress: '10.101.0.2/24' },
      { a: 'isp2:n2', b: 'internet:i2', aAddress: '10.102.0.1/24', bAddress: '10.102.0.2/24' },
    );
    spec.routers!.push('isp1', 'isp2');
    spec.ip!.push(
      ['internet', 'addr', 'add', '198.51.100.10/32', 'dev', 'lo'],
      ['internet', 'route', 'add', '10.1.0.0/24', 'via', '10.101.0.1', 'src', '198.51.100.10'],
      ['internet', 'route', 'add', '10.2.0.0/24', 'via', '10.102.0.1', 'src', '198.51.100.10'],
      ['isp1', 'route', 'add', '198.51.100.10/32', 'via', '10.101.0.2'],
      ['isp2', 'route', 'add', '198.51.100.10/32', 'via', '10.102.0.2'],
    );
  }
  if (options.guests) {
    nodes.push('guest1', 'guest2');
    spec.links.push(
      { a: 'router:g1', b: 'guest1:eth0', aAddress: '10.20.1.1/24', bAddress: '10.20.1.5/24' },
      { a: 'router:g2', b: 'guest2:eth0', aAddress: '10.20.2.1/24', bAddress: '10.20.2.5/24' },
    );
    spec.ip!.push(['guest1', 'route', 'add', 'default', 'via', '10.20.1.1'], ['guest2', 'route', 'add', 'default', 'via', '10.20.2.1']);
  }
  const topology = buildTopology(t, spec);
  for (const name of ['router', 'isp1', 'isp2']) topology.node(name).exec('sysctl', ['-qw', 'net.ipv4.conf.all.rp_filter=1']);
  for (const isp of ['isp1', 'isp2']) {
    for (const port of options.ports ?? [80, 465]) {
      for (const protocol of ['tcp', 'udp'] as const) await serveWhoami(t, topology.node(isp), { label: isp, protocol, port, host: '203.0.113.10' });
    }
  }
  const node = (name: string) => (nodes.includes(name) ? topology.node(name) : (undefined as unknown as TestNetns));
  return {
    topology,
    lan: node('lan'), router: node('router'), isp1: node('isp1'), isp2: node('isp2'),
    internet: node('internet'), guest1: node('guest1'), guest2: node('guest2'),
  };
}
