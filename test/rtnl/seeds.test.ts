/**
 * The scenarios' commands, reproduced with routemark in one namespace and with `ip` in another:
 * both namespaces must end up holding exactly the same rules and routes, and `ip` (reading the
 * test's own rt_tables through a private bind mount) must show the named tables by name.
 */
import t from 'tap';
import { ValidationError } from '../../src/index.js';
import type { TestNetns } from '../helpers/netns.js';
import { freshHandle, ipJsonWithTables, ipWithTables, messagesSent, testTables } from './helpers.js';
import { makeNetns } from '../helpers/netns.js';

const TABLES = { hof: 100, lan1: 101 };

/** Links as the scenarios name them: X = tun0, Y = tun1, eth0, with addresses on them. */
function plumb(ns: TestNetns): void {
  for (const [a, b] of [['tun0', 'peer0'], ['tun1', 'peer1'], ['eth0', 'peer2']] as const) {
    ns.ip('link', 'add', a, 'type', 'veth', 'peer', 'name', b);
    ns.ip('link', 'set', a, 'up');
    ns.ip('link', 'set', b, 'up');
  }
  ns.ip('addr', 'add', '192.0.2.2/24', 'dev', 'tun0');
  ns.ip('addr', 'add', '198.51.100.2/24', 'dev', 'tun1');
  // The scenario's own LAN address, configured inside the test namespace only; nothing is sent.
  ns.ip('addr', 'add', '192.168.1.6/24', 'dev', 'eth0');
}

/** Everything a namespace holds, as ip shows it with the test's tables. */
function state(ns: TestNetns, dir: string): unknown {
  return {
    rules4: ipJsonWithTables(ns, dir, '-4', 'rule'),
    rules6: ipJsonWithTables(ns, dir, '-6', 'rule'),
    routes4: ipJsonWithTables(ns, dir, '-4', '-d', 'route', 'show', 'table', 'all'),
  };
}

t.test('the scenarios, with routemark and with ip, leave identical namespaces', async (t) => {
  const { ns, handle } = await freshHandle(t);
  const witness = makeNetns(t, 'rtnlw');
  plumb(ns);
  plumb(witness);
  const dir = testTables(t, handle, TABLES);

  // Route by mark: ip rule add fwmark 65 priority 1000 table hof; ip route add default via GW dev X table hof
  await handle.rules.add({ fwmark: 65, priority: 1000, table: 'hof' });
  await handle.routes.add({ dst: 'default', gateway: '192.0.2.1', dev: 'tun0', table: 'hof' });
  ipWithTables(witness, dir, 'rule', 'add', 'fwmark', '65', 'priority', '1000', 'table', 'hof');
  ipWithTables(witness, dir, 'route', 'add', 'default', 'via', '192.0.2.1', 'dev', 'tun0', 'table', 'hof');

  // Per-user routing: ip rule add uidrange 469-469 table 200
  await handle.rules.add({ uidrange: '469-469', table: 200 });
  ipWithTables(witness, dir, 'rule', 'add', 'uidrange', '469-469', 'table', '200');

  // Reply by the same uplink: ip rule add from 192.168.1.6 table lan1;
  // ip route add 192.168.1.0/24 dev eth0 src 192.168.1.6 table lan1
  await handle.rules.add({ from: '192.168.1.6', table: 'lan1' });
  await handle.routes.add({ dst: '192.168.1.0/24', dev: 'eth0', src: '192.168.1.6', table: 'lan1' });
  ipWithTables(witness, dir, 'rule', 'add', 'from', '192.168.1.6', 'table', 'lan1');
  ipWithTables(witness, dir, 'route', 'add', '192.168.1.0/24', 'dev', 'eth0', 'src', '192.168.1.6', 'table', 'lan1');

  // Load balancing: ip route add default nexthop via A dev X weight 1 nexthop via B dev Y weight 1
  await handle.routes.add({ dst: 'default', nexthops: [{ gateway: '192.0.2.1', dev: 'tun0', weight: 1 }, { gateway: '198.51.100.1', dev: 'tun1', weight: 1 }] });
  ipWithTables(witness, dir, 'route', 'add', 'default', 'nexthop', 'via', '192.0.2.1', 'dev', 'tun0', 'weight', '1', 'nexthop', 'via', '198.51.100.1', 'dev', 'tun1', 'weight', '1');

  const mine = state(ns, dir) as { rules4: Record<string, unknown>[]; routes4: Record<string, unknown>[] };
  t.same(mine, state(witness, dir), 'routemark and ip made the same rules and routes');

  // And ip shows the names from the test's rt_tables.
  t.same(mine.rules4, [
    { priority: 0, src: 'all', table: 'local' },
    // Without a priority the kernel takes the one below the first rule after priority 0.
    { priority: 998, src: '192.168.1.6', table: 'lan1' },
    { priority: 999, src: 'all', uid_start: 469, uid_end: 469, table: '200' },
    { priority: 1000, src: 'all', fwmark: '0x41', table: 'hof' },
    { priority: 32766, src: 'all', table: 'main' },
    { priority: 32767, src: 'all', table: 'default' },
  ]);
  t.same(ipJsonWithTables(ns, dir, 'route', 'show', 'table', 'hof'), [{ dst: 'default', gateway: '192.0.2.1', dev: 'tun0', flags: [] }]);
  t.same(ipJsonWithTables(ns, dir, 'route', 'show', 'table', 'lan1'), [{ dst: '192.168.1.0/24', dev: 'eth0', scope: 'link', prefsrc: '192.168.1.6', flags: [] }]);
  t.same(ipJsonWithTables(ns, dir, 'route', 'show', 'default'), [{
    dst: 'default', flags: [],
    nexthops: [{ gateway: '192.0.2.1', dev: 'tun0', weight: 1, flags: [] }, { gateway: '198.51.100.1', dev: 'tun1', weight: 1, flags: [] }],
  }]);

  // routemark lists the names too, and what it lists (ip's rules included) deletes cleanly.
  t.same(await handle.rules.list({ table: 'hof', tableNames: true }), [{ family: 'inet', priority: 1000, fwmark: 65, table: 'hof', action: 'lookup' }]);
  t.same(await handle.routes.list({ table: 'lan1', tableNames: true }), [
    { family: 'inet', dst: '192.168.1.0/24', dev: 'eth0', src: '192.168.1.6', table: 'lan1', protocol: 'boot', scope: 'link', type: 'unicast' },
  ]);
  for (const target of [handle]) {
    for (const rule of await target.rules.list({ family: 'inet', tableNames: true })) {
      if (rule.priority === 0 || rule.priority! >= 32766) continue;
      await target.rules.delete(rule);
    }
    for (const table of ['hof', 'lan1'] as const) {
      for (const route of await target.routes.list({ table, tableNames: true })) await target.routes.delete(route);
    }
  }
  t.same(ipJsonWithTables<unknown[]>(ns, dir, '-4', 'rule').length, 3, 'only the default rules remain');
  t.same(ipJsonWithTables(ns, dir, 'route', 'show', 'table', 'hof'), [], 'hof is empty');
});

