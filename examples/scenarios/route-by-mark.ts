/**
 * Scenario 1, route by mark: tcp dport 465 from this host leaves by a second uplink (a
 * tunnel-like, point-to-point link), everything else by the default route; each uplink
 * masquerades; rp_filter is loose on the tunnel, where replies come in that the main table
 * would send elsewhere.
 *
 * Run it on its own (it builds a sandbox lab, shows the path of three flows, and removes it):
 *   scripts/in-sandbox node dist/examples/scenarios/route-by-mark.js
 */
import type { Handle } from 'routemark';
import { withLab } from '../lab/lab.js';
import { askOnce } from '../lab/traffic.js';
import { buildUplinkLab, describe, isMain, NET } from '../lab/topologies.js';
import { field, match, meta, set } from './nft-json.js';

/** Where scenario 1 sends what. */
export interface RouteByMarkOptions {
  /** The default uplink's interface (`eth0`): masqueraded. */
  defaultDev: string;
  /** The second uplink, tunnel-like (`tun0`), and the address at its far end. */
  tunnel: { dev: string; gateway: string };
  /** TCP destination port that leaves by the tunnel (default 465). */
  port?: number;
  /** The mark for it (default 65) and its routing table (default 65; the seeds' `hof`). */
  mark?: number;
  table?: number;
  /** Priority of the `fwmark` rule (default 1000). */
  priority?: number;
}

/**
 * Applies scenario 1 in the handle's namespace.
 * @example await routeByMark(ns, { defaultDev: 'up1', tunnel: { dev: 'tun0', gateway: '10.9.0.1' } });
 */
export async function routeByMark(ns: Handle, options: RouteByMarkOptions): Promise<void> {
  const { defaultDev, tunnel, port = 465, mark = 65, table = 65, priority = 1000 } = options;
  const rm = { family: 'ip', table: 'route_by_mark' } as const;
  await ns.nft.apply([
    { add: { table: { family: 'ip', name: 'route_by_mark' } } },
    // A mark set in the output hook reroutes the packet only in a `type route` chain.
    { add: { chain: { ...rm, name: 'out', type: 'route', hook: 'output', prio: -150, policy: 'accept' } } },
    { add: { rule: { ...rm, chain: 'out', expr: [match(field('tcp', 'dport'), port), set(meta('mark'), mark)] } } }, // tcp dport 465 meta mark set 65
    { add: { chain: { ...rm, name: 'post', type: 'nat', hook: 'postrouting', prio: 100, policy: 'accept' } } },
    // The socket chose its source address by the default route; rerouted, it needs the tunnel's.
    { add: { rule: { ...rm, chain: 'post', expr: [match(meta('oifname'), tunnel.dev), { masquerade: null }] } } }, // oifname "tun0" masquerade
    { add: { rule: { ...rm, chain: 'post', expr: [match(meta('oifname'), defaultDev), { masquerade: null }] } } }, // oifname "up1" masquerade
  ]);
  await ns.rules.add({ fwmark: mark, priority, table }); //                       ip rule add fwmark 65 priority 1000 table hof
  await ns.routes.add({ dst: 'default', gateway: tunnel.gateway, dev: tunnel.dev, table }); // ip route add default via 10.9.0.1 dev tun0 table hof
  // Replies from the server come in on the tunnel, but the main table routes the server by the
  // default uplink: strict rp_filter (1) would drop them. Loose (2) only asks for some route.
  await ns.sysctl.setRpFilter(tunnel.dev, 2); //                                  sysctl -w net.ipv4.conf.tun0.rp_filter=2
}

if (isMain(import.meta.url)) {
  await withLab(async (lab) => {
    const { router, lan } = await buildUplinkLab(lab, { tunnel: true });
    await routeByMark(router.handle, { defaultDev: 'up1', tunnel: { dev: 'tun0', gateway: NET.tunPeer } });
    console.log('Scenario 1, route by mark: tcp 465 from the router by the tunnel, the rest by isp1');
    console.log(describe('router -> tcp 203.0.113.10:465', await askOnce(router.netns, { protocol: 'tcp', host: NET.server, port: 465 })));
    console.log(describe('router -> tcp 203.0.113.10:80', await askOnce(router.netns, { protocol: 'tcp', host: NET.server, port: 80 })));
    console.log(describe('router -> udp 203.0.113.10:465', await askOnce(router.netns, { protocol: 'udp', host: NET.server, port: 465 })));
    console.log(describe('lan host -> tcp 203.0.113.10:80', await askOnce(lan.netns, { protocol: 'tcp', host: NET.server, port: 80 })));
  });
}
