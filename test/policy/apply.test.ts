/**
 * plan/apply against the kernel: a document of rules, routes (IPv4, IPv6, multipath, metrics,
 * blackhole, a table above 255), an nf_tables table and sysctls is applied, seen by `ip` and
 * `nft`; applied again it sends no changing message (counted at the sockets, and `ip monitor`
 * and the nf_tables generation see nothing); changes plan minimal adds, deletes and replaces;
 * foreign rules, routes and tables made with `ip` and `nft` are never touched.
 */
import { spawn } from 'node:child_process';
import t from 'tap';
import { applyPolicy, planPolicy, PolicyConflictError, ValidationError, type PolicyDocument } from '../../src/index.js';
import { countMessages, policyNetns, toolState } from './helpers.js';

const mangle = (family: 'ip' | 'inet', table: string) => [
  { table: { family, name: table } },
  { chain: { family, table, name: 'out', type: 'route', hook: 'output', prio: -150, policy: 'accept' } },
  { rule: { family, table, chain: 'out', expr: [{ match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: 465 } }, { mangle: { key: { meta: { key: 'mark' } }, value: 65 } }] } },
  { set: { family, table, name: 'hosts', type: 'ipv4_addr', elem: ['192.0.2.7', '192.0.2.8'] } },
];

function document(): PolicyDocument {
  return {
    rules: [
      { fwmark: 65, priority: 1000, table: 100 },
      { from: '192.0.2.0/24', priority: 1001, table: 300 },
      { family: 'inet6', from: '2001:db8::/64', priority: 1002, table: 100 },
      { uidrange: '469-469', priority: 1003, action: 'unreachable' },
    ],
    routes: [
      { dst: 'default', gateway: '192.0.2.2', table: 100 },
      { dst: '10.1.0.0/16', dev: 'v0', src: '192.0.2.1', table: 100 },
      { dst: '10.2.0.0/16', gateway: '198.51.100.2', dev: 'v2', table: 300, metric: 20, metrics: { mtu: 1400 } },
      { dst: '10.3.0.0/16', nexthops: [{ gateway: '192.0.2.2', dev: 'v0', weight: 2 }, { gateway: '198.51.100.2', dev: 'v2' }], table: 100 },
      { dst: '10.4.0.0/16', type: 'blackhole', table: 100 },
      { dst: '2001:db8:1::/48', gateway: '2001:db8::2', table: 100 },
      { dst: 'default', gateway: '2001:db8::2', dev: 'v0', table: 300, metric: 10 },
    ],
    nftables: mangle('ip', 'agent') as PolicyDocument['nftables'],
    sysctls: { 'net.ipv4.ip_forward': 1, 'net.ipv4.conf.all.src_valid_mark': true },
  };
}

