/**
 * routes.get (RTM_GETROUTE for one packet) against `ip -j route get` for the same packet:
 * marks, uids, sources, ports, protocols, incoming interfaces and tos, with policy rules that make
 * each of them matter. Also routes.match (fibmatch) and refusals.
 */
import t from 'tap';
import { NetlinkError, type RouteLookup, type RouteQuery } from '../../src/index.js';
import type { TestNetns } from '../helpers/netns.js';
import { freshHandle, plumb, testTables } from './helpers.js';

/** `ip route get` arguments for a query. */
function ipArgs(query: RouteQuery): string[] {
  const args = [query.to];
  if (query.from !== undefined) args.push('from', query.from);
  if (query.iif !== undefined) args.push('iif', query.iif);
  if (query.oif !== undefined) args.push('oif', query.oif);
  if (query.mark !== undefined) args.push('mark', String(query.mark));
  if (query.uid !== undefined) args.push('uid', String(query.uid));
  if (query.ipproto !== undefined) args.push('ipproto', String(query.ipproto));
  if (query.sport !== undefined) args.push('sport', String(query.sport));
  if (query.dport !== undefined) args.push('dport', String(query.dport));
  if (query.tos !== undefined) args.push('tos', `0x${query.tos.toString(16)}`);
  return args;
}

/** ip's answer in routemark's terms: the fields both report. */
function fromIp(ns: TestNetns, query: RouteQuery): Partial<RouteLookup> {
  const answer = ns.ipJson<Record<string, unknown>[]>('route', 'get', ...ipArgs(query))[0]!;
  const out: Partial<RouteLookup> = { dst: answer.dst as string, table: (answer.table as string | undefined) ?? 'main' };
  if (answer.type !== undefined) out.type = answer.type as RouteLookup['type'];
  for (const [ipKey, key] of [['from', 'from'], ['gateway', 'gateway'], ['dev', 'dev'], ['prefsrc', 'src'], ['iif', 'iif'], ['mark', 'mark'], ['uid', 'uid']] as const) {
    if (answer[ipKey] !== undefined && answer[ipKey] !== '::') (out as Record<string, unknown>)[key] = answer[ipKey];
  }
  return out;
}

/** The same projection of routemark's answer. */
function project(lookup: RouteLookup, like: Partial<RouteLookup>): Partial<RouteLookup> {
  const out: Partial<RouteLookup> = { dst: lookup.dst, table: lookup.table };
  if (like.type !== undefined || lookup.type !== 'unicast') out.type = lookup.type;
  for (const key of ['from', 'gateway', 'dev', 'src', 'iif', 'mark', 'uid'] as const) {
    if (lookup[key] !== undefined) (out as Record<string, unknown>)[key] = lookup[key];
  }
  return out;
}

const queries: { name: string; query: RouteQuery; expect: Partial<RouteLookup> }[] = [
  { name: 'plain: main', query: { to: '203.0.113.9' }, expect: { gateway: '192.0.2.1', dev: 'v0', table: 'main' } },
  { name: 'mark 65: hof', query: { to: '203.0.113.9', mark: 65 }, expect: { gateway: '198.51.100.1', dev: 'v2', table: 'hof', mark: 65 } },
  { name: 'mark 66: not hof', query: { to: '203.0.113.9', mark: 66 }, expect: { gateway: '192.0.2.1', table: 'main' } },
  { name: 'uid 469: table 200', query: { to: '203.0.113.9', uid: 469 }, expect: { gateway: '198.51.100.3', table: 200, uid: 469 } },
  { name: 'uid 470: main', query: { to: '203.0.113.9', uid: 470 }, expect: { gateway: '192.0.2.1', table: 'main', uid: 470 } },
  { name: 'from 198.51.100.2: lan1', query: { to: '203.0.113.9', from: '198.51.100.2' }, expect: { gateway: '198.51.100.4', table: 'lan1', from: '198.51.100.2' } },
  { name: 'tcp dport 465: table 30', query: { to: '203.0.113.9', ipproto: 'tcp', dport: 465 }, expect: { gateway: '198.51.100.5', table: 30 } },
  { name: 'udp dport 465: main', query: { to: '203.0.113.9', ipproto: 'udp', dport: 465 }, expect: { table: 'main' } },
  { name: 'tcp sport 5000: table 31', query: { to: '203.0.113.9', ipproto: 'tcp', sport: 5000, dport: 80 }, expect: { gateway: '198.51.100.6', table: 31 } },
  { name: 'forwarded in from v2: table 32', query: { to: '203.0.113.9', from: '198.51.100.77', iif: 'v2' }, expect: { gateway: '192.0.2.9', table: 32, iif: 'v2' } },
  { name: 'mark and uid together: mark wins by priority', query: { to: '203.0.113.9', mark: 65, uid: 469 }, expect: { table: 'hof' } },
  { name: 'tos 0x10: table 33', query: { to: '203.0.113.9', tos: 0x10 }, expect: { gateway: '198.51.100.7', table: 33 } },
  { name: 'a local address', query: { to: '192.0.2.2' }, expect: { type: 'local', dev: 'lo', table: 'local' } },
  { name: 'IPv6 plain', query: { to: '2001:db8:77::9' }, expect: { gateway: '2001:db8::1', dev: 'v0', table: 'main' } },
  { name: 'IPv6 mark 65', query: { to: '2001:db8:77::9', mark: 65 }, expect: { gateway: '2001:db8:1::1', dev: 'v2', table: 'hof' } },
];

