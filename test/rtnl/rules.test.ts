/**
 * Rules, table-driven, one fresh namespace per case, IPv4 and IPv6: every selector, attribute
 * and action. For each case: added with routemark, `ip -j rule` shows exactly the expected rule;
 * what routemark lists deletes it cleanly; the same rule made with `ip rule add` is listed by
 * routemark as the same object, and that object deletes it cleanly.
 */
import t from 'tap';
import type { Rule } from '../../src/index.js';
import { freshHandle, ipRules } from './helpers.js';

interface RuleCase {
  name: string;
  rule: Rule;
  /** `ip rule add` arguments for the same rule. */
  ip: string[];
  /** The entry `ip -j rule` shows for it. */
  json: Record<string, unknown>;
  /** What routemark lists, when it differs from `{ family, action: 'lookup', ...rule }`. */
  listed?: Rule;
}

const cases: RuleCase[] = [
  {
    name: 'fwmark, priority, table',
    rule: { fwmark: 65, priority: 1000, table: 1 },
    ip: ['fwmark', '65', 'priority', '1000', 'table', '1'],
    json: { priority: 1000, src: 'all', fwmark: '0x41', table: '1' },
  },
  {
    name: 'fwmark with mask',
    rule: { fwmark: 16, fwmask: 0xff, priority: 10, table: 5 },
    ip: ['fwmark', '0x10/0xff', 'priority', '10', 'table', '5'],
    json: { priority: 10, src: 'all', fwmark: '0x10', fwmask: '0xff', table: '5' },
  },
  {
    name: 'fwmark 0 is a mark',
    rule: { fwmark: 0, fwmask: 0xffffffff, priority: 11, table: 5 },
    ip: ['fwmark', '0/0xffffffff', 'priority', '11', 'table', '5'],
    json: { priority: 11, src: 'all', fwmark: '0', table: '5' },
  },
  {
    name: 'priority 0 is a priority',
    rule: { fwmark: 3, priority: 0, table: 5 },
    ip: ['fwmark', '3', 'priority', '0', 'table', '5'],
    json: { priority: 0, src: 'all', fwmark: '0x3', table: '5' },
  },
  {
    name: 'from prefix, table above 255',
    rule: { from: '192.0.2.0/24', priority: 200, table: 300 },
    ip: ['from', '192.0.2.0/24', 'priority', '200', 'table', '300'],
    json: { priority: 200, src: '192.0.2.0', srclen: 24, table: '300' },
  },
  {
    name: 'from a host (reply by the same uplink)',
    rule: { from: '192.0.2.6', priority: 201, table: 2 },
    ip: ['from', '192.0.2.6', 'priority', '201', 'table', '2'],
    json: { priority: 201, src: '192.0.2.6', table: '2' },
  },
  {
    name: 'to prefix',
    rule: { to: '198.51.100.0/24', priority: 202, table: 3 },
    ip: ['to', '198.51.100.0/24', 'priority', '202', 'table', '3'],
    json: { priority: 202, src: 'all', dst: '198.51.100.0', dstlen: 24, table: '3' },
  },
  {
    name: 'not',
    rule: { not: true, from: '192.0.2.1', priority: 203, table: 2 },
    ip: ['not', 'from', '192.0.2.1', 'priority', '203', 'table', '2'],
    json: { priority: 203, not: null, src: '192.0.2.1', table: '2' },
  },
  {
    name: 'iif',
    rule: { iif: 'lo', priority: 204, table: 4 },
    ip: ['iif', 'lo', 'priority', '204', 'table', '4'],
    json: { priority: 204, src: 'all', iif: 'lo', table: '4' },
  },
  {
    name: 'oif',
    rule: { oif: 'lo', priority: 205, table: 4 },
    ip: ['oif', 'lo', 'priority', '205', 'table', '4'],
    json: { priority: 205, src: 'all', oif: 'lo', table: '4' },
  },
  {
    name: 'uidrange (per-user routing)',
    rule: { uidrange: { start: 469, end: 469 }, priority: 206, table: 200 },
    ip: ['uidrange', '469-469', 'priority', '206', 'table', '200'],
    json: { priority: 206, src: 'all', uid_start: 469, uid_end: 469, table: '200' },
    listed: { family: 'inet', uidrange: 469, priority: 206, table: 200, action: 'lookup' },
  },
  {
    name: 'uidrange as a range',
    rule: { uidrange: '1000-1999', priority: 207, table: 200 },
    ip: ['uidrange', '1000-1999', 'priority', '207', 'table', '200'],
    json: { priority: 207, src: 'all', uid_start: 1000, uid_end: 1999, table: '200' },
    listed: { family: 'inet', uidrange: { start: 1000, end: 1999 }, priority: 207, table: 200, action: 'lookup' },
  },
  {
    name: 'ipproto',
    rule: { ipproto: 'tcp', priority: 208, table: 6 },
    ip: ['ipproto', 'tcp', 'priority', '208', 'table', '6'],
    json: { priority: 208, src: 'all', ipproto: 'tcp', table: '6' },
  },
  {
    name: 'ipproto by number',
    rule: { ipproto: 17, priority: 209, table: 6 },
    ip: ['ipproto', '17', 'priority', '209', 'table', '6'],
    json: { priority: 209, src: 'all', ipproto: 'udp', table: '6' },
    listed: { family: 'inet', ipproto: 'udp', priority: 209, table: 6, action: 'lookup' },
  },
  {
    name: 'sport range',
    rule: { ipproto: 'udp', sport: { start: 1000, end: 2000 }, priority: 210, table: 6 },
    ip: ['ipproto', 'udp', 'sport', '1000-2000', 'priority', '210', 'table', '6'],
    json: { priority: 210, src: 'all', ipproto: 'udp', sport_start: 1000, sport_end: 2000, table: '6' },
  },
  {
    name: 'dport single',
    rule: { ipproto: 'tcp', dport: 465, priority: 211, table: 6 },
    ip: ['ipproto', 'tcp', 'dport', '465', 'priority', '211', 'table', '6'],
    json: { priority: 211, src: 'all', ipproto: 'tcp', dport: 465, table: '6' },
  },
  {
    name: 'tos',
    rule: { tos: 0x10, priority: 212, table: 7 },
    ip: ['tos', '0x10', 'priority', '212', 'table', '7'],
    json: { priority: 212, src: 'all', tos: '0x10', table: '7' },
  },
  {
    name: 'blackhole',
    rule: { to: '203.0.113.0/24', priority: 213, action: 'blackhole' },
    ip: ['to', '203.0.113.0/24', 'priority', '213', 'blackhole'],
    json: { priority: 213, src: 'all', dst: '203.0.113.0', dstlen: 24, action: 'blackhole' },
  },
  {
    name: 'unreachable',
    rule: { fwmark: 9, priority: 214, action: 'unreachable' },
    ip: ['fwmark', '9', 'priority', '214', 'unreachable'],
    json: { priority: 214, src: 'all', fwmark: '0x9', action: 'unreachable' },
  },
  {
    name: 'prohibit',
    rule: { fwmark: 9, priority: 215, action: 'prohibit' },
    ip: ['fwmark', '9', 'priority', '215', 'prohibit'],
    json: { priority: 215, src: 'all', fwmark: '0x9', action: 'prohibit' },
  },
  {
    name: 'nop',
    rule: { priority: 216, action: 'nop' },
    ip: ['priority', '216', 'nop'],
    json: { priority: 216, src: 'all', nop: null },
  },
  {
    name: 'goto',
    rule: { fwmark: 1, priority: 217, action: 'goto', goto: 32766 },
    ip: ['fwmark', '1', 'priority', '217', 'goto', '32766'],
    json: { priority: 217, src: 'all', fwmark: '0x1', goto: 32766 },
  },
  {
    name: 'suppress_prefixlength 0',
    rule: { priority: 218, table: 'main', suppressPrefixLength: 0 },
    ip: ['priority', '218', 'table', 'main', 'suppress_prefixlength', '0'],
    json: { priority: 218, src: 'all', table: 'main', suppress_prefixlen: 0 },
    listed: { family: 'inet', priority: 218, table: 254, suppressPrefixLength: 0, action: 'lookup' },
  },
  {
    name: 'suppress_ifgroup',
    rule: { priority: 219, table: 8, suppressIfgroup: 5 },
    ip: ['priority', '219', 'table', '8', 'suppress_ifgroup', '5'],
    json: { priority: 219, src: 'all', table: '8', suppress_ifgroup: '5' },
  },
  {
    name: 'l3mdev',
    rule: { priority: 220, l3mdev: true },
    ip: ['priority', '220', 'l3mdev'],
    json: { priority: 220, src: 'all', l3mdev: null },
    listed: { family: 'inet', priority: 220, l3mdev: true, action: 'lookup' },
  },
  {
    name: 'protocol (owner tag)',
    rule: { fwmark: 65, priority: 221, table: 9, protocol: 99 },
    ip: ['fwmark', '65', 'priority', '221', 'table', '9', 'protocol', '99'],
    json: { priority: 221, src: 'all', fwmark: '0x41', table: '9', protocol: 'openr' },
    listed: { family: 'inet', fwmark: 65, priority: 221, table: 9, protocol: 'openr', action: 'lookup' },
  },
  {
    name: 'protocol by name',
    rule: { fwmark: 65, priority: 222, table: 9, protocol: 'static' },
    ip: ['fwmark', '65', 'priority', '222', 'table', '9', 'protocol', 'static'],
    json: { priority: 222, src: 'all', fwmark: '0x41', table: '9', protocol: 'static' },
  },
  {
    name: 'every selector at once',
    rule: {
      not: true, from: '192.0.2.0/24', to: '198.51.100.0/24', fwmark: 0x41, fwmask: 0xff, priority: 223, tos: 0x10,
      table: 300, iif: 'lo', oif: 'lo', uidrange: { start: 100, end: 200 }, ipproto: 'tcp', sport: { start: 1000, end: 2000 },
      dport: 443, protocol: 99,
    },
    ip: ['not', 'from', '192.0.2.0/24', 'to', '198.51.100.0/24', 'fwmark', '0x41/0xff', 'priority', '223', 'tos', '0x10', 'table', '300',
      'iif', 'lo', 'oif', 'lo', 'uidrange', '100-200', 'ipproto', 'tcp', 'sport', '1000-2000', 'dport', '443', 'protocol', '99'],
    json: {
      priority: 223, not: null, src: '192.0.2.0', srclen: 24, dst: '198.51.100.0', dstlen: 24, tos: '0x10', fwmark: '0x41', fwmask: '0xff',
      iif: 'lo', oif: 'lo', uid_start: 100, uid_end: 200, ipproto: 'tcp', sport_start: 1000, sport_end: 2000, dport: 443, table: '300', protocol: 'openr',
    },
    listed: {
      family: 'inet', not: true, from: '192.0.2.0/24', to: '198.51.100.0/24', fwmark: 0x41, fwmask: 0xff, priority: 223, tos: 0x10,
      table: 300, iif: 'lo', oif: 'lo', uidrange: { start: 100, end: 200 }, ipproto: 'tcp', sport: { start: 1000, end: 2000 },
      dport: 443, protocol: 'openr', action: 'lookup',
    },
  },
  // IPv6
  {
    name: 'IPv6 from prefix',
    rule: { from: '2001:db8::/32', priority: 300, table: 7 },
    ip: ['from', '2001:db8::/32', 'priority', '300', 'table', '7'],
    json: { priority: 300, src: '2001:db8::', srclen: 32, table: '7' },
  },
  {
    name: 'IPv6 to host',
    rule: { to: '2001:db8:1::1', priority: 301, table: 7 },
    ip: ['to', '2001:db8:1::1', 'priority', '301', 'table', '7'],
    json: { priority: 301, src: 'all', dst: '2001:db8:1::1', table: '7' },
  },
  {
    name: 'IPv6 fwmark, table above 255',
    rule: { family: 'inet6', fwmark: 65, priority: 302, table: 1000 },
    ip: ['fwmark', '65', 'priority', '302', 'table', '1000'],
    json: { priority: 302, src: 'all', fwmark: '0x41', table: '1000' },
  },
  {
    name: 'IPv6 uidrange, ipproto, dport',
    rule: { family: 'inet6', uidrange: 469, ipproto: 'tcp', dport: { start: 8000, end: 8080 }, priority: 303, table: 200 },
    ip: ['uidrange', '469-469', 'ipproto', 'tcp', 'dport', '8000-8080', 'priority', '303', 'table', '200'],
    json: { priority: 303, src: 'all', uid_start: 469, uid_end: 469, ipproto: 'tcp', dport_start: 8000, dport_end: 8080, table: '200' },
  },
  {
    name: 'IPv6 not, iif, tos',
    rule: { family: 'inet6', not: true, iif: 'lo', tos: 0x20, priority: 304, table: 9 },
    ip: ['not', 'iif', 'lo', 'tos', '0x20', 'priority', '304', 'table', '9'],
    json: { priority: 304, not: null, src: 'all', tos: 'CS1', iif: 'lo', table: '9' }, // ip names dsfield 0x20 from rt_dsfield
  },
  {
    name: 'IPv6 blackhole',
    rule: { from: '2001:db8:dead::/48', priority: 305, action: 'blackhole' },
    ip: ['from', '2001:db8:dead::/48', 'priority', '305', 'blackhole'],
    json: { priority: 305, src: '2001:db8:dead::', srclen: 48, action: 'blackhole' },
  },
  {
    name: 'IPv6 goto, protocol',
    rule: { family: 'inet6', fwmark: 2, priority: 306, action: 'goto', goto: 32766, protocol: 'static' },
    ip: ['fwmark', '2', 'priority', '306', 'goto', '32766', 'protocol', 'static'],
    json: { priority: 306, src: 'all', fwmark: '0x2', goto: 32766, protocol: 'static' },
  },
  {
    name: 'IPv6 suppress_prefixlength',
    rule: { family: 'inet6', priority: 307, table: 254, suppressPrefixLength: 48 },
    ip: ['priority', '307', 'table', '254', 'suppress_prefixlength', '48'],
    json: { priority: 307, src: 'all', table: 'main', suppress_prefixlen: 48 },
  },
];

