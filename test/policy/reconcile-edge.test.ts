/**
 * Review of the policy layer (src/policy/): each test was a bug found in review, now fixed (its
 * note says what was wrong). Everything runs in namespaces made by policyNetns (makeNetns), and is witnessed with
 * `ip -j`, `nft -j` and `sysctl -n` inside them.
 */
import t from 'tap';
import { applyPolicy, planPolicy, PolicyApplyError, PolicyConflictError, type PolicyDocument } from '../../src/index.js';
import type { TestNetns } from '../helpers/netns.js';
import { policyNetns } from './helpers.js';

/** A step the kernel refuses after everything else (min > max), as rollback.test.ts uses it. */
const FAILING_SYSCTL = { 'net.ipv4.ip_local_port_range': '50000 40000' };

/** What a plan would do, one line per change. */
const describe = (changes: Awaited<ReturnType<typeof planPolicy>>['changes']) => changes.map((c) => `${c.action} ${c.object}`);

interface IpRoute {
  dst: string;
  from?: string;
  dev?: string;
  metric?: number;
  protocol?: string;
}

t.test('an IPv6 route whose dst or from is not in canonical form is found again: a second apply is a no-op', async (t) => {
  // Found in review and fixed: the kernel masks IPv6 route prefixes (ipv6_addr_prefix in
  // ip6_route_info_create), but the plan compared the document's unmasked bytes, planned an
  // add (EEXIST) on every later apply. checkDocument now masks them (document.ts, maskedPrefixes).
  for (const [name, route] of [
    ['dst', { dst: '2001:db8:1::5/48', gateway: '2001:db8::2', dev: 'v0', table: 100 }],
    ['from', { dst: '2001:db8:1::/48', from: '2001:db8:2::7/64', gateway: '2001:db8::2', dev: 'v0', table: 100 }],
  ] as const) {
    const { ns, handle } = await policyNetns(t);
    const document: PolicyDocument = { routes: [route] };
    await applyPolicy(handle, document);
    const held = ns.ipJson<IpRoute[]>('-6', 'route', 'show', 'table', '100');
    t.match(held, [{ dst: '2001:db8:1::/48', protocol: '201' }], `${name}: ip -6 shows the one route, its prefixes masked by the kernel`);
    t.equal(held.length, 1);
    t.same(describe((await planPolicy(handle, document)).changes), [], `${name}: the kernel holds the document: nothing to change`);
    const again = await applyPolicy(handle, document).catch((e: unknown) => e);
    t.notOk(again instanceof Error, `${name}: applied again, no error (got ${again instanceof Error ? again.message : 'none'})`);
  }
});

t.test('an IPv6 route with metric 0 is found again as the metric 1024 the kernel gives it', async (t) => {
  // Found in review and fixed: the kernel reads an IPv6 metric of 0 as none and stores 1024;
  // effectiveMetric (compare.ts) only mapped an absent metric, so every later apply failed with EEXIST.
  const { ns, handle } = await policyNetns(t);
  const document: PolicyDocument = { routes: [{ dst: '2001:db8:2::/48', dev: 'v0', table: 100, metric: 0 }] };
  await applyPolicy(handle, document);
  t.match(ns.ipJson<IpRoute[]>('-6', 'route', 'show', 'table', '100'), [{ dst: '2001:db8:2::/48', metric: 1024, protocol: '201' }], 'ip -6: the kernel made it metric 1024');
  t.same(describe((await planPolicy(handle, document)).changes), [], 'nothing to change');
  const again = await applyPolicy(handle, document).catch((e: unknown) => e);
  t.notOk(again instanceof Error, `applied again, no error (got ${again instanceof Error ? again.message : 'none'})`);
});

