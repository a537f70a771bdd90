/**
 * Scenario 6, guests: each guest subnet leaves by its own uplink, SNATed there to the router's
 * address within a port range of its own; a port of the host is forwarded to a guest (DNAT
 * host:6022 -> guest:22); everything else shares a multipath default route, weighted per uplink
 * and balanced per flow.
 *
 * Run it on its own (a sandbox lab with two guest networks):
 *   scripts/in-sandbox node dist/examples/scenarios/guests.js
 */
import type { Handle, NftCommand } from 'routemark';
import { withLab } from '../lab/lab.js';
import { askFlows, askOnce, answered } from '../lab/traffic.js';
import { buildUplinkLab, describe, isMain, NET } from '../lab/topologies.js';
import { anyOf, field, match, meta, prefix } from './nft-json.js';

/** An uplink of the guests' router: interface, gateway, and the router's address on it. */
export interface GuestUplink {
  dev: string;
  gateway: string;
  address: string;
  /** Its weight in the multipath default route (1..256, default 1). */
  weight?: number;
}

/** A guest subnet and where it leaves. */
export interface GuestSubnet {
  /** The subnet (`10.20.1.0/24`). */
  prefix: string;
  /** Its uplink, by index in `uplinks`. */
  uplink: number;
  /** Its routing table. */
  table: number | string;
  /** The source ports its SNAT may use (`[20000, 29999]`). */
  ports: [number, number];
}

/** Scenario 6's guests, uplinks and port forward. */
export interface GuestsOptions {
  uplinks: GuestUplink[];
  subnets: GuestSubnet[];
  /** host:port -> guest:toPort, for TCP to any of the host's `addresses`. */
  portForward: { addresses: string[]; port: number; to: string; toPort: number };
  /** Priority of the first rule (default 1000). */
  priority?: number;
}

/**
 * Applies scenario 6 in the handle's namespace. It replaces the main table's default route.
 * @example await guests(ns, { uplinks, subnets: [{ prefix: '10.20.1.0/24', uplink: 0, table: 101, ports: [20000, 29999] }], portForward: { addresses: ['10.1.0.2'], port: 6022, to: '10.20.1.5', toPort: 22 } });
 */
export async function guests(ns: Handle, options: GuestsOptions): Promise<void> {
  const { uplinks, subnets, portForward, priority = 1000 } = options;
  // Routes more specific than a default (the guests' own subnets, the uplinks' links) come from
  // the main table for everyone; only the default route differs per subnet.
  await ns.rules.add({ table: 'main', suppressPrefixLength: 0, priority }); //                   ip rule add priority 1000 table main suppress_prefixlength 0
  for (const [i, subnet] of subnets.entries()) {
    const uplink = uplinks[subnet.uplink]!;
    await ns.rules.add({ from: subnet.prefix, priority: priority + 1 + i, table: subnet.table }); // ip rule add from 10.20.1.0/24 priority 1001 table 101
    await ns.routes.add({ dst: 'default', gateway: uplink.gateway, dev: uplink.dev, table: subnet.table }); // ip route add default via 10.1.0.1 dev up1 table 101
  }
  // ip route replace default nexthop via 10.1.0.1 dev up1 weight 1 nexthop via 10.2.0.1 dev up2 weight 3
  await ns.routes.replace({ dst: 'default', nexthops: uplinks.map((u) => ({ gateway: u.gateway, dev: u.dev, weight: u.weight ?? 1 })) });
  // Balance flows, not address pairs: hash on ports too (sysctl -w net.ipv4.fib_multipath_hash_policy=1).
  await ns.sysctl.set('net.ipv4.fib_multipath_hash_policy', 1);

  const g = { family: 'ip', table: 'guests' } as const;
  const document: NftCommand[] = [
    { add: { table: { family: 'ip', name: 'guests' } } },
    { add: { chain: { ...g, name: 'pre', type: 'nat', hook: 'prerouting', prio: -100, policy: 'accept' } } },
    // ip daddr { 10.1.0.2, 10.2.0.2 } tcp dport 6022 dnat to 10.20.1.5:22
    { add: { rule: { ...g, chain: 'pre', expr: [match(field('ip', 'daddr'), anyOf(...portForward.addresses)), match(field('tcp', 'dport'), portForward.port), { dnat: { addr: portForward.to, port: portForward.toPort } }] } } },
    { add: { chain: { ...g, name: 'post', type: 'nat', hook: 'postrouting', prio: 100, policy: 'accept' } } },
  ];
  for (const subnet of subnets) {
    const uplink = uplinks[subnet.uplink]!;
    // ip saddr 10.20.1.0/24 oifname "up1" meta l4proto { tcp, udp } snat to 10.1.0.2:20000-29999
    document.push({ add: { rule: { ...g, chain: 'post', expr: [match(field('ip', 'saddr'), prefix(subnet.prefix)), match(meta('oifname'), uplink.dev), match(meta('l4proto'), anyOf('tcp', 'udp')), { snat: { addr: uplink.address, port: { range: subnet.ports } } }] } } });
    document.push({ add: { rule: { ...g, chain: 'post', expr: [match(field('ip', 'saddr'), prefix(subnet.prefix)), match(meta('oifname'), uplink.dev), { snat: { addr: uplink.address } }] } } });
  }
  // Everyone else: oifname "up1" masquerade, oifname "up2" masquerade
  for (const uplink of uplinks) document.push({ add: { rule: { ...g, chain: 'post', expr: [match(meta('oifname'), uplink.dev), { masquerade: null }] } } });
  await ns.nft.apply(document);
}

