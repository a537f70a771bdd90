/**
 * The demo: builds a sandbox namespace with a veth link, routes packets marked 65 through a
 * table of their own, shows what the kernel holds, and cleans up. It runs inside
 * scripts/in-sandbox (`npm run demo`), so the host's own network is never touched.
 */
import { execFileSync } from 'node:child_process';
import { open } from 'routemark';

const ns = `rm-demo-${process.pid}`;
execFileSync('ip', ['netns', 'add', ns]);
try {
  execFileSync('ip', ['-n', ns, 'link', 'add', 'uplink0', 'type', 'veth', 'peer', 'name', 'uplink0-peer']);
  execFileSync('ip', ['-n', ns, 'link', 'set', 'uplink0', 'up']);
  execFileSync('ip', ['-n', ns, 'link', 'set', 'uplink0-peer', 'up']);
  execFileSync('ip', ['-n', ns, 'addr', 'add', '192.0.2.2/24', 'dev', 'uplink0']);

  const handle = await open({ netns: ns });
  console.log(`routemark demo in network namespace ${ns}\n`);
  console.log('ip rule add fwmark 65 priority 1000 table 1');
  await handle.rules.add({ fwmark: 65, priority: 1000, table: 1 });
  console.log('ip route add default via 192.0.2.1 dev uplink0 table 1\n');
  await handle.routes.add({ dst: 'default', gateway: '192.0.2.1', dev: 'uplink0', table: 1 });

  console.log('Rules the kernel holds:');
  for (const rule of await handle.rules.list({ family: 'inet' })) {
    const mark = rule.fwmark !== undefined ? ` fwmark 0x${rule.fwmark.toString(16)}` : '';
    console.log(`  ${rule.priority}:\tfrom ${rule.from ?? 'all'}${mark} lookup ${rule.table}`);
  }
  console.log('\nRoutes in table 1:');
  for (const route of await handle.routes.list({ table: 1 })) {
    console.log(`  ${route.dst} via ${route.gateway} dev ${route.dev} proto ${route.protocol}`);
  }
  handle.close();
} finally {
  execFileSync('ip', ['netns', 'del', ns]);
}
