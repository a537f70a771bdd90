/**
 * Rule selectors newer than iproute2 6.1: port masks (FRA_SPORT_MASK, FRA_DPORT_MASK, kernel
 * 6.15), the dscp mask (FRA_DSCP_MASK, 6.18) and the IPv6 flow label (FRA_FLOWLABEL and its mask,
 * 6.14). `ip rule` 6.1 cannot show them, so each test is witnessed by what the kernel does with a
 * packet: `ip route get` (which 6.1 can ask with ports and tos) and real pings with a flow label
 * (`ping -F`).
 */
import t from 'tap';
import { ValidationError, type Rule } from '../../src/index.js';
import { addVeth, makeNetns, type TestNetns } from '../helpers/netns.js';
import { freshHandle, messagesSent, rejection } from './helpers.js';

/** The device `ip route get` picks for a packet to 192.0.2.1 with the given extra selectors. */
function deviceFor(ns: TestNetns, ...selectors: string[]): string {
  return ns.ipJson<{ dev: string }[]>('route', 'get', '192.0.2.1', ...selectors)[0]!.dev;
}

/** Two veths: main routes 192.0.2.0/24 out of v0, table 10 out of w0. */
function twoWays(ns: TestNetns): void {
  addVeth(ns, 'v0', 'v1');
  addVeth(ns, 'w0', 'w1');
  ns.ip('route', 'add', '192.0.2.0/24', 'dev', 'v0');
  ns.ip('route', 'add', '192.0.2.0/24', 'dev', 'w0', 'table', '10');
}

t.test('a dport mask selects every port inside it, as the kernel matches it', async (t) => {
  const { ns, handle } = await freshHandle(t);
  twoWays(ns);
  await handle.rules.add({ priority: 100, ipproto: 'tcp', dport: 0x1000, dportMask: 0xf000, table: 10 });
  for (const [port, dev] of [[0x1000, 'w0'], [0x1abc, 'w0'], [0x1fff, 'w0'], [0x2000, 'v0'], [0x0fff, 'v0']] as const) {
    t.equal(deviceFor(ns, 'ipproto', 'tcp', 'dport', String(port)), dev, `ip route get ... dport ${port}: ${dev}`);
  }
  t.equal(deviceFor(ns, 'ipproto', 'udp', 'dport', String(0x1abc)), 'v0', 'another protocol is not matched');
  const listed = (await handle.rules.list({ priority: 100 }))[0]!;
  t.match(listed, { dport: 0x1000, dportMask: 0xf000 }, 'listed with its mask');
  await handle.rules.delete(listed);
  t.equal(deviceFor(ns, 'ipproto', 'tcp', 'dport', String(0x1abc)), 'v0', 'the listed rule deleted it');
});

t.test('a sport mask selects by source port', async (t) => {
  const { ns, handle } = await freshHandle(t);
  twoWays(ns);
  await handle.rules.add({ priority: 100, ipproto: 'udp', sport: 0x0100, sportMask: 0xff00, table: 10 });
  t.equal(deviceFor(ns, 'ipproto', 'udp', 'sport', String(0x01ff), 'dport', '53'), 'w0', 'sport 0x1ff is inside');
  t.equal(deviceFor(ns, 'ipproto', 'udp', 'sport', String(0x02ff), 'dport', '53'), 'v0', 'sport 0x2ff is not');
});

t.test('a single port without a mask and the same port with one are two rules, apart in add, addMany and delete', async (t) => {
  // The kernel stores mask 0xffff for a single port and compares masks in rule_exists() and in
  // rule_find(): `dport 4096` neither duplicates nor deletes `dport 4096/0xf000`.
  const { ns, handle } = await freshHandle(t);
  twoWays(ns);
  const masked: Rule = { priority: 100, ipproto: 'tcp', dport: 0x1000, dportMask: 0xf000, table: 10 };
  const exact: Rule = { priority: 100, ipproto: 'tcp', dport: 0x1000, table: 10 };
  await handle.rules.add(masked);
  await handle.rules.add(exact);
  t.equal((await handle.rules.list({ priority: 100 })).length, 2, 'both were added');
  const again = await handle.rules.addMany([masked, exact, { ...exact, dportMask: 0xffff }]);
  t.same(again.errors.map((e) => e?.code), ['EEXIST', 'EEXIST', 'EEXIST'], 'addMany finds each a duplicate (0xffff is the exact rule)');
  await handle.rules.delete(exact);
  const left = await handle.rules.list({ priority: 100 });
  t.match(left, [{ dportMask: 0xf000 }], 'deleting the exact rule left the masked one');
  t.equal(left.length, 1);
  t.equal(deviceFor(ns, 'ipproto', 'tcp', 'dport', String(0x1abc)), 'w0', 'and it still selects');
});