/** The lab's guests setup (and the scenario tests'): guest1 by isp1, guest2 by isp2, weights 1:3. */
export const LAB_GUESTS: GuestsOptions = {
  uplinks: [
    { dev: 'up1', gateway: NET.isp1, address: NET.up1, weight: 1 },
    { dev: 'up2', gateway: NET.isp2, address: NET.up2, weight: 3 },
  ],
  subnets: [
    { prefix: '10.20.1.0/24', uplink: 0, table: 101, ports: [20000, 29999] },
    { prefix: '10.20.2.0/24', uplink: 1, table: 102, ports: [30000, 39999] },
  ],
  portForward: { addresses: [NET.up1, NET.up2], port: 6022, to: NET.guest1, toPort: 22 },
};

if (isMain(import.meta.url)) {
  await withLab(async (lab) => {
    const { router, lan, isp1, isp2, guest1, guest2 } = await buildUplinkLab(lab, { guests: true });
    await lab.serve(guest1!, { label: 'guest1', protocol: 'tcp', port: 22 });
    await guests(router.handle, LAB_GUESTS);
    console.log('Scenario 6, guests: 10.20.1.0/24 by isp1 (ports 20000-29999), 10.20.2.0/24 by isp2 (30000-39999)');
    console.log(describe('guest1 -> tcp 203.0.113.10:80', await askOnce(guest1!.netns, { protocol: 'tcp', host: NET.server, port: 80 })));
    console.log(describe('guest2 -> udp 203.0.113.10:80', await askOnce(guest2!.netns, { protocol: 'udp', host: NET.server, port: 80 })));
    console.log('Port forward 6022 -> guest1:22:');
    console.log(describe('isp1 -> tcp 10.1.0.2:6022', await askOnce(isp1.netns, { protocol: 'tcp', host: NET.up1, port: 6022 })));
    console.log(describe('isp2 -> tcp 10.2.0.2:6022', await askOnce(isp2.netns, { protocol: 'tcp', host: NET.up2, port: 6022 })));
    const sourcePorts = Array.from({ length: 40 }, (_, i) => 40000 + i);
    const outcomes = await askFlows(lan.netns, { protocol: 'udp', host: NET.server, port: 80, sourcePorts });
    const count = (server: string) => outcomes.filter((o) => answered(o) && o.server === server).length;
    console.log(`Multipath default, weights 1:3: of ${sourcePorts.length} LAN flows, isp1 answered ${count('isp1')} and isp2 ${count('isp2')}`);
  });
}
