/**
 * Rollback: a kernel refusal in the middle of a 1,000-operation apply leaves the namespace
 * exactly as it was (ip -j rule, ip -j route of every table, nft list ruleset, the sysctls),
 * and the error names the change that failed. Also: a refusal at the very end, after the
 * nf_tables transaction committed, and an abort midway.
 */
import t from 'tap';
import { applyPolicy, planPolicy, PolicyApplyError, type PolicyDocument, type Route, type Rule } from '../../src/index.js';
import type { TestNetns } from '../helpers/netns.js';
import { NETLINK_ROUTE } from '../../src/netlink/constants.js';
import type { Transport } from '../../src/netlink/transport.js';
import { countMessages, policyNetns, toolState } from './helpers.js';

const table = (elements: string[], mark: number) =>
  [
    { table: { family: 'inet', name: 'agent', comment: 'steering' } },
    { chain: { family: 'inet', table: 'agent', name: 'pre', type: 'filter', hook: 'prerouting', prio: -150, policy: 'accept' } },
    { set: { family: 'inet', table: 'agent', name: 'hosts', type: 'ipv4_addr', flags: ['interval'], elem: elements } },
    { rule: { family: 'inet', table: 'agent', chain: 'pre', expr: [{ match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: '@hosts' } }, { mangle: { key: { meta: { key: 'mark' } }, value: mark } }, { counter: null }] } },
  ] as PolicyDocument['nftables'];

const route = (i: number, extra: Partial<Route> = {}): Route => ({ dst: `10.${(i >> 8) & 255}.${i & 255}.0/24`, dev: 'v0', table: 100, ...extra });
const rule = (i: number): Rule => ({ fwmark: 0x1000 + i, priority: 2000 + i, table: 100 + (i % 50) });

/** 300 routes, 200 rules, a table, a sysctl. */
function base(): PolicyDocument {
  return {
    routes: [
      ...Array.from({ length: 300 }, (_, i) => route(i)),
      { dst: '10.200.0.0/16', nexthops: [{ gateway: '192.0.2.2', weight: 3 }, { gateway: '198.51.100.2' }], table: 101, metrics: { mtu: 1300 } },
    ],
    rules: Array.from({ length: 200 }, (_, i) => rule(i)),
    nftables: table(['192.0.2.0/28', '192.0.2.100'], 7),
    sysctls: { 'net.ipv4.conf.all.rp_filter': 2 },
  };
}

/**
 * About 1,000 changes: 400 route adds, 200 replaces, 100 rule deletes, 200 rule adds, 100 route
 * deletes, the table, two sysctls.
 */
function big(): PolicyDocument {
  const doc = base();
  const routes: Route[] = doc.routes!.slice(0, 200).map((r, i) => ({ ...r, dev: 'v2', metric: undefined, ...(i % 2 ? { src: '198.51.100.1' } : {}) }));
  routes.push(...Array.from({ length: 400 }, (_, i) => route(1000 + i, { gateway: '198.51.100.2', dev: undefined })));
  routes.push({ dst: '10.200.0.0/16', nexthops: [{ gateway: '192.0.2.2' }, { gateway: '198.51.100.2', weight: 5 }], table: 101 });
  doc.routes = routes;
  doc.rules = [...doc.rules!.slice(100), ...Array.from({ length: 200 }, (_, i) => rule(300 + i))];
  doc.nftables = table(['192.0.2.64/26'], 9);
  doc.sysctls = { 'net.ipv4.conf.all.rp_filter': 1, 'net.ipv4.ip_forward': 1 };
  return doc;
}

/** Everything the tools show, nf_tables tables sorted (a restored table is listed last). */
function state(ns: TestNetns) {
  const tools = toolState(ns);
  const tables = tools.nft.split(/^(?=table )/m).sort();
  return {
    ...tools,
    nft: tables,
    sysctls: ['net.ipv4.conf.all.rp_filter', 'net.ipv4.ip_forward', 'net.ipv4.ip_local_port_range'].map((k) => ns.exec('sysctl', ['-n', k]).trim()),
  };
}

