/**
 * Bad input is refused in TypeScript before anything that changes the kernel is sent: a
 * ValidationError naming the field path and the bad value, and the namespace unchanged. The
 * cases are the (10.0.0.1/33, an unknown table name, port range 10-5, a mark above
 * 2^32-1, an unknown interface), in single and bulk calls.
 */
import t from 'tap';
import { ValidationError, type Handle } from '../../src/index.js';
import type { TestNetns } from '../helpers/netns.js';
import { freshHandle, messagesSent } from './helpers.js';

function snapshot(ns: TestNetns): string {
  return JSON.stringify([ns.ipJson('-4', 'rule'), ns.ipJson('-6', 'rule'), ns.ipJson('route', 'show', 'table', 'all'), ns.ipJson('addr')]);
}

const cases: { name: string; call: (h: Handle) => Promise<unknown>; field: string; value: unknown; lookups?: boolean }[] = [
  { name: 'prefix length 33 in a rule', call: (h) => h.rules.add({ from: '10.0.0.1/33', table: 1 }), field: 'rule.from', value: '10.0.0.1/33' },
  { name: 'prefix length 33 in a route', call: (h) => h.routes.add({ dst: '10.0.0.1/33', dev: 'lo' }), field: 'route.dst', value: '10.0.0.1/33' },
  { name: 'prefix length 33 in an address', call: (h) => h.addresses.add({ address: '10.0.0.1/33', dev: 'lo' }), field: 'address.address', value: '10.0.0.1/33' },
  { name: 'unknown table name in a rule', call: (h) => h.rules.add({ fwmark: 1, table: 'no-such-table' }), field: 'rule.table', value: 'no-such-table' },
  { name: 'unknown table name in a route', call: (h) => h.routes.add({ dst: 'default', dev: 'lo', table: 'no-such-table' }), field: 'route.table', value: 'no-such-table' },
  { name: 'unknown table name in a list filter', call: (h) => h.routes.list({ table: 'no-such-table' }), field: 'filter.table', value: 'no-such-table' },
  { name: 'port range 10-5', call: (h) => h.rules.add({ ipproto: 'tcp', dport: '10-5', table: 1 }), field: 'rule.dport', value: '10-5' },
  { name: 'port range {10, 5}', call: (h) => h.rules.add({ ipproto: 'tcp', sport: { start: 10, end: 5 }, table: 1 }), field: 'rule.sport', value: { start: 10, end: 5 } },
  { name: 'mark above 2^32-1', call: (h) => h.rules.add({ fwmark: 2 ** 32, table: 1 }), field: 'rule.fwmark', value: 2 ** 32 },
  { name: 'mark above 2^32-1 in a lookup', call: (h) => h.routes.get({ to: '192.0.2.1', mark: 2 ** 32 }), field: 'query.mark', value: 2 ** 32 },
  { name: 'negative mark', call: (h) => h.rules.add({ fwmark: -1, table: 1 }), field: 'rule.fwmark', value: -1 },
  { name: 'unknown interface in a route', call: (h) => h.routes.add({ dst: 'default', gateway: '192.0.2.1', dev: 'nope0' }), field: 'route.dev', value: 'nope0', lookups: true },
  { name: 'unknown interface in a nexthop', call: (h) => h.routes.add({ dst: 'default', nexthops: [{ dev: 'lo' }, { gateway: '192.0.2.1', dev: 'nope1' }] }), field: 'route.nexthops[1].dev', value: 'nope1', lookups: true },
  { name: 'unknown interface for an address', call: (h) => h.addresses.add({ address: '192.0.2.2/24', dev: 'nope2' }), field: 'address.dev', value: 'nope2', lookups: true },
  { name: 'unknown master', call: (h) => h.links.set('lo', { master: 'nope3' }), field: 'changes.master', value: 'nope3', lookups: true },
  { name: 'an unknown family in a rule list', call: (h) => h.rules.list({ family: 'ipv4' as never }), field: 'filter.family', value: 'ipv4' },
  { name: 'an unknown family in a route list', call: (h) => h.routes.list({ family: 'inet4' as never }), field: 'filter.family', value: 'inet4' },
  { name: 'an unknown family in an address list', call: (h) => h.addresses.list({ family: 6 as never }), field: 'filter.family', value: 6 },
  { name: 'the unspecified address (the kernel keeps nothing)', call: (h) => h.addresses.add({ address: '0.0.0.0/0', dev: 'lo' }), field: 'address.address', value: '0.0.0.0/0' },
  { name: 'a typo in a field name', call: (h) => h.rules.add({ fwMark: 1 } as never), field: 'rule.fwMark', value: 1 },
  { name: 'an unknown action', call: (h) => h.rules.add({ action: 'drop' } as never), field: 'rule.action', value: 'drop' },
  { name: 'an unknown route type', call: (h) => h.routes.add({ dst: '10.0.0.0/8', type: 'nope' } as never), field: 'route.type', value: 'nope' },
  { name: 'a valid lifetime of 0', call: (h) => h.addresses.add({ address: '192.0.2.2/24', dev: 'lo', validLifetime: 0 }), field: 'address.validLifetime', value: 0 },
  { name: 'a preferred lifetime longer than the valid one', call: (h) => h.addresses.add({ address: '192.0.2.2/24', dev: 'lo', validLifetime: 10, preferredLifetime: 20 }), field: 'address.preferredLifetime', value: 20 },
  { name: 'a route preference on an IPv4 route', call: (h) => h.routes.add({ dst: '10.0.0.0/8', dev: 'lo', pref: 'high' }), field: 'route.pref', value: 'high' },
  { name: 'a negative expiry', call: (h) => h.routes.add({ dst: '2001:db8::/32', dev: 'lo', expires: -1 }), field: 'route.expires', value: -1 },
  { name: 'weight 0', call: (h) => h.routes.add({ dst: '10.0.0.0/8', nexthops: [{ gateway: '192.0.2.1', weight: 0 }] }), field: 'route.nexthops[0].weight', value: 0 },
  { name: 'an IPv4 gateway on an IPv6 route', call: (h) => h.routes.add({ dst: '2001:db8::/32', gateway: '192.0.2.1' }), field: 'route.gateway', value: '192.0.2.1' },
  { name: 'a family mismatch in a rule', call: (h) => h.rules.add({ from: '192.0.2.0/24', to: '2001:db8::/32' }), field: 'rule.to', value: '2001:db8::/32' },
  { name: 'uid -1', call: (h) => h.rules.add({ uidrange: 0xffffffff, table: 1 }), field: 'rule.uidrange', value: 0xffffffff },
];

