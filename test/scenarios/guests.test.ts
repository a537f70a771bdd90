/**
 * Scenario 6 with real packets: each guest subnet by its own uplink with SNAT in its own port
 * range; a port forward from either uplink address to a guest; the rest of the traffic spread
 * over a multipath default route by weight (1:3), flow by flow.
 */
import t from 'tap';
import { open } from 'routemark';
import { guests, LAB_GUESTS } from '../../examples/scenarios/guests.js';
import { answered, askFlows, askOnce, type Answer } from '../../examples/lab/traffic.js';
import { buildScenarioTopology } from '../helpers/scenario-topology.js';
import { netnsFile, serveWhoami } from '../helpers/witness.js';

t.test('guests: SNAT per subnet, a port forward, a weighted multipath default', async (t) => {
  const { router, lan, isp1, isp2, guest1, guest2 } = await buildScenarioTopology(t, { guests: true });
  await serveWhoami(t, guest1, { label: 'guest1', protocol: 'tcp', port: 22 });
  const handle = await open({ netns: router.name });
  t.teardown(() => handle.close());
  await guests(handle, LAB_GUESTS);
  const server = '203.0.113.10';

  for (const protocol of ['tcp', 'udp'] as const) {
    const one = await askOnce(netnsFile(guest1), { protocol, host: server, port: 80 });
    t.match(one, { server: 'isp1', address: '10.1.0.2' }, `guest1 ${protocol}: by isp1, SNATed`);
    t.ok(answered(one) && one.port >= 20000 && one.port <= 29999, `guest1 ${protocol}: source port ${answered(one) ? one.port : '-'} in 20000-29999`);
    const two = await askOnce(netnsFile(guest2), { protocol, host: server, port: 80 });
    t.match(two, { server: 'isp2', address: '10.2.0.2' }, `guest2 ${protocol}: by isp2, SNATed`);
    t.ok(answered(two) && two.port >= 30000 && two.port <= 39999, `guest2 ${protocol}: source port ${answered(two) ? two.port : '-'} in 30000-39999`);
  }

  t.match(await askOnce(netnsFile(isp1), { protocol: 'tcp', host: '10.1.0.2', port: 6022 }), { server: 'guest1', address: '10.1.0.1' }, 'isp1 -> host:6022 reaches guest1:22, and the reply comes back');
  t.match(await askOnce(netnsFile(isp2), { protocol: 'tcp', host: '10.2.0.2', port: 6022 }), { server: 'guest1', address: '10.2.0.1' }, 'the same from the other uplink');

  const sourcePorts = Array.from({ length: 64 }, (_, i) => 41000 + i);
  const outcomes = await askFlows(netnsFile(lan), { protocol: 'udp', host: server, port: 80, sourcePorts });
  const answers = outcomes.filter(answered);
  t.equal(answers.length, sourcePorts.length, 'every LAN flow was answered');
  const by = (name: string) => answers.filter((a: Answer) => a.server === name);
  t.ok(by('isp1').every((a) => a.address === '10.1.0.2') && by('isp2').every((a) => a.address === '10.2.0.2'), 'each flow masqueraded on the uplink it left by');
  const [one, two] = [by('isp1').length, by('isp2').length];
  t.ok(one > 0 && two > 0, `both uplinks carry flows (isp1 ${one}, isp2 ${two})`);
  t.ok(two > one, `the weight-3 uplink carries more (isp1 ${one}, isp2 ${two}; expected about 16:48)`);
});