t.test('routes.get agrees with ip -j route get', async (t) => {
  const { ns, handle } = await freshHandle(t);
  plumb(ns);
  ns.exec('sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
  // routemark names tables 100 and 101 from the test's rt_tables; ip (below) prints their ids.
  testTables(t, handle, { hof: 100, lan1: 101 });
  await handle.routes.add({ dst: 'default', gateway: '192.0.2.1', dev: 'v0' });
  await handle.routes.add({ dst: 'default', gateway: '2001:db8::1', dev: 'v0' });
  const tables: [number, string][] = [[100, '198.51.100.1'], [200, '198.51.100.3'], [101, '198.51.100.4'], [30, '198.51.100.5'], [31, '198.51.100.6'], [32, '192.0.2.9'], [33, '198.51.100.7']];
  for (const [table, gateway] of tables) await handle.routes.add({ dst: 'default', gateway, table });
  await handle.routes.add({ dst: 'default', gateway: '2001:db8:1::1', dev: 'v2', table: 100 });
  await handle.rules.addMany([
    { fwmark: 65, priority: 1000, table: 'hof' },
    { family: 'inet6', fwmark: 65, priority: 1000, table: 'hof' },
    { uidrange: 469, priority: 1100, table: 200 },
    { from: '198.51.100.2', priority: 1200, table: 'lan1' },
    { ipproto: 'tcp', dport: 465, priority: 1300, table: 30 },
    { ipproto: 'tcp', sport: { start: 5000, end: 5999 }, priority: 1301, table: 31 },
    { iif: 'v2', priority: 1400, table: 32 },
    { tos: 0x10, priority: 1500, table: 33 },
  ], { throwOnError: true });

  // ip's names for 100 and 101 come from the machine's rt_tables, which lacks them: compare ids there.
  const ipName = (table: unknown) => (table === '100' ? 'hof' : table === '101' ? 'lan1' : typeof table === 'string' && /^\d+$/.test(table) ? Number(table) : table);
  for (const { name, query, expect } of queries) {
    const mine = await handle.routes.get(query, { tableNames: true });
    const theirs = fromIp(ns, query);
    theirs.table = ipName(theirs.table) as RouteLookup['table'];
    t.same(project(mine, theirs), theirs, `${name}: same answer as ip route get ${ipArgs(query).join(' ')}`);
    t.match(mine, expect, `${name}: the rule that should decide, decided`);
  }
});

t.test('routes.match returns the matching route as list does; refusals are NetlinkErrors', async (t) => {
  const { ns, handle } = await freshHandle(t);
  plumb(ns);
  await handle.routes.add({ dst: '203.0.113.0/24', gateway: '192.0.2.1', table: 40, metric: 7 });
  await handle.rules.add({ fwmark: 3, priority: 100, table: 40 });
  const matched = await handle.routes.match({ to: '203.0.113.50', mark: 3 });
  const listed = await handle.routes.list({ table: 40 });
  t.same(matched, listed[0], 'the fibmatch answer equals the listed route');
  t.match(ns.ipJson('route', 'get', 'fibmatch', '203.0.113.50', 'mark', '3'), [{ dst: '203.0.113.0/24', gateway: '192.0.2.1', metric: 7 }]);
  await handle.routes.delete(matched);
  t.same(ns.ipJson('route', 'show', 'table', '40'), [], 'and it deletes that route');

  await handle.rules.add({ fwmark: 4, priority: 101, action: 'prohibit' });
  const prohibited = await handle.routes.get({ to: '203.0.113.50', mark: 4 }).catch((e: unknown) => e);
  t.type(prohibited, NetlinkError);
  t.match(prohibited, { code: 'EACCES', operation: 'getRoute' }, 'a prohibit rule refuses the lookup, as ip route get reports');
  const unreachable = await handle.routes.get({ to: '203.0.113.50' }).catch((e: unknown) => e);
  t.match(unreachable, { code: 'ENETUNREACH' }, 'no route: ENETUNREACH');
  await t.rejects(handle.routes.get({ to: '203.0.113.50', iif: 'nope0' }), { name: 'ValidationError', field: 'query.iif', value: 'nope0' });
  await t.rejects(handle.routes.get({ to: '203.0.113.50', dport: 80 }), { name: 'ValidationError', field: 'query.ipproto' });
});
