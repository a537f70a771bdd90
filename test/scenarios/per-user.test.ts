/** Scenario 5 with real packets: uid 469's sockets reach the server by isp2, other users' by isp1. */
import t from 'tap';
import { open } from 'routemark';
import { perUser } from '../../examples/scenarios/per-user.js';
import { askOnce } from '../../examples/lab/traffic.js';
import { buildScenarioTopology } from '../helpers/scenario-topology.js';
import { netnsFile } from '../helpers/witness.js';

t.test("one user's sockets use table 200", async (t) => {
  const { router } = await buildScenarioTopology(t);
  const from = netnsFile(router);
  const server = '203.0.113.10';
  t.match(await askOnce(from, { protocol: 'tcp', host: server, port: 80, uid: 469 }), { server: 'isp1' }, 'before: uid 469 by isp1 like everyone');
  const handle = await open({ netns: router.name });
  t.teardown(() => handle.close());
  await perUser(handle, { uid: 469, uplink: { dev: 'up2', gateway: '10.2.0.1' }, hosts: [server] });
  for (const protocol of ['tcp', 'udp'] as const) {
    t.match(await askOnce(from, { protocol, host: server, port: 80, uid: 469 }), { server: 'isp2', address: '10.2.0.2' }, `${protocol} as uid 469: by isp2, from its address`);
    t.match(await askOnce(from, { protocol, host: server, port: 80, uid: 470 }), { server: 'isp1', address: '10.1.0.2' }, `${protocol} as uid 470: by isp1`);
    t.match(await askOnce(from, { protocol, host: server, port: 80 }), { server: 'isp1', address: '10.1.0.2' }, `${protocol} as root: by isp1`);
  }
});
