/**
 * The bulk fast paths (src/rtnl/fast.ts) against the general path: for many plain and
 * not-so-plain inputs, PlainRoutes writes exactly the bytes resolveRoute + encodeRoute write,
 * PlainRules resolves, hashes, compares and writes rules exactly as the general path does, and
 * both decline (so the general path runs and reports) whenever they cannot be sure. No root needed.
 */
import t from 'tap';
import { Batch } from '../../src/netlink/batch.js';
import { parsePrefix } from '../../src/common/ip.js';
import { InterfaceNames, PlainRoutes, PlainRules, quickIPv4 } from '../../src/rtnl/fast.js';
import { ROUTE_REQUESTS, encodeRoute, resolveRoute, type Route, type RouteIntent } from '../../src/rtnl/routes.js';
import { RULE_REQUESTS, encodeRule, resolveRule, ruleExactHash, ruleShadows, type Rule } from '../../src/rtnl/rules.js';

const links = new Map([['v0', 3], ['eth0', 7]]);

/** Rules the fast path takes. */
const PLAIN_RULES: Rule[] = [
    { fwmark: 65, priority: 1000, table: 1 },
    { fwmark: 0, fwmask: 0xff, priority: 0, table: 5 },
    { family: 'inet6', fwmark: 1, priority: 2, table: 4000 },
    { priority: 5 },
    { priority: 6, table: 7, protocol: 99, action: 'lookup' },
];

function general(route: Route, intent: RouteIntent, request: keyof typeof ROUTE_REQUESTS): string | undefined {
  let resolved;
  try {
    resolved = resolveRoute(route, 'route', intent);
  } catch {
    return undefined;
  }
  const batch = new Batch();
  const { type, flags } = ROUTE_REQUESTS[request];
  batch.add({ operation: 'x' }, type, flags, (w) => encodeRoute(w, resolved, (name) => links.get(name)));
  return batch.bytes().toString('hex');
}

/** The bytes the bulk fast path writes for one route, or undefined where it declines (as route-api.ts uses it). */
function fast(route: Route, intent: RouteIntent, request: keyof typeof ROUTE_REQUESTS): string | undefined {
  const { type, flags } = ROUTE_REQUESTS[request];
  const plain = new PlainRoutes(1);
  const devices = new InterfaceNames();
  if (!plain.parse(0, route, intent, devices)) return undefined;
  if (devices.wanted.some(([name]) => !links.has(name))) return undefined; // the lookup would refuse it
  plain.useInterfaces(devices.indexes(links));
  const batch = new Batch();
  plain.writeRun(batch, 0, 1, 'x', type, flags, intent);
  return batch.bytes().toString('hex');
}

t.test('quickIPv4 accepts exactly what parsePrefix accepts for IPv4, with the same value', async (t) => {
  const samples = ['0.0.0.0', '255.255.255.255', '10.0.0.1', '10.0.0.1/8', '10.0.0.1/32', '10.0.0.1/33', '10.0.0.1/', '10.0.0.1/008', '01.2.3.4', '1.2.3', '1.2.3.4.5',
    '256.1.1.1', '1.2.3.4 ', ' 1.2.3.4', '1..2.3', '1.2.3.4/x', '', '1.2.3.04', '100.200.250.255/0', '1.2.3.4/1234', '2001:db8::1', 'a.b.c.d'];
  for (let i = 0; i < 2000; i++) samples.push(`${(i * 37) % 300}.${(i * 11) % 256}.${i % 10}.${(i * 7) % 260}${i % 3 ? `/${i % 40}` : ''}`);
  for (const text of samples) {
    let expected: string | undefined;
    try {
      const prefix = parsePrefix(text, 'x', 4);
      expected = `${Buffer.from(prefix.bytes).readUInt32BE(0)}/${prefix.length}`;
    } catch {
      expected = undefined;
    }
    const value = quickIPv4(text, true);
    const got = value < 0 ? undefined : `${value}/${text.includes('/') ? Number(text.split('/')[1]) : 32}`;
    if (got !== expected) t.fail(`${JSON.stringify(text)}: quick ${got}, general ${expected}`);
  }
  t.pass(`${samples.length} samples agree`);
});

