/**
 * The bulk fast paths (src/rtnl/fast.ts) against the general path: for many plain and
 * not-so-plain inputs, writePlainRoute writes exactly the bytes resolveRoute + encodeRoute write,
 * resolvePlainRule returns exactly what resolveRule returns, and both decline (so the general
 * path runs and reports) whenever they cannot be sure. No root needed.
 */
import t from 'tap';
import { Batch } from '../../src/netlink/batch.js';
import { parsePrefix } from '../../src/common/ip.js';
import { quickIPv4, resolvePlainRule, writePlainRoute, writePlainRule } from '../../src/rtnl/fast.js';
import { ROUTE_REQUESTS, encodeRoute, resolveRoute, type Route, type RouteIntent } from '../../src/rtnl/routes.js';
import { RULE_REQUESTS, encodeRule, resolveRule, type Rule } from '../../src/rtnl/rules.js';

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

function fast(route: Route, intent: RouteIntent, request: keyof typeof ROUTE_REQUESTS): string | undefined {
  const batch = new Batch();
  const { type, flags } = ROUTE_REQUESTS[request];
  return writePlainRoute(batch, 'x', 0, type, flags, route, intent, links) ? batch.bytes().toString('hex') : undefined;
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

t.test('writePlainRoute writes the bytes of the general path, or declines', async (t) => {
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

t.test('resolvePlainRule equals resolveRule, or declines', async (t) => {
  const rules: Rule[] = [
    ...PLAIN_RULES,
    { fwmark: 1, table: 0 },
    { fwmask: 1, table: 1 },
    { fwmark: 2 ** 32, table: 1 },
    { fwmark: 1, table: 'main' },
    { from: '10.0.0.0/8', table: 1 },
    { fwmark: 1, action: 'blackhole' },
    { fwmark: 1, protocol: 'static' } as Rule,
  ];
  let taken = 0;
  for (const rule of rules) {
    for (const forDelete of [false, true]) {
      const quick = resolvePlainRule(rule, forDelete);
      if (quick === undefined) continue;
      taken++;
      t.same(quick, resolveRule(rule, 'rule', forDelete), `${forDelete ? 'delete' : 'add'} ${JSON.stringify(rule)}`);
    }
  }
  t.equal(taken, 12, 'the fast path took the six plain rules, for add and delete');
});

t.test('writePlainRule writes the bytes encodeRule writes, protocols and large tables included', async (t) => {
  const rules: Rule[] = [
    ...PLAIN_RULES,
    { fwmark: 0xffffffff, fwmask: 0xffffffff, priority: 0xffffffff, table: 0xffffffff, protocol: 255 },
    { fwmark: 3, priority: 4, table: 256, protocol: 128 },
  ];
  let compared = 0;
  for (const rule of rules) {
    for (const [forDelete, request] of [[false, RULE_REQUESTS.addUnchecked], [true, RULE_REQUESTS.delete]] as const) {
      const resolved = resolvePlainRule(rule, forDelete);
      if (resolved === undefined) {
        t.fail(`declined ${JSON.stringify(rule)}`);
        continue;
      }
      for (const owner of [undefined, 42]) {
        if (owner !== undefined && resolved.protocol === undefined) resolved.protocol = owner;
        const quick = new Batch({ initialCapacity: 8 }); // small: the writer grows mid-batch
        quick.add({ operation: 'pad' }, 1, 0); // an earlier message, so offsets are not 0
        writePlainRule(quick, 'x', 0, request.type, request.flags, resolved);
        const slow = new Batch();
        slow.add({ operation: 'pad' }, 1, 0);
        slow.add({ operation: 'x', index: 0 }, request.type, request.flags, (w) => encodeRule(w, resolved));
        t.equal(quick.bytes().toString('hex'), slow.bytes().toString('hex'), `${forDelete ? 'delete' : 'add'} ${JSON.stringify(resolved)}`);
        t.same(quick.operationRef(1), { operation: 'x', index: 0 });
        compared++;
      }
    }
  }
  t.equal(compared, 28);
});
