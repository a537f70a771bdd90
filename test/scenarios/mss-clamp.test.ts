/**
 * Scenario 8 with real packets: uplink 1 has MTU 1420, the LAN 1500. LAN hosts open TCP
 * connections through the router; isp1 counts the SYNs it receives by their MSS option with
 * rules written by the `nft` tool. Without clamping the SYN keeps the LAN's 1460; with routemark's
 * `tcp option maxseg size set rt mtu` it arrives with 1380 (1420 less 40 bytes of headers); a
 * fixed value lowers it to that value, and a higher one leaves it alone (the kernel never raises it).
 */
import t from 'tap';
import { open } from 'routemark';
import { clampMss, MSS_CLAMP_TABLE } from '../../examples/scenarios/mss-clamp.js';
import { askOnce } from '../../examples/lab/traffic.js';
import { buildScenarioTopology } from '../helpers/scenario-topology.js';
import { netnsFile, nftCounters } from '../helpers/witness.js';
import type { TestNetns } from '../helpers/netns.js';

const SIZES = [1460, 1380, 1300];

/** Counters in `ns` (written with nft) of TCP SYNs to port 80, one per MSS in SIZES. */
function synsByMss(ns: TestNetns): () => number[] {
  const counters = nftCounters(ns, 'input', '0', SIZES.map((size) => `tcp dport 80 tcp flags syn tcp option maxseg size ${size}`), 'inet');
  return () => counters.read();
}

t.test('forwarded SYNs leave a small-MTU uplink with the MSS its route allows', async (t) => {
  const { router, lan, isp1 } = await buildScenarioTopology(t);
  router.ip('link', 'set', 'up1', 'mtu', '1420');
  isp1.ip('link', 'set', 'd1', 'mtu', '1420');
  router.exec('nft', ['-f', '-'], 'table ip nat {\n chain post {\n type nat hook postrouting priority srcnat; policy accept;\n oifname "up1" masquerade\n }\n}\n');
  const seen = synsByMss(isp1);
  const handle = await open({ netns: router.name });
  t.teardown(() => handle.close());
  const connect = async () => askOnce(netnsFile(lan), { protocol: 'tcp', host: '203.0.113.10', port: 80 });

  t.match(await connect(), { server: 'isp1' }, 'the connection works before clamping');
  t.same(seen(), [1, 0, 0], 'without clamping, isp1 receives the SYN with the LAN host\'s MSS 1460');

  await clampMss(handle, { devs: ['up1'] });
  const text = router.exec('nft', ['list', 'table', 'inet', MSS_CLAMP_TABLE.table]);
  t.match(text, /oifname "up1" tcp flags syn tcp option maxseg size set rt mtu/, 'nft lists the rule routemark applied');
  t.match(await connect(), { server: 'isp1' }, 'the connection works with clamping');
  t.same(seen(), [1, 1, 0], 'with set rt mtu, the SYN arrives with MSS 1380 (MTU 1420 less the IP and TCP headers)');

  await clampMss(handle, { devs: ['up1', 'tun0'], mss: 1300 });
  t.match(router.exec('nft', ['list', 'table', 'inet', MSS_CLAMP_TABLE.table]), /oifname \{ "up1", "tun0" \} tcp flags syn tcp option maxseg size set 1300/);
  t.match(await connect(), { server: 'isp1' });
  t.same(seen(), [1, 1, 1], 'a fixed MSS of 1300 replaces the rule and arrives as 1300');

  await clampMss(handle, { devs: ['up1'], mss: 1500 });
  t.match(await connect(), { server: 'isp1' });
  t.same(seen(), [2, 1, 1], 'a fixed MSS above the SYN\'s own leaves it at 1460: the kernel only lowers it');

  const listed = await handle.nft.list({ family: 'inet', table: MSS_CLAMP_TABLE.table, chain: 'forward' });
  const rule = listed.nftables.flatMap((item) => ('rule' in item && item.rule ? [item.rule] : []))[0];
  t.same(rule?.expr?.at(-1), { mangle: { key: { 'tcp option': { name: 'maxseg', field: 'size' } }, value: 1500 } }, 'routemark lists the mangle as nft -j does');
});
