/**
 * Scenario 2 with real packets: a client on the internet asks the server (the router node) on
 * both of its uplink addresses; each answer comes back, and counters in the ISPs show that the
 * replies from each address crossed only that address's ISP.
 */
import t from 'tap';
import { open } from 'routemark';
import { LAB_UPLINKS, replyByUplink } from '../../examples/scenarios/reply-by-uplink.js';
import { askOnce } from '../../examples/lab/traffic.js';
import { buildScenarioTopology } from '../helpers/scenario-topology.js';
import { forwardCounter, netnsFile, serveWhoami } from '../helpers/witness.js';

t.test('the server answers every client by the uplink its request came in on', async (t) => {
  const { router, internet, isp1, isp2 } = await buildScenarioTopology(t, { internet: true });
  for (const protocol of ['tcp', 'udp'] as const) await serveWhoami(t, router, { label: 'server', protocol, port: 8080 });
  const client = netnsFile(internet);
  t.match(await askOnce(client, { protocol: 'tcp', host: '10.2.0.2', port: 8080, timeoutMs: 700 }), { error: 'timeout' }, 'before: no answer by the second uplink');

  const handle = await open({ netns: router.name });
  t.teardown(() => handle.close());
  await replyByUplink(handle, LAB_UPLINKS);

  // Packets from each server address, counted by each ISP as it forwards them to the client.
  const counters = {
    isp1: { up1: forwardCounter(isp1, 'ip saddr 10.1.0.2'), up2: forwardCounter(isp1, 'ip saddr 10.2.0.2') },
    isp2: { up1: forwardCounter(isp2, 'ip saddr 10.1.0.2'), up2: forwardCounter(isp2, 'ip saddr 10.2.0.2') },
  };
  for (const protocol of ['tcp', 'udp'] as const) {
    t.match(await askOnce(client, { protocol, host: '10.1.0.2', port: 8080 }), { server: 'server', address: '198.51.100.10' }, `${protocol} to the first uplink's address: answered`);
    t.match(await askOnce(client, { protocol, host: '10.2.0.2', port: 8080 }), { server: 'server', address: '198.51.100.10' }, `${protocol} to the second uplink's address: answered`);
  }
  t.ok(counters.isp1.up1.read() >= 4, 'replies from 10.1.0.2 crossed isp1');
  t.equal(counters.isp2.up1.read(), 0, 'and not isp2');
  t.ok(counters.isp2.up2.read() >= 4, 'replies from 10.2.0.2 crossed isp2');
  t.equal(counters.isp1.up2.read(), 0, 'and not isp1');
});
