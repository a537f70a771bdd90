/**
 * Route by mark and reply by the same uplink, in a namespace given as an argument (a name, a
 * path or a pid), or else in a sandbox namespace of its own
 * (`scripts/in-sandbox node dist/examples/rtnl-policy-routing.js`).
 * It makes two uplinks (veth pairs), a table per uplink and the rules that pick them, asks the
 * kernel which way three packets would go, moves a table's default route from one uplink to the
 * other by replacing the nexthop object it uses, then removes everything it made.
 */
import { open, NetlinkError, ValidationError } from 'routemark';
import { Lab } from './lab/lab.js';

const lab = process.argv[2] === undefined ? new Lab() : undefined;
const netns = process.argv[2] ?? (await lab!.node('example')).netns;
const ns = await open({ netns });
try {
  await ns.links.add({ name: 'up0', kind: 'veth', peer: { name: 'up0-peer' } });
  await ns.links.add({ name: 'up1', kind: 'veth', peer: { name: 'up1-peer' } });
  for (const name of ['up0', 'up0-peer', 'up1', 'up1-peer']) await ns.links.up(name);
  await ns.addresses.add({ address: '192.0.2.2/24', dev: 'up0' });
  await ns.addresses.add({ address: '198.51.100.2/24', dev: 'up1' });

  // ip route add default via 192.0.2.1 dev up0; ip route add default via 198.51.100.1 dev up1 table 101
  await ns.routes.add({ dst: 'default', gateway: '192.0.2.1', dev: 'up0' });
  await ns.routes.add({ dst: 'default', gateway: '198.51.100.1', dev: 'up1', table: 101 });
  // ip rule add fwmark 65 priority 1000 table 101; ip rule add from 198.51.100.2 priority 1001 table 101
  const rules = [
    { fwmark: 65, priority: 1000, table: 101, protocol: 99 },
    { from: '198.51.100.2', priority: 1001, table: 101, protocol: 99 },
  ];
  const result = await ns.rules.addMany(rules);
  console.log(`rules added: ${result.succeeded}, failed: ${result.failed}`);

  for (const query of [{ to: '203.0.113.9' }, { to: '203.0.113.9', mark: 65 }, { to: '203.0.113.9', from: '198.51.100.2' }]) {
    const route = await ns.routes.get(query);
    console.log(`ip route get ${JSON.stringify(query)} -> via ${route.gateway} dev ${route.dev} (table ${route.table})`);
  }

  // A nexthop object: routes name it by id, and replacing it moves them all at once.
  // ip nexthop add id 1 via 192.0.2.1 dev up0; ip route add default nhid 1 table 102
  await ns.nexthops.add({ id: 1, gateway: '192.0.2.1', dev: 'up0' });
  await ns.routes.add({ dst: 'default', nexthopId: 1, table: 102 });
  await ns.rules.add({ fwmark: 66, priority: 1002, table: 102, protocol: 99 });
  const viaNexthop = async (when: string) => {
    const route = await ns.routes.get({ to: '203.0.113.9', mark: 66 });
    console.log(`mark 66 ${when} -> via ${route.gateway} dev ${route.dev} (table ${route.table})`);
  };
  await viaNexthop('by nexthop 1');
  // ip nexthop replace id 1 via 198.51.100.1 dev up1
  await ns.nexthops.replace({ id: 1, gateway: '198.51.100.1', dev: 'up1' });
  await viaNexthop('after replacing nexthop 1');

  try {
    await ns.rules.add({ fwmark: 2 ** 32, table: 101 });
  } catch (error) {
    if (error instanceof ValidationError) console.log(`refused before sending: ${error.field} = ${String(error.value)}`);
  }
  try {
    await ns.rules.add(rules[0]!);
  } catch (error) {
    if (error instanceof NetlinkError) console.log(`the kernel says: ${error.code} for ${error.operation}`);
  }

  console.log(`flushed ${await ns.rules.flush({ protocol: 99 })} rules`);
} finally {
  await ns.links.delete('up0').catch(() => {});
  await ns.links.delete('up1').catch(() => {});
  ns.close();
  lab?.close();
}
