/**
 * Scenario 5, per user: the sockets of one uid use their own routing table (`ip rule uidrange`),
 * which holds host routes by a second uplink; everyone else, and that user's traffic to other
 * hosts, keeps the main table.
 *
 * Run it on its own (a sandbox lab; the router asks as root and as uid 469):
 *   scripts/in-sandbox node dist/examples/scenarios/per-user.js
 */
import type { Handle } from 'routemark';
import { withLab } from '../lab/lab.js';
import { askOnce } from '../lab/traffic.js';
import { buildUplinkLab, describe, isMain, NET } from '../lab/topologies.js';

/** Whose sockets go where in scenario 5. */
export interface PerUserOptions {
  /** The user id (`469`), or a range. */
  uid: number | { start: number; end: number };
  /** The uplink for that user: interface and gateway. */
  uplink: { dev: string; gateway: string };
  /** Hosts this user reaches by that uplink (host routes in the table). */
  hosts: string[];
  /** The table (default 200) and the rule's priority (default 1000). */
  table?: number | string;
  priority?: number;
}

/**
 * Applies scenario 5 in the handle's namespace.
 * @example await perUser(ns, { uid: 469, uplink: { dev: 'up2', gateway: '10.2.0.1' }, hosts: ['203.0.113.10'] });
 */
export async function perUser(ns: Handle, options: PerUserOptions): Promise<void> {
  const { uid, uplink, hosts, table = 200, priority = 1000 } = options;
  await ns.rules.add({ uidrange: uid, priority, table }); //                                 ip rule add uidrange 469-469 priority 1000 table 200
  for (const host of hosts) await ns.routes.add({ dst: `${host}/32`, gateway: uplink.gateway, dev: uplink.dev, table }); // ip route add 203.0.113.10/32 via 10.2.0.1 dev up2 table 200
  // The user's sockets pick the uplink's own address, but the main table routes those hosts
  // by the default uplink, and replies carry no uid: strict rp_filter would drop them.
  await ns.sysctl.setRpFilter(uplink.dev, 2); //                                              sysctl -w net.ipv4.conf.up2.rp_filter=2
}

if (isMain(import.meta.url)) {
  await withLab(async (lab) => {
    const { router } = await buildUplinkLab(lab);
    await perUser(router.handle, { uid: 469, uplink: { dev: 'up2', gateway: NET.isp2 }, hosts: [NET.server] });
    console.log('Scenario 5, per user: uid 469 reaches 203.0.113.10 by isp2, everyone else by isp1');
    for (const uid of [0, 469, 470]) {
      for (const protocol of ['tcp', 'udp'] as const) {
        console.log(describe(`uid ${uid} -> ${protocol} ${NET.server}:80`, await askOnce(router.netns, { protocol, host: NET.server, port: 80, uid })));
      }
    }
  });
}