t.test('a device named by its altname matches the routes and nexthop object on it: a second apply sends nothing', async (t) => {
  // Found in review and fixed: the document's 'uplink0' was compared with the listed 'v0', so
  // every apply replaced them. planPolicy now names every device of the document by its link's
  // name (plan.ts, linkNames and withLinkNames: the dump, then a lookup of names it lacks).
  const { ns, handle } = await policyNetns(t);
  ns.ip('link', 'property', 'add', 'dev', 'v0', 'altname', 'uplink0');
  t.match(ns.ipJson('link', 'show', 'uplink0'), [{ ifname: 'v0', altnames: ['uplink0'] }], 'ip: uplink0 is v0');
  const document: PolicyDocument = {
    nexthops: [{ id: 3, gateway: '192.0.2.2', dev: 'uplink0' }],
    routes: [
      { dst: '10.1.0.0/16', dev: 'uplink0', table: 100 },
      { dst: '10.2.0.0/16', nexthops: [{ gateway: '192.0.2.2', dev: 'uplink0' }, { gateway: '198.51.100.2', dev: 'v2' }], table: 100 },
    ],
  };
  await applyPolicy(handle, document);
  t.match(ns.ipJson('route', 'show', 'table', '100'), [{ dst: '10.1.0.0/16', dev: 'v0' }, { dst: '10.2.0.0/16', nexthops: [{ dev: 'v0' }, { dev: 'v2' }] }], 'ip: the routes are there, on v0');
  t.match(ns.ipJson('nexthop', 'show', 'id', '3'), [{ id: 3, gateway: '192.0.2.2', dev: 'v0' }], 'ip: the object is there, on v0');
  t.same(describe((await planPolicy(handle, document)).changes), [], 'the kernel holds the document: nothing to change');
  t.equal((await applyPolicy(handle, document)).changed, false, 'applied again, nothing is sent');
});

t.test('an address on a device named by its altname is applied, and found again on the link\'s name', async (t) => {
  // Found in review and fixed: planAddresses checked the device against link names only
  // ("no such interface"); it now takes altnames too, resolved to the link's name before the
  // address's identity is made (plan.ts, withLinkNames).
  const { ns, handle } = await policyNetns(t);
  ns.ip('link', 'property', 'add', 'dev', 'v0', 'altname', 'uplink0');
  const document: PolicyDocument = { addresses: [{ address: '203.0.113.1/24', dev: 'uplink0' }] };
  const result = await applyPolicy(handle, document).catch((e: unknown) => e);
  t.notOk(result instanceof Error, `applied (got ${result instanceof Error ? result.message : 'no error'})`);
  const [v0] = ns.ipJson<{ addr_info: { local: string; prefixlen: number; protocol?: string }[] }[]>('addr', 'show', 'dev', 'v0');
  t.ok(v0!.addr_info.some((a) => a.local === '203.0.113.1' && a.prefixlen === 24), 'ip: v0 holds 203.0.113.1/24');
  if (!(result instanceof Error)) t.same(describe((await planPolicy(handle, document)).changes), [], 'and then nothing to change');
});

t.test('a multicast address with autojoin is applied with it and found again', async (t) => {
  // The address API learnt autojoin in the same review (links-addresses-edge.test.ts); the plan
  // compares it as it compares the other flags.
  const { ns, handle } = await policyNetns(t);
  const document: PolicyDocument = { addresses: [{ address: '239.1.2.3/32', dev: 'v0', autojoin: true }] };
  await applyPolicy(handle, document);
  const [v0] = ns.ipJson<{ addr_info: { local: string; autojoin?: boolean }[] }[]>('addr', 'show', 'dev', 'v0');
  t.ok(v0!.addr_info.some((a) => a.local === '239.1.2.3' && a.autojoin === true), 'ip: v0 holds 239.1.2.3 with autojoin');
  t.same(describe((await planPolicy(handle, document)).changes), [], 'and then nothing to change');
  const without: PolicyDocument = { addresses: [{ address: '239.1.2.3/32', dev: 'v0' }] };
  await t.rejects(planPolicy(handle, without), { field: 'addresses[0]', message: /with autojoin, which the kernel cannot change in place/ }, 'without autojoin, the plan names the difference it cannot make in place');
});

/** `nft -j list ruleset` objects without metainfo and handles, sorted, to compare contents. */
function withoutHandles(listing: { nftables: Record<string, unknown>[] }): string[] {
  return listing.nftables
    .filter((o) => !('metainfo' in o))
    .map((o) => {
      const [kind, body] = Object.entries(o)[0] as [string, Record<string, unknown>];
      const { handle: _handle, ...rest } = body;
      return JSON.stringify({ [kind]: rest });
    })
    .sort();
}

