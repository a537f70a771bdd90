/**
 * Scenario 3, connmark: the first packet of a flow picks an uplink by mark, and the choice is
 * saved into the flow's conntrack entry (`ct mark set meta mark`); later packets and the
 * replies get it back (`meta mark set ct mark`) and follow the same uplink, for the router's own
 * flows (output) and for flows forwarded from the LAN (prerouting). New flows to the ports in
 * the set `@pick` take uplink 2, all others uplink 1; changing the set moves new flows only.
 *
 * Run it on its own (a sandbox lab; flows from the router and from the LAN):
 *   scripts/in-sandbox node dist/examples/scenarios/connmark.js
 */
import type { Handle, NftCommand, NftStatement } from 'routemark';
import { withLab } from '../lab/lab.js';
import { askOnce, openSession } from '../lab/traffic.js';
import { buildUplinkLab, describe, isMain, NET } from '../lab/topologies.js';
import { anyOf, ct, field, match, meta, set } from './nft-json.js';

/** One uplink: its interface, gateway, the mark of its flows and its routing table. */
export interface MarkedUplink {
  dev: string;
  gateway: string;
  mark: number;
  table: number | string;
}

/** Where scenario 3 works. */
export interface ConnmarkOptions {
  /** The LAN interface whose forwarded flows are marked too (`lan0`). */
  lanDev: string;
  /** The default uplink (new flows not picked) and the picked one. */
  uplinks: [MarkedUplink, MarkedUplink];
  /** TCP/UDP destination ports whose new flows take the second uplink (default [465]). */
  ports?: number[];
  /** Priority of the first fwmark rule (default 1000; the main-table rule goes just before). */
  priority?: number;
}

/** The nf_tables table scenario 3 writes (`ip connmark`). */
export const CONNMARK_TABLE = { family: 'ip', table: 'connmark' } as const;

/**
 * Applies scenario 3 in the handle's namespace.
 * @example await connmark(ns, { lanDev: 'lan0', uplinks: [{ dev: 'up1', gateway: '10.1.0.1', mark: 1, table: 101 }, { dev: 'up2', gateway: '10.2.0.1', mark: 2, table: 102 }] });
 */
export async function connmark(ns: Handle, options: ConnmarkOptions): Promise<void> {
  const { lanDev, uplinks: [first, second], ports = [465], priority = 1000 } = options;
  const cm = CONNMARK_TABLE;
  const isNew = match(ct('state'), 'new', 'in');
  const unmarked = match(meta('mark'), 0);
  // The choice, made once per flow: picked ports by the second uplink, everything else by the first.
  const pick = (only: NftStatement[]): NftCommand[] => [
    { add: { rule: { ...cm, chain: only.length ? 'pre' : 'out', expr: [...only, isNew, match(meta('l4proto'), anyOf('tcp', 'udp')), match(field('th', 'dport'), '@pick'), set(meta('mark'), second.mark)] } } },
    { add: { rule: { ...cm, chain: only.length ? 'pre' : 'out', expr: [...only, isNew, unmarked, set(meta('mark'), first.mark)] } } },
  ];
  const restore = (chain: string): NftCommand => ({ add: { rule: { ...cm, chain, expr: [set(meta('mark'), ct('mark'))] } } }); // meta mark set ct mark
  const save = (chain: string): NftCommand => ({ add: { rule: { ...cm, chain, expr: [set(ct('mark'), meta('mark'))] } } }); //    ct mark set meta mark
  await ns.nft.apply([
    { add: { table: { family: 'ip', name: 'connmark' } } },
    { add: { set: { ...cm, name: 'pick', type: 'inet_service', elem: ports } } }, // add set ip connmark pick { type inet_service; elements = { 465 } }
    // Forwarded LAN flows, and replies from the uplinks: restore, pick if new, save.
    { add: { chain: { ...cm, name: 'pre', type: 'filter', hook: 'prerouting', prio: -150, policy: 'accept' } } },
    restore('pre'),
    ...pick([match(meta('iifname'), lanDev)]),
    save('pre'),
    // The router's own flows: a `type route` chain, so that a mark set here reroutes the packet.
    { add: { chain: { ...cm, name: 'out', type: 'route', hook: 'output', prio: -150, policy: 'accept' } } },
    restore('out'),
    ...pick([]),
    save('out'),
    { add: { chain: { ...cm, name: 'post', type: 'nat', hook: 'postrouting', prio: 100, policy: 'accept' } } },
    ...[first, second].map((u): NftCommand => ({ add: { rule: { ...cm, chain: 'post', expr: [match(meta('oifname'), u.dev), { masquerade: null }] } } })),
  ]);
  // Replies to the LAN carry their flow's mark too: let the main table's specific routes (the
  // LAN) win over the uplink tables' default routes.
  await ns.rules.add({ table: 'main', suppressPrefixLength: 0, priority: priority - 1 }); // ip rule add priority 999 table main suppress_prefixlength 0
  for (const [i, uplink] of [first, second].entries()) {
    await ns.rules.add({ fwmark: uplink.mark, priority: priority + i, table: uplink.table }); //    ip rule add fwmark 1 priority 1000 table 101
    await ns.routes.add({ dst: 'default', gateway: uplink.gateway, dev: uplink.dev, table: uplink.table }); // ip route add default via ... table 101
  }
  // Replies come in on the uplink their flow picked; with src_valid_mark, rp_filter checks
  // their source in the table their restored mark selects, not in the main table.
  await ns.sysctl.setSrcValidMark('all', true); //                                  sysctl -w net.ipv4.conf.all.src_valid_mark=1
}

/** The uplinks of the lab (and of the scenario tests' topology). */
export const LAB_MARKED_UPLINKS: [MarkedUplink, MarkedUplink] = [
  { dev: 'up1', gateway: NET.isp1, mark: 1, table: 101 },
  { dev: 'up2', gateway: NET.isp2, mark: 2, table: 102 },
];

if (isMain(import.meta.url)) {
  await withLab(async (lab) => {
    const { router, lan } = await buildUplinkLab(lab);
    await connmark(router.handle, { lanDev: 'lan0', uplinks: LAB_MARKED_UPLINKS });
    console.log('Scenario 3, connmark: new flows to port 465 pick isp2, all others isp1');
    for (const [who, node] of [['router', router], ['lan host', lan]] as const) {
      for (const protocol of ['tcp', 'udp'] as const) {
        for (const port of [465, 80]) {
          console.log(describe(`${who} -> ${protocol} ${NET.server}:${port}`, await askOnce(node.netns, { protocol, host: NET.server, port })));
        }
      }
    }
    const session = openSession(lan.netns, { protocol: 'tcp', host: NET.server, port: 465 });
    console.log(describe('lan host, one tcp flow to :465, request 1', await session.ask()));
    await router.handle.nft.deleteElements({ ...CONNMARK_TABLE, name: 'pick' }, [465]);
    console.log('  (465 removed from @pick: new flows to 465 now pick isp1)');
    console.log(describe('the same flow, request 2', await session.ask()));
    console.log(describe('lan host, a new tcp flow to :465', await askOnce(lan.netns, { protocol: 'tcp', host: NET.server, port: 465 })));
    session.close();
  });
}
