/**
 * Scenario 2, reply by the same uplink: a server behind two routers (two uplinks, one address
 * on each) answers every client by the uplink its request came in on. One routing table per
 * uplink holds that uplink's subnet (with `src`) and its own default route, and a source rule
 * sends everything from the uplink's address to its table.
 *
 * Run it on its own (a sandbox lab; a client out on the internet asks both addresses):
 *   scripts/in-sandbox node dist/examples/scenarios/reply-by-uplink.js
 */
import type { Handle } from 'routemark';
import { withLab } from '../lab/lab.js';
import { askOnce } from '../lab/traffic.js';
import { buildUplinkLab, describe, isMain, NET } from '../lab/topologies.js';

/** One uplink of the server. */
export interface ServerUplink {
  /** Interface (`eth1`). */
  dev: string;
  /** The server's address on it (`10.1.0.2`). */
  address: string;
  /** The uplink's subnet (`10.1.0.0/24`). */
  subnet: string;
  /** The router on it (`10.1.0.1`). */
  gateway: string;
  /** This uplink's routing table (an id, or a name from rt_tables). */
  table: number | string;
}

/**
 * Applies scenario 2 in the handle's namespace: for each uplink, its table and its source rule
 * (priorities from `priority`, default 100, one apart).
 * @example await replyByUplink(ns, [{ dev: 'up1', address: '10.1.0.2', subnet: '10.1.0.0/24', gateway: '10.1.0.1', table: 101 }, ...]);
 */
export async function replyByUplink(ns: Handle, uplinks: ServerUplink[], priority = 100): Promise<void> {
  for (const [i, uplink] of uplinks.entries()) {
    const { dev, address, subnet, gateway, table } = uplink;
    await ns.routes.add({ dst: subnet, dev, src: address, table }); //        ip route add 10.1.0.0/24 dev up1 src 10.1.0.2 table 101
    await ns.routes.add({ dst: 'default', gateway, dev, table }); //          ip route add default via 10.1.0.1 dev up1 table 101
    await ns.rules.add({ from: address, priority: priority + i, table }); //  ip rule add from 10.1.0.2 priority 100 table 101
  }
}

/** The server's uplinks in the lab (and in the scenario tests' topology). */
export const LAB_UPLINKS: ServerUplink[] = [
  { dev: 'up1', address: NET.up1, subnet: '10.1.0.0/24', gateway: NET.isp1, table: 101 },
  { dev: 'up2', address: NET.up2, subnet: '10.2.0.0/24', gateway: NET.isp2, table: 102 },
];

if (isMain(import.meta.url)) {
  await withLab(async (lab) => {
    const { router, internet } = await buildUplinkLab(lab, { internet: true });
    await lab.serve(router, { label: 'server', protocol: 'tcp', port: 8080 });
    const both = async () => {
      for (const address of [NET.up1, NET.up2]) {
        console.log(describe(`internet -> tcp ${address}:8080`, await askOnce(internet!.netns, { protocol: 'tcp', host: address, port: 8080, timeoutMs: 1000 })));
      }
    };
    console.log('Scenario 2, reply by the same uplink. Before (one default route, by isp1):');
    await both();
    await replyByUplink(router.handle, LAB_UPLINKS);
    console.log('After (a table and a source rule per uplink):');
    await both();
  });
}
