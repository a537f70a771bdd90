/**
 * Scenario 4, a LAN host by source: one host's traffic goes out a second uplink, SNATed to the
 * router's address there; the rest of the LAN leaves by the default route, masqueraded.
 *
 * Run it on its own (a sandbox lab; the LAN node asks from each of its two addresses):
 *   scripts/in-sandbox node dist/examples/scenarios/lan-host-by-source.js
 */
import type { Handle } from 'routemark';
import { withLab } from '../lab/lab.js';
import { askOnce } from '../lab/traffic.js';
import { buildUplinkLab, describe, isMain, NET } from '../lab/topologies.js';
import { field, match, meta } from './nft-json.js';

/** Where scenario 4 sends whom. */
export interface LanHostOptions {
  /** The LAN host's address (`10.10.0.3`). */
  host: string;
  /** The uplink it leaves by: interface, gateway, and the router's address there (its SNAT). */
  uplink: { dev: string; gateway: string; address: string };
  /** The default uplink's interface: the rest of the LAN is masqueraded there. */
  defaultDev: string;
  /** The host's routing table (default 104) and the rule's priority (default 1000). */
  table?: number | string;
  priority?: number;
}

/**
 * Applies scenario 4 in the handle's namespace.
 * @example await lanHostBySource(ns, { host: '10.10.0.3', uplink: { dev: 'up2', gateway: '10.2.0.1', address: '10.2.0.2' }, defaultDev: 'up1' });
 */
export async function lanHostBySource(ns: Handle, options: LanHostOptions): Promise<void> {
  const { host, uplink, defaultDev, table = 104, priority = 1000 } = options;
  await ns.rules.add({ from: host, priority, table }); //                               ip rule add from 10.10.0.3 priority 1000 table 104
  await ns.routes.add({ dst: 'default', gateway: uplink.gateway, dev: uplink.dev, table }); // ip route add default via 10.2.0.1 dev up2 table 104
  const lh = { family: 'ip', table: 'lan_host' } as const;
  await ns.nft.apply([
    { add: { table: { family: 'ip', name: 'lan_host' } } },
    { add: { chain: { ...lh, name: 'post', type: 'nat', hook: 'postrouting', prio: 100, policy: 'accept' } } },
    // ip saddr 10.10.0.3 oifname "up2" snat to 10.2.0.2
    { add: { rule: { ...lh, chain: 'post', expr: [match(field('ip', 'saddr'), host), match(meta('oifname'), uplink.dev), { snat: { addr: uplink.address } }] } } },
    // oifname "up1" masquerade
    { add: { rule: { ...lh, chain: 'post', expr: [match(meta('oifname'), defaultDev), { masquerade: null }] } } },
  ]);
}

if (isMain(import.meta.url)) {
  await withLab(async (lab) => {
    const { router, lan } = await buildUplinkLab(lab);
    await lanHostBySource(router.handle, { host: NET.lanHost2, uplink: { dev: 'up2', gateway: NET.isp2, address: NET.up2 }, defaultDev: 'up1' });
    console.log(`Scenario 4, a LAN host by source: ${NET.lanHost2} by isp2, the rest of the LAN by isp1`);
    for (const localAddress of [NET.lanHost, NET.lanHost2]) {
      for (const protocol of ['tcp', 'udp'] as const) {
        console.log(describe(`${localAddress} -> ${protocol} ${NET.server}:80`, await askOnce(lan.netns, { protocol, host: NET.server, port: 80, localAddress })));
      }
    }
  });
}