t.test('a document applied is what ip and nft show; applied again it sends no change', async (t) => {
  const { ns, handle } = await policyNetns(t);
  const first = await applyPolicy(handle, document());
  t.equal(first.changed, true);
  t.same(first.plan.summary, { add: 12, replace: 0, delete: 0, set: 2 });

  const rules = ns.ipJson<{ priority: number; protocol?: string; table?: string }[]>('rule', 'show').filter((r) => r.priority >= 1000 && r.priority < 2000);
  t.same(rules.map((r) => [r.priority, r.protocol, r.table]), [[1000, '201', '100'], [1001, '201', '300'], [1003, '201', undefined]]);
  t.match(ns.ipJson('-6', 'rule', 'show'), [{}, { priority: 1002, src: '2001:db8::', srclen: 64, protocol: '201', table: '100' }, {}]);
  const routes = ns.ipJson<{ dst: string; protocol: string; table?: string }[]>('-4', 'route', 'show', 'table', 'all').filter((r) => r.protocol === '201');
  t.equal(routes.length, 5, 'five IPv4 routes of the owner');
  t.match(ns.ipJson('route', 'show', 'table', '300'), [{ dst: '10.2.0.0/16', gateway: '198.51.100.2', dev: 'v2', metric: 20, protocol: '201', metrics: [{ mtu: 1400 }] }]);
  t.match(ns.ipJson('route', 'show', 'table', '100', '10.3.0.0/16'), [{ nexthops: [{ gateway: '192.0.2.2', weight: 2 }, { gateway: '198.51.100.2', weight: 1 }] }]);
  t.equal(ns.ipJson<object[]>('-6', 'route', 'show', 'table', 'all').filter((r) => (r as { protocol: string }).protocol === '201').length, 2);
  t.match(ns.exec('nft', ['list', 'table', 'ip', 'agent']), /tcp dport 465 meta mark set 0x00000041/);
  t.equal(ns.exec('sysctl', ['-n', 'net.ipv4.ip_forward']).trim(), '1');
  t.equal(ns.exec('sysctl', ['-n', 'net.ipv4.conf.all.src_valid_mark']).trim(), '1');

  // Again: the plan is empty, and nothing but reads reaches the kernel.
  const generation = await handle.nft.generation();
  const monitor = spawn('ip', ['-n', ns.name, 'monitor', 'link', 'address', 'route', 'rule'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let monitored = '';
  monitor.stdout.on('data', (d) => (monitored += d));
  await new Promise((resolve) => setTimeout(resolve, 200));
  const sent = countMessages(handle);
  const second = await applyPolicy(handle, document());
  await new Promise((resolve) => setTimeout(resolve, 200));
  monitor.kill();
  t.equal(second.changed, false);
  t.same(second.plan.changes, []);
  t.equal(sent.changes, 0, `no changing message (sent ${sent.changeTypes.join(', ')})`);
  // Rules, routes, nexthop objects, the nf_tables tables, the sysctls' files aside; and the
  // addresses, with the links that name their devices; and a listing of the owned table, to
  // compare its content with what was created (generation twice, tables, chains, sets, rules,
  // objects, and the elements of each set).
  t.ok(sent.reads > 0 && sent.reads <= 20, `only the reads that compare (${sent.reads})`);
  t.equal(monitored, '', 'ip monitor saw no change');
  t.equal(await handle.nft.generation(), generation, 'no nf_tables transaction');
});

t.test('changes plan minimal adds, deletes and replaces; a dry run changes nothing', async (t) => {
  const { ns, handle } = await policyNetns(t);
  await applyPolicy(handle, document());
  const changed = document();
  changed.rules![0] = { fwmark: 66, priority: 1000, table: 100 }; // a changed rule: delete + add
  changed.rules!.pop(); // a rule gone
  changed.routes![0] = { dst: 'default', gateway: '192.0.2.3', table: 100 }; // same slot: replace
  changed.routes!.splice(4, 1); // blackhole gone
  changed.routes!.push({ dst: '10.9.0.0/16', dev: 'v2', table: 100 }); // new
  (changed.nftables![3] as { set: { elem: string[] } }).set.elem = ['192.0.2.9'];
  changed.sysctls = { 'net.ipv4.ip_forward': 0 };

  const before = toolState(ns);
  const dry = await applyPolicy(handle, changed, { dryRun: true });
  t.equal(dry.changed, false);
  t.same(toolState(ns), before, 'a dry run changes nothing');
  const plan = await planPolicy(handle, changed);
  t.same(
    plan.changes.map((c) => `${c.action} ${c.object}`),
    ['add route', 'replace route', 'delete rule', 'delete rule', 'add rule', 'delete route', 'replace nftTable', 'set sysctl'],
  );
  t.same(plan.changes, dry.plan.changes);
  t.match(plan.changes[1], { route: { gateway: '192.0.2.3' }, previous: { gateway: '192.0.2.2' } });

  const sent = countMessages(handle);
  await applyPolicy(handle, changed);
  // 1 route add + 1 replace + 2 rule deletes + 1 rule add + 1 route delete; the nf_tables check
  // (begin, delete table, table, chain, rule, set, elements: a dry run ends without a commit) and
  // the transaction (the same and the end); the same once more to tag the new version with the
  // digest of what the kernel lists of it (the kernel keeps a table's first comment); the
  // sysctl is written to /proc, not sent.
  t.equal(sent.changes, 6 + 7 + 8 + 8, `changing messages: ${sent.changeTypes.join(', ')}`);
  t.match(ns.ipJson('rule', 'show', 'priority', '1000'), [{ fwmark: '0x42' }]);
  t.same(ns.ipJson('rule', 'show', 'priority', '1003'), []);
  t.match(ns.ipJson('route', 'show', 'table', '100', 'default'), [{ gateway: '192.0.2.3' }]);
  t.same(ns.ipJson('route', 'show', 'table', '100', 'type', 'blackhole'), []);
  t.match(ns.exec('nft', ['list', 'set', 'ip', 'agent', 'hosts']), /elements = \{ 192\.0\.2\.9 \}/);
  t.equal(ns.exec('sysctl', ['-n', 'net.ipv4.ip_forward']).trim(), '0');
  t.equal((await planPolicy(handle, changed)).empty, true, 'and then nothing is left to do');

  // An empty document removes everything the owner holds (sysctls stay as they are).
  await applyPolicy(handle, {});
  t.same(ns.ipJson<object[]>('rule', 'show').filter((r) => (r as { protocol?: string }).protocol === '201'), []);
  t.same(ns.ipJson<object[]>('route', 'show', 'table', 'all').filter((r) => (r as { protocol?: string }).protocol === '201'), []);
  t.notMatch(ns.exec('nft', ['list', 'ruleset']), /agent/);
});

t.test('foreign rules, routes and tables are never touched', async (t) => {
  const { ns, handle } = await policyNetns(t);
  // What other tools made: some in the very tables and priorities the document uses.
  ns.ip('rule', 'add', 'fwmark', '65', 'priority', '1000', 'table', '100');
  ns.ip('rule', 'add', 'from', '192.0.2.0/24', 'priority', '999', 'table', '300', 'proto', 'static');
  ns.ip('route', 'add', '10.1.0.0/16', 'dev', 'v0', 'table', '300');
  ns.ip('route', 'add', '10.5.0.0/16', 'via', '192.0.2.2', 'table', '100', 'proto', 'bird');
  ns.ip('route', 'add', '10.6.0.0/16', 'via', '192.0.2.2', 'table', '100', 'proto', '202'); // another agent
  ns.exec('nft', ['-f', '-'], 'table ip foreign {\n chain c {\n  type filter hook input priority 0;\n }\n}\ntable inet other {\n}\n');
  const foreign = toolState(ns);

  await applyPolicy(handle, document());
  const sent = countMessages(handle);
  t.equal((await applyPolicy(handle, document())).changed, false);
  t.equal(sent.changes, 0, 'beside foreign objects too, a second apply sends no changing message');
  await applyPolicy(handle, { ...document(), rules: [], routes: [{ dst: '10.7.0.0/16', dev: 'v0', table: 100 }], nftables: [] });
  await applyPolicy(handle, {});
  t.same(toolState(ns), foreign, 'after apply, change and prune, the tools show exactly what was there before');
  t.equal(await handle.rules.flush(), 0, 'a flush on an owner handle finds nothing of its owner');
  t.equal(await handle.routes.flush({ table: 'all' }), 0);
  t.same(toolState(ns), foreign);

  // A table of the document's name that someone else holds is a conflict, found before any change.
  await t.rejects(applyPolicy(handle, { ...document(), nftables: [{ table: { family: 'ip', name: 'foreign' } }] }), PolicyConflictError);
  t.same(toolState(ns), foreign);
});

t.test('bad documents are refused before anything is read or sent, naming the field', async (t) => {
  const { handle } = await policyNetns(t);
  const sent = countMessages(handle);
  const cases: [unknown, string][] = [
    [{ rules: [{ fwmark: 65, table: 100 }] }, 'rules[0].priority'],
    [{ rules: [{ fwmark: 65, priority: 5, table: 100, protocol: 'boot' }] }, 'rules[0].protocol'],
    [{ rules: [{ fwmark: 65, priority: 5, table: 100 }, { fwmark: 65, priority: 5, table: 100 }] }, 'rules[1]'],
    [{ routes: [{ dst: '10.0.0.0/33' }] }, 'routes[0].dst'],
    [{ routes: [{ dst: '10.0.0.0/8', dev: 'v0' }, { dst: '10.0.0.0/8', dev: 'v2' }] }, 'routes[1]'],
    [{ routes: [{ dst: '10.0.0.0/8', gatewy: '192.0.2.2' }] }, 'routes[0].gatewy'],
    [{ nftables: [{ chain: { family: 'ip', table: 'x', name: 'c' } }] }, 'nftables[0].chain.table'],
    [{ nftables: [{ table: { family: 'ipx', name: 'x' } }] }, 'nftables[0].table.family'],
    [{ nftables: [{ table: { family: 'ip', name: 'x', handle: 3 } }] }, 'nftables[0].table.handle'],
    [{ sysctls: { 'kernel.hostname': 'x' } }, 'sysctls["kernel.hostname"]'],
    [{ sysctls: { 'net.ipv4.ip_forward': 1.5 } }, 'sysctls["net.ipv4.ip_forward"]'],
    [{ route: [] }, 'route'],
  ];
  for (const [doc, field] of cases) {
    await t.rejects(applyPolicy(handle, doc as PolicyDocument), { name: 'ValidationError', field }, field);
  }
  await t.rejects(applyPolicy(handle, {}, { owner: 3 }), ValidationError, 'owner 3 (boot) is everyone else\'s');
  t.equal(sent.reads + sent.changes, 0, 'nothing was sent');

  // nftables JSON is checked by the nf_tables compiler (after the reads that plan): its errors
  // name the document's field, and nothing changes.
  const bad = document();
  (bad.nftables![2] as { rule: { expr: object[] } }).rule.expr[1] = { mangle: { key: { meta: { key: 'mark' } }, value: 'sixty-five' } };
  await t.rejects(applyPolicy(handle, bad), { name: 'ValidationError', field: /^nftables\[2\]\.rule\.expr\[1\]/ });
  t.equal(sent.changes, 0, 'no change was sent');
});

t.test('source-specific, realm and rto_min routes apply once, then match; a source-specific one leaves alone', async (t) => {
  const { ns, handle } = await policyNetns(t);
  const plain = { dst: '2001:db8:5::/48', gateway: '2001:db8::5', dev: 'v0', table: 9 };
  const fromSource = { ...plain, from: '2001:db8:1::/64' };
  const realm = { dst: '10.12.0.0/16', gateway: '192.0.2.5', dev: 'v0', fromRealm: 3, realm: 5, table: 9 };
  const rtoMin = { dst: '10.13.0.0/16', dev: 'v0', metrics: { rtoMin: 50 }, table: 9 };
  const document: PolicyDocument = { routes: [plain, fromSource, realm, rtoMin] };
  t.equal((await applyPolicy(handle, document)).plan.changes.length, 4, 'four routes added');
  t.same(
    ns.ipJson<{ dst: string; from?: string }[]>('-6', 'route', 'show', 'table', '9').map((r) => `${r.dst} from ${r.from ?? 'any'}`),
    ['2001:db8:5::/48 from 2001:db8:1::/64', '2001:db8:5::/48 from any'],
    'ip -6 shows the source-specific route beside the plain one',
  );
  const v4 = ns.ip('-d', 'route', 'show', 'table', '9');
  t.match(v4, /10\.12\.0\.0\/16 via 192\.0\.2\.5 dev v0 .*realms 3\/5/, 'ip -d shows the realms');
  t.match(v4, /10\.13\.0\.0\/16 dev v0 .*rto_min lock 50ms/, 'and rto_min locked');
  t.same((await applyPolicy(handle, document)).plan.changes, [], 'applied again: nothing to change');

  const { plan } = await applyPolicy(handle, { routes: [plain, realm, rtoMin] });
  t.same(plan.changes.map((c) => `${c.action} ${c.object === 'route' ? JSON.stringify({ dst: c.route.dst, from: c.route.from }) : ''}`), ['delete {"dst":"2001:db8:5::/48","from":"2001:db8:1::/64"}'], 'left out, the source-specific route alone is deleted');
  t.same(
    ns.ipJson<{ dst: string; from?: string }[]>('-6', 'route', 'show', 'table', '9').map((r) => `${r.dst} from ${r.from ?? 'any'}`),
    ['2001:db8:5::/48 from any'],
    'and ip -6 shows the plain one still',
  );
});