t.test('PlainRoutes writes the bytes of the general path, or declines', async (t) => {
  const routes: Route[] = [
    { dst: '10.0.0.1/32', dev: 'v0', table: 100 },
    { dst: '10.1.0.0/16', gateway: '192.0.2.1', table: 300, metric: 5 },
    { dst: 'default', gateway: '192.0.2.1', dev: 'eth0' },
    { dst: '192.168.1.0/24', dev: 'eth0', src: '192.168.1.6', table: 101 },
    { dst: '10.0.0.0/8', family: 'inet', metric: 0 },
    { dst: '10.0.0.1/33', dev: 'v0' },
    { dst: '2001:db8::/32', dev: 'v0' },
    { dst: '10.0.0.0/8', dev: 'nope' },
    { dst: '10.0.0.0/8', table: 'main' },
    { dst: '10.0.0.0/8', table: 0 },
    { dst: '10.0.0.0/8', protocol: 'static' },
    { dst: '10.0.0.0/8', type: 'blackhole' },
    { dst: '10.0.0.0/8', gateway: '2001:db8::1' },
    { dst: '10.0.0.0/8', metric: -1 },
    { dst: '10.0.0.0/8', fwmark: 1 } as unknown as Route,
    Object.assign(Object.create({ inherited: 1 }), { dst: '10.0.0.0/8' }) as Route,
  ];
  let taken = 0;
  for (const route of routes) {
    for (const [intent, request] of [['add', 'add'], ['add', 'replace'], ['delete', 'delete']] as const) {
      const quick = fast(route, intent, request);
      if (quick === undefined) continue;
      taken++;
      t.equal(quick, general(route, intent, request), `${request} ${JSON.stringify(route)}`);
    }
  }
  t.equal(taken, 15, 'the fast path took the five plain routes, for each request');
  t.equal(fast({ dst: '10.0.0.0/8', dev: 'nope' }, 'add', 'add'), undefined, 'an unknown interface is left to the general path');
  t.equal(fast({ dst: '10.0.0.1/33' }, 'add', 'add'), undefined, 'a bad prefix is left to the general path');
});

/** Parses one rule into a fresh PlainRules table at index 1 (not 0, so offsets are exercised). */
function plainRule(rule: Rule, forDelete: boolean, owner?: number): PlainRules | undefined {
  const table = new PlainRules(3);
  return table.parse(1, rule, forDelete, owner) ? table : undefined;
}

t.test('PlainRules resolves a rule as resolveRule does, or declines', async (t) => {
  const rules: Rule[] = [
    ...PLAIN_RULES,
    { fwmark: 1, table: 0 },
    { fwmask: 1, table: 1 },
    { fwmark: 2 ** 32, table: 1 },
    { fwmark: 1, table: 'main' },
    { from: '10.0.0.0/8', table: 1 },
    { fwmark: 1, action: 'blackhole' },
    { fwmark: 1, protocol: 'static' } as Rule,
    Object.assign(Object.create({ inherited: 1 }) as object, { fwmark: 1 }) as Rule,
  ];
  let taken = 0;
  for (const rule of rules) {
    for (const forDelete of [false, true]) {
      for (const owner of [undefined, 42]) {
        const quick = plainRule(rule, forDelete, owner);
        if (quick === undefined) continue;
        taken++;
        const general = resolveRule(rule, 'rule', forDelete);
        if (owner !== undefined && general.protocol === undefined) general.protocol = owner;
        t.same(quick.resolved(1), general, `${forDelete ? 'delete' : 'add'} ${JSON.stringify(rule)} owner ${owner}`);
        t.equal(quick.hash(1), ruleExactHash(general), 'the same hash');
        t.equal(quick.priority(1), general.priority ?? -1, 'the same priority');
      }
    }
  }
  t.equal(taken, 24, 'the fast path took the six plain rules (table 0 among them), for add and delete, with and without an owner');
});

t.test('PlainRules.same is ruleShadows for plain rules', async (t) => {
  const rules: Rule[] = [
    { fwmark: 1, priority: 5, table: 1 },
    { fwmark: 1, fwmask: 0xffffffff, priority: 5, table: 1 },
    { fwmark: 1, fwmask: 0xff, priority: 5, table: 1 },
    { fwmark: 0, priority: 5, table: 1 },
    { fwmark: 0, fwmask: 0, priority: 5, table: 1 },
    { priority: 5, table: 1 },
    { priority: 5, table: 1, protocol: 0 },
    { priority: 5, table: 1, protocol: 4 },
    { priority: 5, table: 2 },
    { priority: 5 },
    { priority: 6, table: 1 },
    { family: 'inet6', priority: 5, table: 1 },
  ];
  const table = new PlainRules(rules.length);
  rules.forEach((rule, i) => t.ok(table.parse(i, rule, false), `plain: ${JSON.stringify(rule)}`));
  let equal = 0;
  for (let a = 0; a < rules.length; a++) {
    for (let b = 0; b < rules.length; b++) {
      const expected = ruleShadows(resolveRule(rules[a]!, 'a', false), resolveRule(rules[b]!, 'b', false));
      t.equal(table.same(a, b), expected, `${JSON.stringify(rules[a])} vs ${JSON.stringify(rules[b])}`);
      if (expected && a !== b) equal++;
    }
  }
  t.equal(equal, 14, 'pairs the kernel takes for one rule: mark 1 with and without mask 0xffffffff; mark 0, mask 0, no mark, protocol 0 (four as one)');
});

