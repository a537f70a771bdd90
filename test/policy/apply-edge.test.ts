/**
 * Edge cases of applyPolicy (src/policy/apply.ts): a failure of the sysctl safety net itself is
 * a PolicyApplyError like every other failure; an owned nf_tables table changed behind the
 * policy's back with `nft` is found by plan and restored by apply; the links are dumped once
 * for all the forwarding switches an apply snapshots. Each test runs in namespaces made by
 * policyNetns and is witnessed with `ip -j`, `nft -j` and `sysctl -n` inside them.
 */
import t from 'tap';
import { applyPolicy, planPolicy, PolicyApplyError, type PolicyDocument } from '../../src/index.js';
import { NETLINK_ROUTE } from '../../src/netlink/constants.js';
import { RTM_GETLINK } from '../../src/rtnl/constants.js';
import type { Transport } from '../../src/netlink/transport.js';
import type { TestNetns } from '../helpers/netns.js';
import { countMessages, policyNetns } from './helpers.js';

/** Runs `action` once, right after the handle sends its first message that changes the kernel over rtnetlink. */
function afterFirstRtnetlinkChange(handle: Awaited<ReturnType<typeof policyNetns>>['handle'], action: () => void): void {
  const sent = countMessages(handle);
  let done = false;
  const transport = handle.connection(NETLINK_ROUTE).socket as Transport;
  const fire = () => {
    if (done || sent.changes === 0) return;
    done = true;
    action();
  };
  const send = transport.send.bind(transport);
  transport.send = (data: Uint8Array) => {
    send(data);
    fire();
  };
  const sendQueued = transport.sendQueued!.bind(transport);
  transport.sendQueued = (data: Buffer, sentinelSeq: number) => {
    sendQueued(data, sentinelSeq);
    fire();
  };
}

const sysctl = (ns: TestNetns, key: string) => ns.exec('sysctl', ['-n', key]).trim();

t.test('a sysctl write that fails while apply restores a key a switch overwrote is a PolicyApplyError, and everything is undone', async (t) => {
  // Was: apply rewrites a document key that changed after planning (a write overwrote it)
  // outside the plan's changes, and an error there (a SysctlError) was rethrown as it was,
  // not as the PolicyApplyError of every other failure. Here the kernel itself changes the
  // key: another tool lowers v2's MTU during the apply, the kernel lowers
  // net.ipv6.conf.v2.mtu with it, and writing the document's 1500 back is refused (EINVAL:
  // above the device's MTU).
  const { ns, handle } = await policyNetns(t);
  t.equal(sysctl(ns, 'net.ipv6.conf.v2.mtu'), '1500');
  const keys = ['net.ipv6.conf.all.forwarding', 'net.ipv6.conf.default.forwarding', 'net.ipv6.conf.v0.forwarding', 'net.ipv6.conf.v2.forwarding'];
  const before = keys.map((k) => sysctl(ns, k));
  t.same(before, ['0', '0', '0', '0']);
  const rulesBefore = ns.ipJson('rule', 'show');
  const document: PolicyDocument = {
    rules: [{ fwmark: 7, priority: 1000, table: 100 }],
    sysctls: { 'net.ipv6.conf.all.forwarding': 1, 'net.ipv6.conf.v2.mtu': 1500 },
  };
  t.match((await planPolicy(handle, document)).changes, [{ object: 'rule', action: 'add' }, { object: 'sysctl', key: 'net.ipv6.conf.all.forwarding' }], 'the plan: the rule and the switch (v2.mtu already holds 1500)');
  afterFirstRtnetlinkChange(handle, () => ns.ip('link', 'set', 'v2', 'mtu', '1300'));
  const error = await applyPolicy(handle, document).catch((e: unknown) => e);
  t.ok(error instanceof PolicyApplyError, `a PolicyApplyError (got ${(error as Error).name}: ${(error as Error).message})`);
  t.match(error, {
    name: 'PolicyApplyError',
    operation: 'setSysctl',
    code: 'EINVAL',
    index: undefined,
    step: 'sysctls overwritten by a write',
    change: { object: 'sysctl', key: 'net.ipv6.conf.v2.mtu', value: '1500', previous: '1300' },
    rolledBack: true,
    rollbackErrors: [],
    undone: ['sysctls', 'add rules'],
    cause: { name: 'SysctlError', code: 'EINVAL' },
  });
  t.equal(sysctl(ns, 'net.ipv6.conf.v2.mtu'), '1300', 'sysctl -n: the refused write changed nothing');
  t.same(keys.map((k) => sysctl(ns, k)), before, 'sysctl -n: the switch and every forwarding it overwrote are back to 0');
  t.same(ns.ipJson('rule', 'show'), rulesBefore, 'ip -j rule show: the rule added before is gone');
});