const vmapTable = (port: number) =>
  [
    { table: { family: 'inet', name: 'agent' } },
    { chain: { family: 'inet', table: 'agent', name: 'pre', type: 'filter', hook: 'prerouting', prio: 0, policy: 'accept' } },
    { chain: { family: 'inet', table: 'agent', name: 'marked' } },
    { rule: { family: 'inet', table: 'agent', chain: 'marked', expr: [{ mangle: { key: { meta: { key: 'mark' } }, value: 7 } }] } },
    { map: { family: 'inet', table: 'agent', name: 'ports', type: 'inet_service', map: 'verdict', elem: [[port, { jump: { target: 'marked' } }]] } },
    { rule: { family: 'inet', table: 'agent', chain: 'pre', expr: [{ vmap: { key: { payload: { protocol: 'tcp', field: 'dport' } }, data: '@ports' } }] } },
  ] as PolicyDocument['nftables'];

t.test('rolling back a replaced nf_tables table with a verdict map that jumps to a chain restores it', async (t) => {
  // Found in review and fixed: recreateCommands (nft-tables.ts) re-added the old table in
  // listing order (sets before chains), so the map's `jump marked` came before chain `marked`,
  // the kernel refused the undo transaction, and the failed document's table stayed. It now
  // recreates the table, chains, counters and quotas, sets, maps, elements, then rules.
  const { ns, handle } = await policyNetns(t);
  await applyPolicy(handle, { nftables: vmapTable(80) });
  const before = ns.nftJson();
  t.match(ns.exec('nft', ['list', 'map', 'inet', 'agent', 'ports']), /80 : jump marked/);
  const error = await applyPolicy(handle, { nftables: vmapTable(81), sysctls: FAILING_SYSCTL }).catch((e: unknown) => e);
  t.type(error, PolicyApplyError);
  t.match(error, { operation: 'setSysctl' });
  t.same((error as PolicyApplyError).rollbackErrors.map((e) => e.message), [], 'the undo succeeded');
  t.match(ns.exec('nft', ['list', 'map', 'inet', 'agent', 'ports']), /80 : jump marked/, 'nft: the map holds the old element again');
  t.same(withoutHandles(ns.nftJson()), withoutHandles(before), 'nft -j list ruleset: as before (handles aside: a recreated table gets new ones)');
});

t.test('deleting an owner\'s nexthop object that another tool\'s route or group uses is refused before any change', async (t) => {
  // Found in review and fixed: planNexthops planned the delete without looking at who used the
  // object, and the kernel deleted the foreign route with it and took it out of the foreign
  // group. planPolicy now finds the routes (every table) and groups that use an object to be
  // deleted and rejects with a PolicyConflictError when any is another owner's
  // (plan.ts, checkNexthopDeletes).
  const { ns, handle } = await policyNetns(t);
  await applyPolicy(handle, { nexthops: [{ id: 5, gateway: '192.0.2.2', dev: 'v0' }] });
  ns.ip('route', 'add', '10.50.0.0/16', 'nhid', '5', 'table', '300');
  ns.ip('nexthop', 'add', 'id', '6', 'via', '198.51.100.2', 'dev', 'v2');
  ns.ip('nexthop', 'add', 'id', '7', 'group', '5/6');
  const routesBefore = ns.ipJson('route', 'show', 'table', '300');
  const groupBefore = ns.ipJson('nexthop', 'show', 'id', '7');
  t.match(routesBefore, [{ dst: '10.50.0.0/16', nhid: 5 }]);
  const error = await applyPolicy(handle, {}).catch((e: unknown) => e);
  t.type(error, PolicyConflictError);
  t.match(error, { field: 'nexthops', message: /nexthop 5 .*route 10\.50\.0\.0\/16 table 300.*group 7|group 7.*route 10\.50\.0\.0\/16/ });
  t.match(ns.ipJson('nexthop', 'show', 'id', '5'), [{ id: 5 }], 'ip nexthop: the owner\'s object stays (nothing was changed)');
  t.same(ns.ipJson('route', 'show', 'table', '300'), routesBefore, 'ip route show table 300: the foreign route is still there');
  t.same(ns.ipJson('nexthop', 'show', 'id', '7'), groupBefore, 'ip nexthop show id 7: the foreign group still holds 5');
});

