/**
 * Scenario 8, MSS clamping: an uplink with a smaller MTU than the LAN (a tunnel, PPPoE) drops
 * or fragments full-size TCP segments wherever path MTU discovery is broken. The router rewrites
 * the MSS option of every SYN it forwards out of that uplink to what the route's MTU allows
 * (`tcp option maxseg size set rt mtu`), so both ends send segments that fit. The kernel only
 * ever lowers the option, never raises it.
 *
 * Run it on its own (a sandbox lab: uplink 1 gets MTU 1420; isp1 counts the SYNs it receives
 * by their MSS option):
 *   scripts/in-sandbox node dist/examples/scenarios/mss-clamp.js
 */
import type { Handle, NftCommand, NftStatement } from 'routemark';
import { withLab } from '../lab/lab.js';
import { askOnce } from '../lab/traffic.js';
import { buildUplinkLab, describe, isMain, NET } from '../lab/topologies.js';
import { anyOf, field, match, meta, set } from './nft-json.js';

/** Where scenario 8 clamps. */
export interface MssClampOptions {
  /** The uplinks whose forwarded SYNs get the clamped MSS (`tun0`, `ppp0`). */
  devs: string[];
  /** A fixed MSS instead of the one the route's MTU allows (`set 1360` instead of `set rt mtu`). */
  mss?: number;
}

/** The nf_tables table scenario 8 writes (`inet mss_clamp`). */
export const MSS_CLAMP_TABLE = { family: 'inet', table: 'mss_clamp' } as const;

/** `tcp option maxseg size`. */
const maxseg = { 'tcp option': { name: 'maxseg', field: 'size' } };

/**
 * Applies scenario 8 in the handle's namespace: one table, one chain, one rule; applying it again
 * replaces the rule (the table is flushed first).
 * @example await clampMss(ns, { devs: ['tun0'] });
 */
export async function clampMss(ns: Handle, options: MssClampOptions): Promise<void> {
  const { devs, mss } = options;
  if (devs.length === 0) throw new TypeError('clampMss: devs must name at least one interface');
  const mc = MSS_CLAMP_TABLE;
  const out: NftStatement = devs.length === 1 ? match(meta('oifname'), devs[0]!) : match(meta('oifname'), anyOf(...devs));
  const commands: NftCommand[] = [
    { add: { table: { family: 'inet', name: 'mss_clamp' } } },
    { flush: { table: { family: 'inet', name: 'mss_clamp' } } },
    // Forwarded packets only: the host's own sockets already take their MSS from the route.
    { add: { chain: { ...mc, name: 'forward', type: 'filter', hook: 'forward', prio: -150, policy: 'accept' } } },
    // oifname "tun0" tcp flags syn tcp option maxseg size set rt mtu
    { add: { rule: { ...mc, chain: 'forward', expr: [out, match(field('tcp', 'flags'), 'syn', 'in'), set(maxseg, mss ?? { rt: { key: 'mtu' } })] } } },
  ];
  await ns.nft.apply(commands);
}

/** Counts, in `ns`, the TCP SYNs to `port` that arrive with each of `sizes` as their MSS option. */
async function countSynsByMss(ns: Handle, port: number, sizes: number[]): Promise<() => Promise<Map<number, number>>> {
  const w = { family: 'inet', table: 'syn_witness' } as const;
  await ns.nft.apply([
    { add: { table: { family: 'inet', name: 'syn_witness' } } },
    { add: { chain: { ...w, name: 'in', type: 'filter', hook: 'input', prio: 0, policy: 'accept' } } },
    ...sizes.map((size): NftCommand => ({
      add: { rule: { ...w, chain: 'in', expr: [match(field('tcp', 'dport'), port), match(field('tcp', 'flags'), 'syn', 'in'), match(maxseg, size), { counter: null }] } },
    })),
  ]);
  return async () => {
    const listing = await ns.nft.list({ family: 'inet', table: 'syn_witness' });
    const rules = listing.nftables.flatMap((item) => ('rule' in item && item.rule ? [item.rule] : []));
    const counts = new Map<number, number>();
    rules.forEach((rule, i) => {
      const counter = rule.expr?.find((s) => s.counter !== undefined)?.counter;
      counts.set(sizes[i]!, typeof counter === 'object' ? (counter?.packets ?? 0) : 0);
    });
    return counts;
  };
}

if (isMain(import.meta.url)) {
  await withLab(async (lab) => {
    const { router, lan, isp1 } = await buildUplinkLab(lab);
    // Uplink 1 becomes tunnel-sized (WireGuard's default MTU); the LAN stays at 1500.
    await router.handle.links.set('up1', { mtu: 1420 });
    await isp1.handle.links.set('d1', { mtu: 1420 });
    await router.handle.nft.apply([
      { add: { table: { family: 'ip', name: 'nat' } } },
      { add: { chain: { family: 'ip', table: 'nat', name: 'post', type: 'nat', hook: 'postrouting', prio: 100, policy: 'accept' } } },
      { add: { rule: { family: 'ip', table: 'nat', chain: 'post', expr: [match(meta('oifname'), 'up1'), { masquerade: null }] } } },
    ]);
    const sizes = [1460, 1380, 1300];
    const seen = await countSynsByMss(isp1.handle, 80, sizes);
    const report = async (label: string) => {
      console.log(describe(`lan host -> tcp ${NET.server}:80`, await askOnce(lan.netns, { protocol: 'tcp', host: NET.server, port: 80 })));
      const counts = await seen();
      console.log(`  ${label}: SYNs isp1 received, by MSS: ${sizes.map((s) => `${s}: ${counts.get(s)}`).join(', ')}`);
    };
    console.log('Scenario 8, MSS clamping: uplink 1 has MTU 1420, the LAN 1500');
    await report('no clamping');
    await clampMss(router.handle, { devs: ['up1'] });
    await report('set rt mtu');
    await clampMss(router.handle, { devs: ['up1'], mss: 1300 });
    await report('set 1300');
  });
}
