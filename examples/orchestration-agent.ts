/**
 * An orchestration agent, in a sandbox namespace of its own
 * (`scripts/in-sandbox node dist/examples/orchestration-agent.js`). It makes an uplink, then
 * re-applies its whole intent (the uplink's address, a rule, a route, an nf_tables table, a
 * sysctl) three times (only the first changes anything), watches the namespace while another
 * tool adds a route, and finally applies an empty document, which removes everything it owns
 * and nothing else: refused while removing its address would make the kernel delete the other
 * tool's route too.
 */
import { applyPolicy, open, planPolicy, startMonitor, PolicyApplyError, PolicyConflictError, type PolicyDocument } from 'routemark';
import { Lab } from './lab/lab.js';

const lab = new Lab();
const node = await lab.node('agent');
const netns = node.netns;
// Owner 201: the protocol of everything this agent makes (`ip route` shows `proto 201`).
const ns = await open({ netns, owner: 201 });
// Another tool in the same namespace (its routes carry protocol 'static', not 201).
const otherTool = await open({ netns });
const monitor = await startMonitor(ns, { kinds: ['route', 'rule'] });
monitor.on('event', (event) => {
  if (event.type === 'route') console.log(`  monitor: route ${event.action} ${event.route.dst} table ${event.route.table} proto ${event.route.protocol}`);
  if (event.type === 'resync') console.log(`  monitor: events were lost; ${event.snapshot.routes.length} routes now`);
});
try {
  await ns.links.add({ name: 'up0', kind: 'veth', peer: { name: 'up0-peer' } });
  await ns.links.up('up0');
  await ns.links.up('up0-peer');

  const intent: PolicyDocument = {
    addresses: [{ address: '192.0.2.2/24', dev: 'up0' }],
    rules: [{ fwmark: 65, priority: 1000, table: 100 }],
    routes: [{ dst: 'default', gateway: '192.0.2.1', dev: 'up0', table: 100 }],
    nftables: [
      { table: { family: 'inet', name: 'agent' } },
      { chain: { family: 'inet', table: 'agent', name: 'out', type: 'route', hook: 'output', prio: -150, policy: 'accept' } },
      {
        rule: {
          family: 'inet', table: 'agent', chain: 'out',
          expr: [{ match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: 465 } }, { mangle: { key: { meta: { key: 'mark' } }, value: 65 } }],
        },
      },
    ],
    sysctls: { 'net.ipv4.conf.all.src_valid_mark': 1 },
  };
  for (let round = 1; round <= 3; round++) {
    const { plan, changed } = await applyPolicy(ns, intent, { timeoutMs: 10_000 });
    console.log(`apply #${round}: ${plan.changes.length} changes (${JSON.stringify(plan.summary)}), changed: ${changed}`);
  }

  // Someone else's route: the monitor sees it; the agent's plan ignores it.
  await otherTool.routes.add({ dst: '10.9.0.0/16', gateway: '192.0.2.1', table: 100, protocol: 'static' });
  await new Promise((resolve) => setTimeout(resolve, 100));
  console.log(`plan with a foreign route beside ours: ${(await planPolicy(ns, intent)).changes.length} changes`);

  // A refused change is undone with everything before it.
  try {
    await applyPolicy(ns, { ...intent, rules: [...intent.rules!, { priority: 2000, action: 'goto', goto: 10 }] });
  } catch (error) {
    if (error instanceof PolicyApplyError) console.log(`refused and rolled back: ${error.operation} #${error.index} ${error.code} (rolled back: ${error.rolledBack})`);
    else throw error;
  }

  // Its address goes last; the kernel would take every IPv4 route through up0 with it.
  try {
    await applyPolicy(ns, {});
  } catch (error) {
    if (error instanceof PolicyConflictError) console.log(`empty document refused: ${error.message}`);
    else throw error;
  }
  await otherTool.routes.delete({ dst: '10.9.0.0/16', table: 100 });
  await applyPolicy(ns, {});
  console.log(`after an empty document: ${(await ns.routes.list({ table: 100 })).length} route(s) in table 100, ${(await ns.addresses.list({ dev: 'up0', family: 'inet' })).length} IPv4 address(es) on up0`);
} finally {
  monitor.close();
  ns.close();
  otherTool.close();
  lab.close();
}