for (const c of cases) {
  t.test(`refused before I/O: ${c.name}`, async (t) => {
    const { ns, handle } = await freshHandle(t);
    await handle.rules.list(); // the socket is open and counting
    const before = snapshot(ns);
    const sent = messagesSent(handle);
    const error = await c.call(handle).then(() => undefined, (e: unknown) => e);
    t.type(error, ValidationError, 'a ValidationError');
    t.match(error, { field: c.field, code: 'ERR_ROUTEMARK_INVALID' }, `names the field ${c.field}`);
    t.same((error as ValidationError).value, c.value, 'and the value');
    t.match((error as Error).message, c.field, 'the message names the field');
    // An interface name can only be checked by asking the kernel (a read); anything else is
    // refused with nothing sent at all.
    if (!c.lookups) t.equal(messagesSent(handle), sent, 'nothing was sent');
    t.equal(snapshot(ns), before, 'the namespace is unchanged');
  });
}

t.test('one bad item refuses the whole bulk call before anything is sent', async (t) => {
  const { ns, handle } = await freshHandle(t);
  await handle.rules.list();
  const before = snapshot(ns);
  const sent = messagesSent(handle);
  const rules = Array.from({ length: 100 }, (_, i) => ({ fwmark: i + 1, priority: 1000 + i, table: 1 }));
  rules[57] = { fwmark: 2 ** 32, priority: 1057, table: 1 };
  await t.rejects(handle.rules.addMany(rules), { name: 'ValidationError', field: 'rules[57].fwmark', value: 2 ** 32 });
  const routes = Array.from({ length: 100 }, (_, i) => ({ dst: `10.0.${i}.0/24`, dev: 'lo', table: 1 }));
  routes[42] = { dst: '10.0.42.0/24', dev: 'nope0', table: 1 };
  await t.rejects(handle.routes.addMany(routes), { name: 'ValidationError', field: 'routes[42].dev', value: 'nope0' });
  routes[42] = { dst: '10.0.42.1/33', dev: 'lo', table: 1 };
  await t.rejects(handle.routes.deleteMany(routes), { name: 'ValidationError', field: 'routes[42].dst', value: '10.0.42.1/33' });
  t.ok(messagesSent(handle) - sent <= 3, 'at most the three interface lookups (reads: lo, nope0, lo) were sent');
  t.equal(snapshot(ns), before, 'the namespace is unchanged');
});