const table = (elements: string[]) =>
  [
    { table: { family: 'inet', name: 'agent', comment: 'steering' } },
    { chain: { family: 'inet', table: 'agent', name: 'pre', type: 'filter', hook: 'prerouting', prio: -150, policy: 'accept' } },
    { chain: { family: 'inet', table: 'agent', name: 'out', type: 'route', hook: 'output', prio: -150, policy: 'accept' } },
    { set: { family: 'inet', table: 'agent', name: 'hosts', type: 'ipv4_addr', flags: ['interval'], elem: elements } },
    { rule: { family: 'inet', table: 'agent', chain: 'pre', expr: [{ match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: '@hosts' } }, { mangle: { key: { meta: { key: 'mark' } }, value: 7 } }] } },
    { rule: { family: 'inet', table: 'agent', chain: 'pre', expr: [{ counter: null }] } },
    { rule: { family: 'inet', table: 'agent', chain: 'out', expr: [{ match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: 465 } }, { mangle: { key: { meta: { key: 'mark' } }, value: 65 } }] } },
  ] as PolicyDocument['nftables'];

/**
 * `nft -j list table inet agent` without handles (a replaced table gets a new table handle) and
 * counter values (packets on the links, IPv6 neighbour discovery among them, keep counting).
 */
function agentTable(ns: TestNetns): unknown[] {
  const text = ns.exec('nft', ['-j', 'list', 'table', 'inet', 'agent']);
  const listing = JSON.parse(text, (key, value: unknown) => (key === 'packets' || key === 'bytes' ? 0 : value)) as { nftables: Record<string, Record<string, unknown>>[] };
  return listing.nftables
    .filter((o) => !('metainfo' in o))
    .map((o) => {
      const [kind, body] = Object.entries(o)[0]!;
      const { handle: _handle, ...rest } = body;
      return { [kind]: rest };
    });
}

t.test('an owned table changed with nft is found by plan and restored by apply; traffic through its counters is no change', async (t) => {
  // Was: plan compared only the digest in the table's tag, so a rule added or deleted with
  // `nft` went unnoticed and apply said it was in sync. The tag now also records a digest of
  // what the kernel listed right after creating the table, and plan compares the live table
  // with it (nft-tables.ts contentDigest, plan.ts tableDrift).
  const { ns, handle } = await policyNetns(t);
  const document: PolicyDocument = { nftables: table(['192.0.2.0/28', '192.0.2.100']) };
  await applyPolicy(handle, document);
  const applied = agentTable(ns);
  t.match(applied, [{ table: { name: 'agent' } }, { set: { name: 'hosts' } }, { chain: { name: 'pre' } }, { chain: { name: 'out' } }, { rule: {} }, { rule: {} }, { rule: {} }]);
  t.same((await planPolicy(handle, document)).changes, [], 'right after apply: nothing to change');

  // Packets through the counter (loopback traffic passes prerouting) change state, not the table.
  ns.exec('ping', ['-c', '2', '-i', '0.2', '-W', '1', '127.0.0.1']);
  t.match(ns.exec('nft', ['list', 'chain', 'inet', 'agent', 'pre']), /counter packets [1-9]/, 'nft: the counter counted');
  t.same((await planPolicy(handle, document)).changes, [], 'counted packets: nothing to change');

  const ruleHandle = (chain: string, index: number) =>
    String((JSON.parse(ns.exec('nft', ['-j', 'list', 'chain', 'inet', 'agent', chain])) as { nftables: { rule?: { handle: number } }[] }).nftables.filter((o) => o.rule)[index]!.rule!.handle);
  const drifts: [string, () => void][] = [
    ['a rule added', () => ns.exec('nft', ['add', 'rule', 'inet', 'agent', 'pre', 'ip', 'saddr', '10.9.9.9', 'drop'])],
    ['a rule deleted', () => ns.exec('nft', ['delete', 'rule', 'inet', 'agent', 'out', 'handle', ruleHandle('out', 0)])],
    ['a rule replaced', () => ns.exec('nft', ['replace', 'rule', 'inet', 'agent', 'pre', 'handle', ruleHandle('pre', 0), 'ip', 'saddr', '@hosts', 'meta', 'mark', 'set', '8'])],
    ['an element added', () => ns.exec('nft', ['add', 'element', 'inet', 'agent', 'hosts', '{ 192.0.2.77 }'])],
    ['a chain added', () => ns.exec('nft', ['add', 'chain', 'inet', 'agent', 'extra'])],
  ];
  for (const [what, change] of drifts) {
    change();
    t.notSame(agentTable(ns), applied, `${what}: nft -j shows the change`);
    const plan = await planPolicy(handle, document);
    t.match(plan.changes, [{ object: 'nftTable', action: 'replace', family: 'inet', name: 'agent', drift: /content changed since routemark created it/ }], `${what}: plan shows the drift`);
    t.equal(plan.changes.length, 1, `${what}: and nothing else`);
    const { changed } = await applyPolicy(handle, document);
    t.ok(changed, `${what}: apply replaced the table`);
    t.same(agentTable(ns), applied, `${what}: nft -j list table: as after the first apply (handles aside)`);
    const sent = countMessages(handle);
    const again = await applyPolicy(handle, document);
    t.same(again.plan.changes, [], `${what}: a second apply plans nothing`);
    t.equal(sent.changes, 0, `${what}: and sends no change (sent ${sent.changeTypes.join(', ')})`);
  }

  // A new version of the document: replaced by digest, then in sync again.
  const changedDocument: PolicyDocument = { nftables: table(['192.0.2.64/26']) };
  const replaced = await planPolicy(handle, changedDocument);
  t.match(replaced.changes, [{ object: 'nftTable', action: 'replace', drift: undefined }], 'a new document: replaced, not a drift');
  await applyPolicy(handle, changedDocument);
  t.match(ns.exec('nft', ['list', 'set', 'inet', 'agent', 'hosts']), /192\.0\.2\.64\/26/);
  t.same((await planPolicy(handle, changedDocument)).changes, [], 'the new version: nothing to change');
});

