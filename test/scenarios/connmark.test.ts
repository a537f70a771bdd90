/**
 * Scenario 3 with real packets: the first packet of a flow picks the uplink, later packets and
 * replies follow it, for the router's own flows and for forwarded LAN flows. Flows opened before
 * the pick changes stay on their uplink; new ones take the new choice. The conntrack tool shows
 * the saved marks.
 */
import t from 'tap';
import { open } from 'routemark';
import { CONNMARK_TABLE, connmark, LAB_MARKED_UPLINKS } from '../../examples/scenarios/connmark.js';
import { ask, askOnce } from '../../examples/lab/traffic.js';
import { buildScenarioTopology } from '../helpers/scenario-topology.js';
import { netnsFile, session } from '../helpers/witness.js';
import { toolFlows } from '../helpers/conntrack.js';

t.test('every packet of a flow, and its replies, follow the first packet\'s uplink', async (t) => {
  const { router, lan } = await buildScenarioTopology(t);
  const handle = await open({ netns: router.name });
  t.teardown(() => handle.close());
  await connmark(handle, { lanDev: 'lan0', uplinks: LAB_MARKED_UPLINKS });
  const server = '203.0.113.10';

  for (const [who, ns] of [['router', router], ['lan', lan]] as const) {
    for (const protocol of ['tcp', 'udp'] as const) {
      const picked = await ask(netnsFile(ns), { protocol, host: server, port: 465, requests: 3 });
      t.equal(picked.length, 3);
      const ports = new Set(picked.map((o) => ('port' in o ? o.port : undefined)));
      t.equal(ports.size, 1, `${who} ${protocol} 465: one flow`);
      for (const outcome of picked) t.match(outcome, { server: 'isp2', address: '10.2.0.2' }, `${who} ${protocol} 465: every request by isp2`);
      const other = await ask(netnsFile(ns), { protocol, host: server, port: 80, requests: 2 });
      for (const outcome of other) t.match(outcome, { server: 'isp1', address: '10.1.0.2' }, `${who} ${protocol} 80: by isp1`);
    }
  }
  const marks = toolFlows(router, '-p', 'tcp', '--dport', '465').map((f) => f.mark);
  t.ok(marks.length >= 2 && marks.every((m) => m === 2), `the conntrack tool sees tcp 465 flows with mark 2 (${marks.join(', ')})`);

  // Open flows keep their uplink when the choice changes; new flows take the new choice.
  const tcp = session(t, lan, { protocol: 'tcp', host: server, port: 465 });
  const udp = session(t, lan, { protocol: 'udp', host: server, port: 465 });
  const firstTcp = await tcp.ask();
  const firstUdp = await udp.ask();
  t.match(firstTcp, { server: 'isp2', address: '10.2.0.2' });
  t.match(firstUdp, { server: 'isp2', address: '10.2.0.2' });
  await handle.nft.deleteElements({ ...CONNMARK_TABLE, name: 'pick' }, [465]);
  t.same(await tcp.ask(), firstTcp, 'the open tcp flow stays on isp2');
  t.same(await udp.ask(), firstUdp, 'the open udp flow stays on isp2');
  t.match(await askOnce(netnsFile(lan), { protocol: 'tcp', host: server, port: 465 }), { server: 'isp1', address: '10.1.0.2' }, 'a new flow to 465 now picks isp1');
  t.match(await askOnce(netnsFile(router), { protocol: 'udp', host: server, port: 465 }), { server: 'isp1', address: '10.1.0.2' });
});
