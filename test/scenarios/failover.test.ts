/**
 * Scenario 7 with real packets: isp1's link goes down under an open UDP flow; the default route
 * moves to isp2, the flows marked for isp1 are deleted (the conntrack tool as witness), the same
 * UDP flow is answered by isp2 with isp2's NAT, and new flows leave by isp2.
 */
import t from 'tap';
import { open } from 'routemark';
import { failoverUplinks, LAB_FAILOVER_UPLINKS, nextFailoverEvent } from '../../examples/scenarios/failover.js';
import { askOnce } from '../../examples/lab/traffic.js';
import { buildScenarioTopology } from '../helpers/scenario-topology.js';
import { netnsFile, session } from '../helpers/witness.js';
import { toolFlows } from '../helpers/conntrack.js';

t.test('an uplink goes down: its default route is replaced and its flows cleared', async (t) => {
  const { router, lan, isp1 } = await buildScenarioTopology(t);
  const handle = await open({ netns: router.name, owner: 220 });
  t.teardown(() => handle.close());
  const failover = await failoverUplinks(handle, { uplinks: LAB_FAILOVER_UPLINKS, intervalMs: 300 });
  t.teardown(() => failover.close());
  const server = '203.0.113.10';

  const udp = session(t, lan, { protocol: 'udp', host: server, port: 80 });
  const before = await udp.ask();
  t.match(before, { server: 'isp1', address: '10.1.0.2' }, 'the flow leaves by isp1');
  t.match(await askOnce(netnsFile(lan), { protocol: 'tcp', host: server, port: 80 }), { server: 'isp1', address: '10.1.0.2' });
  t.ok(toolFlows(router, '-m', '1').length >= 2, 'the conntrack tool sees the flows marked 1');

  const moved = nextFailoverEvent(failover, (e) => e.type === 'route');
  const cleared = nextFailoverEvent(failover, (e) => e.type === 'flows');
  isp1.ip('link', 'set', 'd1', 'down');
  t.match(await moved, { type: 'route', active: ['isp2'], previous: ['isp1'] });
  t.match(router.ipJson('route', 'show', 'default'), [{ gateway: '10.2.0.1', dev: 'up2' }], 'ip shows the default route by isp2');
  const flows = await cleared;
  t.ok(flows.type === 'flows' && flows.deleted >= 2, 'the flows of isp1 were deleted');
  t.same(toolFlows(router, '-m', '1'), [], 'no flow marked 1 is left');

  const after = await udp.ask();
  t.match(after, { server: 'isp2', address: '10.2.0.2' }, 'the same udp flow is answered by isp2, NATed to its address');
  t.equal('port' in after && 'port' in before ? after.port : -1, 'port' in before ? before.port : -2, 'on the same source port (the same socket)');
  t.match(await askOnce(netnsFile(lan), { protocol: 'tcp', host: server, port: 80 }), { server: 'isp2', address: '10.2.0.2' }, 'a new flow leaves by isp2');
  t.match(await askOnce(netnsFile(router), { protocol: 'tcp', host: server, port: 80 }), { server: 'isp2', address: '10.2.0.2' }, 'and so does the router\'s own');
});