t.test('a dscp mask selects every tos whose dscp lies inside it', async (t) => {
  const { ns, handle } = await freshHandle(t);
  twoWays(ns);
  await handle.rules.add({ priority: 100, dscp: 16, dscpMask: 0x30, table: 10 });
  // dscp is the tos byte's upper six bits: tos 0x40 is dscp 16, 0x44 dscp 17, 0x80 dscp 32.
  t.equal(deviceFor(ns, 'tos', '0x40'), 'w0', 'dscp 16');
  t.equal(deviceFor(ns, 'tos', '0x44'), 'w0', 'dscp 17 & 0x30 is 16');
  t.equal(deviceFor(ns, 'tos', '0x80'), 'v0', 'dscp 32 is not');
  t.equal(deviceFor(ns), 'v0', 'no tos is not');
  const listed = await handle.rules.list({ priority: 100 });
  t.match(listed, [{ dscp: 16, dscpMask: 0x30 }], 'listed with its mask');
  // fib4_rule_compare() compares the mask only when the request carries one, and a full mask is
  // never sent (as ip sends none): the exact rule at the same place is a duplicate.
  const exact: Rule = { priority: 100, dscp: 16, table: 10 };
  t.match(await rejection(() => handle.rules.add(exact)), { code: 'EEXIST' }, 'the exact rule beside it: EEXIST');
  t.same((await handle.rules.addMany([exact])).errors.map((e) => e?.code), ['EEXIST'], 'addMany agrees');
  await handle.rules.add({ ...exact, priority: 101 });
  await handle.rules.delete(listed[0]!);
  t.equal(deviceFor(ns, 'tos', '0x44'), 'v0', 'the masked rule is gone, the exact one does not take dscp 17');
  t.equal(deviceFor(ns, 'tos', '0x40'), 'w0', 'the exact one takes dscp 16');
  t.same((await handle.rules.list({ table: 10 })).map((r) => [r.priority, r.dscpMask]), [[101, undefined]], 'only the exact rule is left');
});