t.test('a rollback that re-adds a deleted rule behind a foreign rule of the same priority reports rolledBack: false', async (t) => {
  // Found in review and fixed: the kernel puts a re-added rule after every rule of its
  // priority, so `ip route get` took table 200 after the undo, yet the error said rolledBack:
  // true. The rule deletes keep their place in the plan (they can fail midway themselves, so an
  // undo re-adding them is needed anyway); the undo now compares with the rules listed before
  // the deletes and reports the order it cannot restore (apply.ts, reorderedRules).
  const { ns, handle } = await policyNetns(t);
  ns.ip('route', 'add', '10.60.0.0/16', 'dev', 'v0', 'table', '100');
  ns.ip('route', 'add', '10.60.0.0/16', 'dev', 'v2', 'table', '200');
  await applyPolicy(handle, { rules: [{ from: '192.0.2.0/24', priority: 1000, table: 100 }] });
  ns.ip('rule', 'add', 'from', '192.0.2.0/24', 'priority', '1000', 'table', '200');
  const rulesBefore = ns.ipJson('rule', 'show');
  const getBefore = ns.ipJson<{ dev: string }[]>('route', 'get', '10.60.0.1', 'from', '192.0.2.1');
  t.match(getBefore, [{ dev: 'v0' }], 'ip route get: table 100 (the owner\'s rule) wins');
  const error = await applyPolicy(handle, { rules: [], sysctls: FAILING_SYSCTL }).catch((e: unknown) => e);
  t.match(error, { name: 'PolicyApplyError', operation: 'setSysctl' });
  if ((error as PolicyApplyError).rolledBack) {
    t.same(ns.ipJson('rule', 'show'), rulesBefore, 'ip -j rule show: as before (rolledBack says so)');
    t.same(ns.ipJson('route', 'get', '10.60.0.1', 'from', '192.0.2.1'), getBefore, 'ip route get: the same path as before');
  } else {
    t.match((error as PolicyApplyError).rollbackErrors.map((e) => e.message), [/comes after 1 rule\(s\) of priority 1000/], 'the error says why');
  }
  t.same(ns.ipJson<{ priority: number }[]>('rule', 'show').filter((r) => r.priority === 1000).length, 2, 'ip rule: the deleted rule is back');
});

