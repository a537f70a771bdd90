/**
 * Scenario 1 with real packets: tcp 465 from the router leaves by the tunnel-like uplink
 * (isp2's server answers and saw the tunnel's address), everything else by isp1; the LAN is
 * masqueraded on isp1; without loose rp_filter on the tunnel the replies are dropped.
 */
import t from 'tap';
import { open } from 'routemark';
import { routeByMark } from '../../examples/scenarios/route-by-mark.js';
import { ask, askOnce } from '../../examples/lab/traffic.js';
import { buildScenarioTopology } from '../helpers/scenario-topology.js';
import { netnsFile } from '../helpers/witness.js';

t.test('tcp 465 from the router leaves by the tunnel, the rest by the default uplink', async (t) => {
  const { router, lan } = await buildScenarioTopology(t, { tunnel: true });
  const from = { router: netnsFile(router), lan: netnsFile(lan) };
  const server = '203.0.113.10';
  t.match(await askOnce(from.router, { protocol: 'tcp', host: server, port: 465 }), { server: 'isp1' }, 'before: 465 leaves by isp1 like everything else');
  t.match(await askOnce(from.lan, { protocol: 'tcp', host: server, port: 80, timeoutMs: 700 }), { error: 'timeout' }, 'before: the LAN is not NATed, so no answer comes back');

  const handle = await open({ netns: router.name });
  t.teardown(() => handle.close());
  await routeByMark(handle, { defaultDev: 'up1', tunnel: { dev: 'tun0', gateway: '10.9.0.1' } });

  const marked = await ask(from.router, { protocol: 'tcp', host: server, port: 465, requests: 3 });
  t.equal(marked.length, 3);
  for (const outcome of marked) t.match(outcome, { server: 'isp2', address: '10.9.0.2' }, 'tcp 465: isp2 answered, and saw the tunnel address (masquerade)');
  t.match(await askOnce(from.router, { protocol: 'tcp', host: server, port: 80 }), { server: 'isp1', address: '10.1.0.2' }, 'tcp 80 by the default uplink');
  t.match(await askOnce(from.router, { protocol: 'udp', host: server, port: 465 }), { server: 'isp1', address: '10.1.0.2' }, 'udp 465 is not marked');
  t.match(await askOnce(from.lan, { protocol: 'tcp', host: server, port: 80 }), { server: 'isp1', address: '10.1.0.2' }, 'the LAN leaves by isp1, masqueraded');
  t.match(await askOnce(from.lan, { protocol: 'udp', host: server, port: 80 }), { server: 'isp1', address: '10.1.0.2' });

  // rp_filter is relaxed where it must be: strict again on the tunnel, the replies are dropped.
  router.exec('sysctl', ['-qw', 'net.ipv4.conf.tun0.rp_filter=1']);
  t.match(await askOnce(from.router, { protocol: 'tcp', host: server, port: 465, timeoutMs: 700 }), { error: 'timeout' }, 'strict rp_filter on the tunnel drops the replies');
  router.exec('sysctl', ['-qw', 'net.ipv4.conf.tun0.rp_filter=2']);
  t.match(await askOnce(from.router, { protocol: 'tcp', host: server, port: 465 }), { server: 'isp2', address: '10.9.0.2' }, 'loose again: answered');
});