function familyOf(c: RuleCase): 4 | 6 {
  if (c.rule.family) return c.rule.family === 'inet6' ? 6 : 4;
  return (c.rule.from ?? c.rule.to ?? '').includes(':') ? 6 : 4;
}

for (const c of cases) {
  t.test(`rule: ${c.name}`, async (t) => {
    const { ns, handle } = await freshHandle(t);
    const family = familyOf(c);
    const familyName = family === 6 ? 'inet6' : 'inet';
    const before = ipRules(ns, family);
    const priority = c.json.priority as number;
    const expectedListed: Rule = c.listed ?? { family: familyName, action: 'lookup', ...c.rule };
    const find = (rules: Rule[]) => rules.filter((r) => r.priority === priority && !(priority === 0 && r.table === 255));

    // routemark adds; ip shows it.
    await handle.rules.add(c.rule);
    const shown = ipRules(ns, family).filter((r) => r.priority === priority && r.table !== 'local');
    t.same(shown, [c.json], `ip -j rule shows: ${JSON.stringify(c.json)}`);

    // What routemark lists is that rule, and deletes it cleanly.
    const listed = find(await handle.rules.list({ family: familyName }));
    t.same(listed, [expectedListed], 'routemark lists the same object');
    await handle.rules.delete(listed[0]!);
    t.same(ipRules(ns, family), before, 'deleted cleanly');

    // ip adds; routemark lists the same object; it deletes cleanly.
    ns.ip(`-${family}`, 'rule', 'add', ...c.ip);
    t.same(ipRules(ns, family).filter((r) => r.priority === priority && r.table !== 'local'), [c.json], 'ip made the same rule');
    const fromIp = find(await handle.rules.list({ family: familyName }));
    t.same(fromIp, [expectedListed], 'routemark lists the rule ip made as the same object');
    await handle.rules.delete(fromIp[0]!);
    t.same(ipRules(ns, family), before, 'what was listed deletes cleanly');

    // And it can be added back from the listed object.
    await handle.rules.add(fromIp[0]!);
    t.same(ipRules(ns, family).filter((r) => r.priority === priority && r.table !== 'local'), [c.json], 'the listed object adds back the same rule');
  });
}