t.test('setting net.ipv4.ip_forward keeps the per-device forwarding the document also sets; a rollback restores every device', async (t) => {
  // Found in review and fixed: writing ip_forward makes the kernel set every device's forwarding
  // (inet_forward_change), overwriting the document's v0 value that the plan had found already
  // there. The plan now writes the global switches first and plans the document keys they
  // overwrite (sysctls.ts, planSysctls); apply rewrites any other document key a write changed,
  // and an undo puts back what a switch overwrote on every device (cascadeSnapshot).
  const { ns, handle } = await policyNetns(t);
  ns.exec('sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
  t.equal(ns.exec('sysctl', ['-n', 'net.ipv4.conf.v0.forwarding']).trim(), '1');
  const document: PolicyDocument = { sysctls: { 'net.ipv4.ip_forward': 0, 'net.ipv4.conf.v0.forwarding': 1 } };
  await applyPolicy(handle, document);
  t.equal(ns.exec('sysctl', ['-n', 'net.ipv4.ip_forward']).trim(), '0', 'sysctl -n: ip_forward 0');
  t.equal(ns.exec('sysctl', ['-n', 'net.ipv4.conf.v0.forwarding']).trim(), '1', 'sysctl -n: v0 forwarding 1, as the document says');
  t.same(describe((await planPolicy(handle, document)).changes), [], 'nothing left to change');

  // Devices the document does not name (v2 off while ip_forward is on) are back after a rollback.
  ns.exec('sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
  ns.exec('sysctl', ['-qw', 'net.ipv4.conf.v2.forwarding=0']);
  const read = () => ['ip_forward', 'conf.v0.forwarding', 'conf.v2.forwarding', 'conf.default.forwarding', 'conf.all.accept_redirects'].map((k) => ns.exec('sysctl', ['-n', `net.ipv4.${k}`]).trim());
  const before = read();
  const error = await applyPolicy(handle, { sysctls: { ...document.sysctls, ...FAILING_SYSCTL } }).catch((e: unknown) => e);
  t.match(error, { name: 'PolicyApplyError', operation: 'setSysctl', rolledBack: true });
  t.same(read(), before, 'sysctl -n: ip_forward, every device\'s forwarding and accept_redirects as before');
});

t.test('a rolled-back net.ipv6.conf.DEV.disable_ipv6 that cost the device its IPv6 addresses reports rolledBack: false', async (t) => {
  // Found in review and fixed: writing disable_ipv6 1 makes the kernel delete the device's IPv6
  // addresses and routes (addrconf_ifdown), and writing 0 back restores only the link-local
  // address, yet the error said rolledBack: true. The undo still writes the value back, then
  // reports what stays lost (sysctls.ts, irreversibleWrite). Refusing the value up front would
  // forbid turning IPv6 off at all.
  const { ns, handle } = await policyNetns(t);
  const state = (n: TestNetns) => ({
    addresses: n.ipJson<{ addr_info: { local: string; prefixlen: number }[] }[]>('-6', 'addr', 'show', 'dev', 'v0')[0]!.addr_info.map((a) => `${a.local}/${a.prefixlen}`).sort(),
    routes: n.ipJson<{ dst: string; dev: string }[]>('-6', 'route', 'show', 'dev', 'v0').map((r) => r.dst).sort(),
  });
  const before = state(ns);
  t.ok(before.addresses.includes('2001:db8::1/64'));
  const error = await applyPolicy(handle, { sysctls: { 'net.ipv6.conf.v0.disable_ipv6': 1, ...FAILING_SYSCTL } }).catch((e: unknown) => e);
  t.match(error, { name: 'PolicyApplyError', operation: 'setSysctl' });
  t.equal(ns.exec('sysctl', ['-n', 'net.ipv6.conf.v0.disable_ipv6']).trim(), '0', 'sysctl -n: written back');
  if ((error as PolicyApplyError).rolledBack) t.same(state(ns), before, 'ip -6 addr / route on v0: as before (rolledBack says so)');
  else t.match((error as PolicyApplyError).rollbackErrors.map((e) => e.message), [/disable_ipv6 .*delete v0's IPv6 addresses/], 'the error says what stays lost');
});

t.test('a sysctl value the kernel prints differently ("02", "0x10") is compared as the kernel prints it', async (t) => {
  // Found in review and fixed: checkSysctls only normalized blanks, so "02" never equalled the
  // kernel's "2" and was written on every apply. Integer values are now read as the kernel
  // reads them (base 0: "010" is 8, "0x10" 16) and compared in decimal (document.ts, kernelIntegers).
  const { ns, handle } = await policyNetns(t);
  const document: PolicyDocument = { sysctls: { 'net.ipv4.conf.all.rp_filter': '02' } };
  await applyPolicy(handle, document);
  t.equal(ns.exec('sysctl', ['-n', 'net.ipv4.conf.all.rp_filter']).trim(), '2', 'sysctl -n: 2');
  t.same(describe((await planPolicy(handle, document)).changes), [], 'nothing to change');
  const spelled: PolicyDocument = { sysctls: { 'net.ipv4.tcp_keepalive_time': '0x10', 'net.ipv4.ip_local_port_range': '040000\t50000' } };
  await applyPolicy(handle, spelled);
  t.equal(ns.exec('sysctl', ['-n', 'net.ipv4.tcp_keepalive_time']).trim(), '16', 'sysctl -n: 0x10 is 16');
  t.equal(ns.exec('sysctl', ['-n', 'net.ipv4.ip_local_port_range']).trim(), '16384\t50000', 'sysctl -n: octal 040000 is 16384');
  t.same(describe((await planPolicy(handle, spelled)).changes), [], 'nothing to change');
});
