/** Scenario 4 with real packets: one LAN host leaves by isp2 (SNATed there), the rest by isp1. */
import t from 'tap';
import { open } from 'routemark';
import { lanHostBySource } from '../../examples/scenarios/lan-host-by-source.js';
import { askOnce } from '../../examples/lab/traffic.js';
import { buildScenarioTopology } from '../helpers/scenario-topology.js';
import { netnsFile } from '../helpers/witness.js';

t.test('one LAN host by a second uplink with SNAT, the rest by the default', async (t) => {
  const { router, lan } = await buildScenarioTopology(t);
  const client = netnsFile(lan);
  const server = '203.0.113.10';
  t.match(await askOnce(client, { protocol: 'tcp', host: server, port: 80, localAddress: '10.10.0.3', timeoutMs: 700 }), { error: 'timeout' }, 'before: not NATed, no answer');
  const handle = await open({ netns: router.name });
  t.teardown(() => handle.close());
  await lanHostBySource(handle, { host: '10.10.0.3', uplink: { dev: 'up2', gateway: '10.2.0.1', address: '10.2.0.2' }, defaultDev: 'up1' });
  for (const protocol of ['tcp', 'udp'] as const) {
    t.match(await askOnce(client, { protocol, host: server, port: 80, localAddress: '10.10.0.3' }), { server: 'isp2', address: '10.2.0.2' }, `${protocol} from 10.10.0.3 by isp2, SNATed`);
    t.match(await askOnce(client, { protocol, host: server, port: 80, localAddress: '10.10.0.2' }), { server: 'isp1', address: '10.1.0.2' }, `${protocol} from 10.10.0.2 by isp1, masqueraded`);
  }
});