t.test('rule: dscp (FRA_DSCP), witnessed by the kernel choosing the table for a tos', async (t) => {
  const { ns, handle } = await freshHandle(t);
  ns.ip('link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
  ns.ip('link', 'set', 'v0', 'up');
  ns.ip('link', 'set', 'v1', 'up');
  ns.ip('addr', 'add', '192.0.2.2/24', 'dev', 'v0');
  ns.ip('route', 'add', 'default', 'via', '192.0.2.1', 'table', '20');
  ns.ip('route', 'add', 'default', 'via', '192.0.2.3');
  await handle.rules.add({ dscp: 4, priority: 100, table: 20 });
  const viaDscp = ns.ipJson<{ gateway: string; table?: string }[]>('route', 'get', '203.0.113.9', 'tos', '0x10')[0]!;
  t.match(viaDscp, { gateway: '192.0.2.1', table: '20' }, 'ip route get tos 0x10 (dscp 4) uses table 20');
  const plain = ns.ipJson<{ gateway: string }[]>('route', 'get', '203.0.113.9')[0]!;
  t.match(plain, { gateway: '192.0.2.3' }, 'without it, main');
  const listed = (await handle.rules.list({ priority: 100 }))[0]!;
  t.same(listed, { family: 'inet', priority: 100, dscp: 4, table: 20, action: 'lookup' });
  await handle.rules.delete(listed);
  t.equal((await handle.rules.list({ priority: 100 })).length, 0, 'deleted');
});

t.test('rules: ensure, remove, list filters and flush by table and protocol', async (t) => {
  const { ns, handle } = await freshHandle(t);
  t.equal(await handle.rules.ensure({ fwmark: 65, priority: 1000, table: 10 }), true, 'ensure adds a missing rule');
  t.equal(await handle.rules.ensure({ fwmark: 65, priority: 1000, table: 10 }), false, 'ensure leaves an existing one');
  t.equal(await handle.rules.ensure({ fwmark: 65, table: 10 }), false, 'without a priority, any priority will do');
  // The kernel treats a rule without a source as the same as one with a source: ensure adds it anyway.
  await handle.rules.add({ from: '192.0.2.0/24', priority: 1001, table: 11 });
  t.equal(await handle.rules.ensure({ priority: 1001, table: 11 }), true, 'ensure adds a rule the kernel would call a duplicate');
  t.equal(ipRules(ns).filter((r) => r.priority === 1001).length, 2);
  await handle.rules.add({ fwmark: 1, priority: 2000, table: 12, protocol: 99 });
  await handle.rules.add({ fwmark: 2, priority: 2001, table: 12, protocol: 99 });
  await handle.rules.add({ fwmark: 3, priority: 2002, table: 13, protocol: 99 });
  await handle.rules.add({ fwmark: 3, priority: 2003, table: 13 });
  t.same((await handle.rules.list({ table: 12 })).map((r) => r.priority), [2000, 2001], 'filter by table');
  t.same((await handle.rules.list({ protocol: 'openr' })).map((r) => r.priority), [2000, 2001, 2002], 'filter by protocol name');
  t.same((await handle.rules.list({ fwmark: 3, family: 'inet' })).map((r) => r.priority), [2002, 2003], 'filter by fwmark');
  t.same((await handle.rules.list({ family: 'inet', table: 'main', tableNames: true })).map((r) => r.table), ['main'], 'tables by name');
  t.equal(await handle.rules.flush({ table: 12 }), 2, 'flush by table');
  t.equal(await handle.rules.flush({ protocol: 99 }), 1, 'flush by protocol');
  t.same(ipRules(ns).map((r) => r.priority), [0, 1000, 1001, 1001, 2003, 32766, 32767]);
  t.equal(await handle.rules.remove({ fwmark: 3, priority: 2003, table: 13 }), true, 'remove deletes');
  t.equal(await handle.rules.remove({ fwmark: 3, priority: 2003, table: 13 }), false, 'remove again is a no-op');
});