t.test('an IPv6 flow label rule steers real pings by their label, and routes.get agrees', async (t) => {
  const { ns, handle } = await freshHandle(t);
  const peer = makeNetns(t, 'rtnl');
  addVeth(ns, 'v0', 'v1', { peerNetns: peer });
  ns.ip('addr', 'add', '2001:db8:1::1/64', 'dev', 'v0', 'nodad');
  peer.ip('addr', 'add', '2001:db8:1::2/64', 'dev', 'v1', 'nodad');
  // A label a ping reserved stays taken for seconds after it (the flow label manager's linger),
  // so every ping below uses a label of its own. What the peer counted tells a ping that never
  // left (the rule made the route unreachable) from one that was not answered.
  const echoesSeen = () => Number(/Icmp6InEchos\s+(\d+)/.exec(peer.exec('cat', ['/proc/net/snmp6']))![1]);
  const ping = (label: number) => {
    const before = echoesSeen();
    try {
      ns.exec('ping', ['-6', '-c', '1', '-W', '2', '-F', `0x${label.toString(16)}`, '2001:db8:1::2']);
      return 'reply';
    } catch {
      return echoesSeen() === before ? 'not sent' : 'no reply';
    }
  };
  // Carrier and neighbour discovery first, so that the pings below are answered or refused at once.
  let warmUp = 0;
  while (warmUp < 20 && ping(++warmUp) !== 'reply') await new Promise((resolve) => setTimeout(resolve, 200));
  t.ok(warmUp < 20, 'the peer answers before any rule');
  await handle.rules.add({ family: 'inet6', priority: 100, flowlabel: 0x12000, flowlabelMask: 0xff000, action: 'unreachable' });
  t.equal(ping(0x12345), 'not sent', 'label 0x12345 lies inside 0x12000/0xff000: the rule made it unreachable');
  t.equal(ping(0x13345), 'reply', 'label 0x13345 does not: answered');
  const inside = await rejection(() => handle.routes.get({ to: '2001:db8:1::2', flowlabel: 0x12345 }));
  t.match(inside, { code: 'ENETUNREACH' }, 'routes.get with the label inside: unreachable, as the ping');
  t.match(await handle.routes.get({ to: '2001:db8:1::2', flowlabel: 0x13345 }), { dev: 'v0' }, 'routes.get with the other label: v0');
  const listed = await handle.rules.list({ family: 'inet6', priority: 100 });
  t.match(listed, [{ flowlabel: 0x12000, flowlabelMask: 0xff000, action: 'unreachable' }], 'listed with label and mask');
  await handle.rules.delete(listed[0]!);
  t.equal(ping(0x12346), 'reply', 'the listed rule deleted it');
  await handle.rules.add({ family: 'inet6', priority: 100, flowlabel: 0x12347, action: 'unreachable' });
  t.equal(ping(0x12347), 'not sent', 'a label without a mask matches exactly that label');
  t.equal(ping(0x12348), 'reply', 'and no other');
  t.match(await handle.rules.list({ family: 'inet6', priority: 100 }), [{ flowlabel: 0x12347, flowlabelMask: undefined }], 'listed without the full mask');
});

t.test('bad masks and labels are refused before any I/O, naming the field', async (t) => {
  const { ns, handle } = await freshHandle(t);
  const cases: [Rule, string][] = [
    [{ priority: 10, table: 5, dportMask: 0xf000 }, 'rule.dportMask'],
    [{ priority: 10, table: 5, ipproto: 'tcp', dport: { start: 10, end: 20 }, dportMask: 0xfff0 }, 'rule.dportMask'],
    [{ priority: 10, table: 5, ipproto: 'tcp', sport: 0x1234, sportMask: 0xf000 }, 'rule.sportMask'],
    [{ priority: 10, table: 5, ipproto: 'tcp', sport: 0x1000, sportMask: 0x10000 }, 'rule.sportMask'],
    [{ priority: 10, table: 5, dscpMask: 0x30 }, 'rule.dscpMask'],
    [{ priority: 10, table: 5, dscp: 17, dscpMask: 0x30 }, 'rule.dscpMask'],
    [{ priority: 10, table: 5, dscp: 16, dscpMask: 0x40 }, 'rule.dscpMask'],
    [{ priority: 10, table: 5, flowlabel: 0x12345 }, 'rule.flowlabel'],
    [{ priority: 10, table: 5, family: 'inet6', flowlabel: 0x100000 }, 'rule.flowlabel'],
    [{ priority: 10, table: 5, family: 'inet6', flowlabelMask: 0xf0000 }, 'rule.flowlabelMask'],
    [{ priority: 10, table: 5, family: 'inet6', flowlabel: 0x12345, flowlabelMask: 0xf0000 }, 'rule.flowlabelMask'],
  ];
  const before = messagesSent(handle);
  for (const [rule, field] of cases) {
    const error = await rejection(() => handle.rules.add(rule));
    t.ok(error instanceof ValidationError, `${JSON.stringify(rule)}: a ValidationError`);
    t.match(error, { field }, `naming ${field}`);
  }
  const query = await rejection(() => handle.routes.get({ to: '192.0.2.1', flowlabel: 1 }));
  t.match(query, { field: 'query.flowlabel' }, 'routes.get: a flow label needs IPv6');
  t.equal(messagesSent(handle), before, 'nothing was sent');
  t.equal(ns.ip('-6', 'rule').trim().split('\n').length, 2, 'ip -6 rule: only the kernel rules');
});
