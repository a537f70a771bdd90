/**
 * Route by mark with nf_tables: packets to tcp port 465 get mark 65 in a `type route` output
 * chain (so the kernel routes them again), the mark is saved into conntrack and restored on
 * later packets, and `ip rule fwmark 65` sends them through their own table. Then the ruleset
 * is listed back as nftables JSON. Runs in a sandbox namespace of its own
 * (`scripts/in-sandbox node dist/examples/nft-mark-routing.js`).
 */
import type { NftCommand } from 'routemark';
import { withLab } from './lab/lab.js';

await withLab(async (lab) => {
  const host = await lab.node('host');
  await lab.node('isp2');
  await lab.link('host:uplink2', 'isp2:d2', { a: '198.51.100.1/24', b: '198.51.100.2/24' });
  const handle = host.handle;

  const table = { family: 'ip', table: 'routemark' } as const;
  const meta = (key: string) => ({ meta: { key } });
  const ct = (key: string) => ({ ct: { key } });
  const document: NftCommand[] = [
    { add: { table: { family: 'ip', name: 'routemark', flags: ['owner'] } } },
    { add: { chain: { ...table, name: 'mark_out', type: 'route', hook: 'output', prio: -150, policy: 'accept' } } },
    { add: { chain: { ...table, name: 'restore', type: 'filter', hook: 'prerouting', prio: -150, policy: 'accept' } } },
    { add: { chain: { ...table, name: 'save', type: 'filter', hook: 'postrouting', prio: -150, policy: 'accept' } } },
    // nft add rule ip routemark mark_out tcp dport 465 meta mark set 65
    { add: { rule: { ...table, chain: 'mark_out', expr: [{ match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: 465 } }, { mangle: { key: meta('mark'), value: 65 } }] } } },
    // nft add rule ip routemark restore meta mark set ct mark
    { add: { rule: { ...table, chain: 'restore', expr: [{ mangle: { key: meta('mark'), value: ct('mark') } }] } } },
    // nft add rule ip routemark save ct mark set meta mark
    { add: { rule: { ...table, chain: 'save', expr: [{ mangle: { key: ct('mark'), value: meta('mark') } }] } } },
  ];
  const { handles } = await handle.nft.apply(document);
  console.log(`applied; rule handles: ${handles.filter((h) => h !== undefined).join(', ')}`);

  // ip rule add fwmark 65 lookup 100; ip route add default via 198.51.100.2 table 100
  await handle.rules.add({ fwmark: 65, priority: 1000, table: 100 });
  await handle.routes.add({ dst: 'default', gateway: '198.51.100.2', dev: 'uplink2', table: 100 });
  console.log(`a packet marked 65 leaves by ${(await handle.routes.get({ to: '203.0.113.10', mark: 65 })).dev}`);

  console.log('\nnft -j list ruleset, as routemark reads it:');
  for (const object of (await handle.nft.list()).nftables) console.log(`  ${JSON.stringify(object)}`);
  // The table is owned by the handle (flags: ['owner']): closing the handle removes it.
});