t.test('PlainRules.writeRun writes the bytes encodeRule writes, protocols and large tables included', async (t) => {
  const rules: Rule[] = [
    ...PLAIN_RULES,
    { fwmark: 0xffffffff, fwmask: 0xffffffff, priority: 0xffffffff, table: 0xffffffff, protocol: 255 },
    { fwmark: 3, priority: 4, table: 256, protocol: 128 },
  ];
  let compared = 0;
  for (const rule of rules) {
    for (const [forDelete, request] of [[false, RULE_REQUESTS.addUnchecked], [true, RULE_REQUESTS.delete]] as const) {
      for (const owner of [undefined, 42]) {
        const quick = plainRule(rule, forDelete, owner);
        if (quick === undefined) {
          t.fail(`declined ${JSON.stringify(rule)}`);
          continue;
        }
        const resolved = resolveRule(rule, 'rule', forDelete);
        if (owner !== undefined && resolved.protocol === undefined) resolved.protocol = owner;
        const fast = new Batch({ initialCapacity: 8 }); // small: the writer grows mid-batch
        fast.add({ operation: 'pad' }, 1, 0); // an earlier message, so offsets are not 0
        quick.writeRun(fast, [0, 1], 1, 2, 'x', request.type, request.flags);
        const slow = new Batch();
        slow.add({ operation: 'pad' }, 1, 0);
        slow.add({ operation: 'x', index: 1 }, request.type, request.flags, (w) => encodeRule(w, resolved));
        t.equal(fast.bytes().toString('hex'), slow.bytes().toString('hex'), `${forDelete ? 'delete' : 'add'} ${JSON.stringify(resolved)}`);
        t.same(fast.operationRef(1), { operation: 'x', index: 1 });
        compared++;
      }
    }
  }
  t.equal(compared, 28);
});

t.test('a run of plain messages of every shape, after a message of another operation, is the general path byte for byte', async (t) => {
  const routes: Route[] = [
    { dst: '10.0.0.1/32', dev: 'v0', table: 100 },
    { dst: '10.1.0.0/16', gateway: '192.0.2.1', table: 300, metric: 5 },
    { dst: 'default', gateway: '192.0.2.1', dev: 'eth0' },
    { dst: '192.168.1.0/24', dev: 'eth0', src: '192.168.1.6', table: 101 },
    { dst: '255.254.253.252/30', src: '203.0.113.255', dev: 'eth0', table: 0xffffffff, metric: 0xffffffff, protocol: 255 },
    { dst: '0.0.0.0/0', gateway: '255.255.255.255', metric: 0, table: 255, protocol: 0 },
    { dst: '128.0.0.0/1', src: '0.0.0.0', table: 256, metric: 0x80000000 },
  ];
  const { type, flags } = ROUTE_REQUESTS.add;
  const plain = new PlainRoutes(routes.length);
  const devices = new InterfaceNames();
  routes.forEach((route, i) => t.ok(plain.parse(i, route, 'add', devices), `plain: ${JSON.stringify(route)}`));
  plain.useInterfaces(devices.indexes(links));
  const fast = new Batch({ initialCapacity: 8 }); // small: the run grows the buffer
  fast.add({ operation: 'pad' }, 1, 0);
  plain.writeRun(fast, 1, routes.length, 'x', type, flags, 'add');
  plain.writeRun(fast, 0, 1, 'x', type, flags, 'add');
  const slow = new Batch();
  slow.add({ operation: 'pad' }, 1, 0);
  for (const i of [1, 2, 3, 4, 5, 6, 0]) slow.add({ operation: 'x', index: i }, type, flags, (w) => encodeRoute(w, resolveRoute(routes[i]!, 'route', 'add'), (name) => links.get(name)));
  t.equal(fast.bytes().toString('hex'), slow.bytes().toString('hex'));
  t.equal(fast.messageCount, 8);
  t.same(fast.operations, slow.operations, 'each message belongs to its item');
  for (let m = 0; m < 8; m++) t.equal(fast.messageStart(m), slow.messageStart(m), `message ${m} starts where it should`);

  const rules: Rule[] = [...PLAIN_RULES, { fwmark: 0xffffffff, fwmask: 1, priority: 0xffffffff, table: 0xffffffff, protocol: 255 }];
  const table = new PlainRules(rules.length);
  rules.forEach((rule, i) => t.ok(table.parse(i, rule, false), `plain: ${JSON.stringify(rule)}`));
  const order = [5, 3, 1, 0, 2, 4];
  const fastRules = new Batch({ initialCapacity: 8 });
  fastRules.add({ operation: 'pad' }, 1, 0);
  table.writeRun(fastRules, order, 0, order.length, 'addRules', RULE_REQUESTS.addUnchecked.type, RULE_REQUESTS.addUnchecked.flags);
  const slowRules = new Batch();
  slowRules.add({ operation: 'pad' }, 1, 0);
  for (const i of order) slowRules.add({ operation: 'addRules', index: i }, RULE_REQUESTS.addUnchecked.type, RULE_REQUESTS.addUnchecked.flags, (w) => encodeRule(w, resolveRule(rules[i]!, 'rule', false)));
  t.equal(fastRules.bytes().toString('hex'), slowRules.bytes().toString('hex'));
  t.same(fastRules.operations, slowRules.operations);
});