t.test('a refusal in the middle of a 1,000-operation apply leaves everything as it was', async (t) => {
  const { ns, handle } = await policyNetns(t);
  ns.ip('rule', 'add', 'fwmark', '5', 'priority', '2050', 'table', '100'); // foreign, among ours
  ns.ip('route', 'add', '10.0.50.0/24', 'dev', 'v2', 'table', '100', 'metric', '7'); // foreign, in our table
  ns.exec('nft', ['-f', '-'], 'table ip foreign {\n}\n');
  await applyPolicy(handle, base());
  const before = state(ns);

  const doc = big();
  // The kernel refuses a goto to an earlier priority (EINVAL): the 150th of the rule adds.
  doc.rules!.splice(250, 0, { priority: 2600, action: 'goto', goto: 10 });
  const plan = await planPolicy(handle, doc);
  t.ok(plan.changes.length >= 1000, `${plan.changes.length} changes`);
  const failing = plan.changes.findIndex((c) => c.object === 'rule' && c.action === 'add' && c.rule.goto === 10);
  t.ok(failing > 600 && failing < plan.changes.length - 100, `the failing change (${failing}) comes after more than 600 others that succeed`);

  const error = await applyPolicy(handle, doc).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.type(error, PolicyApplyError);
  const failure = error as PolicyApplyError;
  t.match(failure, { code: 'EINVAL', operation: 'addRule', index: failing, rolledBack: true, rollbackErrors: [] });
  t.match(failure.change, { object: 'rule', action: 'add', rule: { goto: 10 } });
  t.match(failure.message, /goto/);
  t.same(state(ns), before, 'rules, routes, nftables and sysctls are as before');
  t.equal((await planPolicy(handle, base())).empty, true, 'and the owner holds the base document again');

  // Without the bad rule it goes through.
  const good = big();
  await applyPolicy(handle, good);
  t.equal((await planPolicy(handle, good)).empty, true);
  t.match(ns.ipJson('rule', 'show', 'priority', '2050'), [{ fwmark: '0x5' }], 'the foreign rule is still there');
  const sameDestination = ns.ipJson<{ protocol?: string; metric?: number }[]>('route', 'show', 'table', '100', '10.0.50.0/24');
  t.match(sameDestination.filter((r) => r.protocol === undefined), [{ dev: 'v2', metric: 7 }], 'the foreign route too, beside the owner\'s');
});

t.test('a refusal after the nf_tables transaction committed undoes it too', async (t) => {
  const { ns, handle } = await policyNetns(t);
  await applyPolicy(handle, base());
  const before = state(ns);
  const doc = big();
  doc.sysctls = { 'net.ipv4.ip_forward': 1, 'net.ipv4.ip_local_port_range': '50000 40000' }; // the kernel refuses min > max
  const error = (await applyPolicy(handle, doc).catch((e: unknown) => e)) as PolicyApplyError;
  t.type(error, PolicyApplyError);
  t.match(error, { code: 'EINVAL', operation: 'setSysctl', rolledBack: true, change: { key: 'net.ipv4.ip_local_port_range' } });
  t.equal(error.index, error.change === undefined ? -1 : (await planPolicy(handle, doc)).changes.length - 1, 'the last change');
  t.same(state(ns), before);
});

t.test('a route whose slot another tool holds fails with EEXIST; nothing of the apply stays', async (t) => {
  const { ns, handle } = await policyNetns(t);
  await applyPolicy(handle, base());
  ns.ip('route', 'add', '10.4.100.0/24', 'dev', 'v2', 'table', '100'); // the slot of a route the next document adds
  const before = state(ns);
  const error = (await applyPolicy(handle, big()).catch((e: unknown) => e)) as PolicyApplyError;
  t.match(error, { name: 'PolicyApplyError', code: 'EEXIST', operation: 'addRoute', rolledBack: true, change: { route: { dst: '10.4.100.0/24' } } });
  t.same(state(ns), before);
});

t.test('an abort midway undoes what was applied; a timeout too', async (t) => {
  const { ns, handle } = await policyNetns(t);
  await applyPolicy(handle, base());
  const before = state(ns);
  const controller = new AbortController();
  // Abort the moment the first route add goes to the kernel: that bulk call finishes, the
  // rest is not sent, and the adds are undone.
  const sent = countMessages(handle);
  const transport = handle.connection(NETLINK_ROUTE).socket as Transport;
  const send = transport.send.bind(transport);
  transport.send = (data: Uint8Array) => {
    send(data);
    if (sent.changes > 0) controller.abort(new Error('stop'));
  };
  const sendQueued = transport.sendQueued!.bind(transport);
  transport.sendQueued = (data: Buffer, sentinelSeq: number) => {
    sendQueued(data, sentinelSeq);
    if (sent.changes > 0) controller.abort(new Error('stop'));
  };
  await t.rejects(applyPolicy(handle, big(), { signal: controller.signal }), { message: 'stop' });
  t.ok(sent.changeTypes.includes(24) && sent.changeTypes.includes(25), 'routes were added (RTM_NEWROUTE), then deleted (RTM_DELROUTE)');
  t.notOk(sent.changeTypes.includes(32), 'no rule was added');
  t.same(state(ns), before);
  await t.rejects(applyPolicy(handle, big(), { signal: AbortSignal.abort() }), { name: 'AbortError' }, 'aborted before: nothing is read');
  await t.rejects(applyPolicy(handle, big(), { timeoutMs: 1 }), { name: 'TimeoutError' });
  t.same(state(ns), before);
});