t.test('an owned table tagged without a content digest (by an older version) is replaced once, then checked', async (t) => {
  // Tables made before the tag recorded a content digest carry routemark:OWNER:DIGEST only: their
  // content cannot be compared, so plan replaces them once (and says why) to record one.
  const { ns, handle } = await policyNetns(t);
  const document: PolicyDocument = { nftables: table(['192.0.2.0/28']) };
  await applyPolicy(handle, document);
  const text = ns.exec('nft', ['list', 'table', 'inet', 'agent']);
  const tag = /comment "(routemark:201:[0-9a-f]{16}):[0-9a-f]{16} steering"/.exec(text);
  t.ok(tag, `nft list table: the tag carries both digests (${/comment "[^"]*"/.exec(text)?.[0]})`);
  // The same table as an older version tagged it (nft -f with the table's own listing).
  const older = text.replace(/comment "[^"]*"/, `comment "${tag![1]} steering"`);
  ns.exec('nft', ['-f', '-'], `delete table inet agent\n${older}`);
  t.match(ns.exec('nft', ['list', 'table', 'inet', 'agent']), `comment "${tag![1]} steering"`, 'nft: the older tag');
  const plan = await planPolicy(handle, document);
  t.match(plan.changes, [{ object: 'nftTable', action: 'replace', name: 'agent', drift: /records no content digest/ }], 'plan: replaced once, and why');
  await applyPolicy(handle, document);
  t.match(ns.exec('nft', ['list', 'table', 'inet', 'agent']), /comment "routemark:201:[0-9a-f]{16}:[0-9a-f]{16} steering"/, 'nft: tagged with both digests again');
  t.same((await planPolicy(handle, document)).changes, [], 'then nothing to change');
});

t.test('the forwarding switches of one apply are snapshotted from one link dump', async (t) => {
  // Was: cascadeSnapshot dumped the links once per switch it snapshotted (sysctls.ts); the
  // snapshots of an apply now share one dump (linkNamesOnce).
  const { ns, handle } = await policyNetns(t);
  const document: PolicyDocument = { sysctls: { 'net.ipv4.ip_forward': 1, 'net.ipv6.conf.all.forwarding': 1, 'net.ipv4.conf.all.forwarding': 1 } };
  const planning = countMessages(handle);
  const plan = await planPolicy(handle, document);
  t.equal(plan.changes.length, 2, 'two switches to write (ip_forward is conf.all.forwarding)');
  const planDumps = planning.dumpTypes.filter((type) => type === RTM_GETLINK).length;
  const applying = countMessages(handle);
  await applyPolicy(handle, document);
  const applyDumps = applying.dumpTypes.filter((type) => type === RTM_GETLINK).length;
  t.equal(applyDumps - planDumps, 1, `one link dump for the snapshots (plan ${planDumps}, apply ${applyDumps})`);
  for (const key of ['net.ipv4.conf.v0.forwarding', 'net.ipv4.conf.v2.forwarding', 'net.ipv6.conf.v0.forwarding', 'net.ipv6.conf.v2.forwarding']) {
    t.equal(sysctl(ns, key), '1', `sysctl -n ${key}: the switches set it`);
  }

  // The snapshots still cover every device: a failed apply puts each one's forwarding back.
  ns.exec('sysctl', ['-qw', 'net.ipv4.conf.v2.forwarding=0', 'net.ipv6.conf.v0.forwarding=0']);
  const keys = ['net.ipv4.ip_forward', 'net.ipv4.conf.v0.forwarding', 'net.ipv4.conf.v2.forwarding', 'net.ipv4.conf.all.accept_redirects', 'net.ipv6.conf.all.forwarding', 'net.ipv6.conf.v0.forwarding', 'net.ipv6.conf.v2.forwarding'];
  const before = keys.map((k) => sysctl(ns, k));
  const failing: PolicyDocument = { sysctls: { 'net.ipv4.ip_forward': 0, 'net.ipv6.conf.all.forwarding': 0, 'net.ipv4.ip_local_port_range': '50000 40000' } };
  const error = await applyPolicy(handle, failing).catch((e: unknown) => e);
  t.match(error, { name: 'PolicyApplyError', operation: 'setSysctl', code: 'EINVAL', rolledBack: true });
  t.same(keys.map((k) => sysctl(ns, k)), before, 'sysctl -n: every device\'s forwarding as before');
});