t.test('named tables: rt_tables.d, the /usr/share fallback, and an unknown name', async (t) => {
  const { ns, handle } = await freshHandle(t);
  const dir = testTables(t, handle, { hof: 100 });
  const { mkdirSync, writeFileSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  mkdirSync(join(dir, 'rt_tables.d'), { recursive: true });
  writeFileSync(join(dir, 'rt_tables.d', 'vpn.conf'), '# a drop-in\n0x1f4 vpn\n');
  writeFileSync(join(dir, 'rt_tables.d', 'ignored.txt'), '501 ignored\n');
  await handle.rules.add({ fwmark: 1, priority: 10, table: 'vpn' });
  t.same(ipJsonWithTables(ns, dir, 'rule', 'show', 'priority', '10'), [{ priority: 10, src: 'all', fwmark: '0x1', table: 'vpn' }], 'rt_tables.d/*.conf (hex id 0x1f4 = 500)');
  await t.rejects(handle.rules.add({ fwmark: 1, priority: 11, table: 'ignored' }), { name: 'ValidationError', field: 'rule.table', value: 'ignored' }, 'only *.conf files count');

  // With no rt_tables in the configuration directory, the fallback directory's is read.
  const { TableNames, useTableNames } = await import('../../src/rtnl/tables.js');
  const etc = join(dir, 'empty-etc');
  mkdirSync(etc);
  useTableNames(handle, new TableNames({ configDir: etc, fallbackDir: dir }));
  await handle.rules.add({ fwmark: 2, priority: 12, table: 'hof' });
  t.match(await handle.rules.list({ priority: 12, tableNames: true }), [{ table: 'hof' }], 'hof from the fallback rt_tables');
  rmSync(join(dir, 'rt_tables'));
  const sent = messagesSent(handle);
  const error = await handle.rules.add({ fwmark: 2, priority: 13, table: 'hof' }).catch((e: unknown) => e);
  t.type(error, ValidationError);
  t.match(error, { field: 'rule.table', value: 'hof', message: /unknown table name/ }, 'an unknown name is refused, naming field and value');
  t.equal(messagesSent(handle), sent, 'nothing was sent');
  t.match(await handle.rules.list({ priority: 12, tableNames: true }), [{ table: 100 }], 'without a name, lists show the id');
  t.match(await handle.rules.list({ table: 'main', family: 'inet', tableNames: true }), [{ table: 'main' }], 'main, local and default are always known');
});
