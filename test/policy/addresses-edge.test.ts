/**
 * Edge paths of deleting a document's addresses, against the kernel and witnessed by `ip`:
 * an IPv6 address with a peer, whose delete makes the kernel delete a route to the peer too
 * (refused when that route is another owner's or the document's own, and `ip` shows the kernel
 * would indeed have taken it); and an IPv4 address whose label a device rename cut short, so
 * that it no longer starts with the device's name: it is deleted with that label, nothing else
 * changes, and a rollback gives the label back; and unlabelled addresses whose labels a rename
 * numbered, which still match.
 */
import t from 'tap';
import { applyPolicy, type PolicyDocument } from '../../src/index.js';
import { addVeth, type TestNetns } from '../helpers/netns.js';
import { policyNetns } from './helpers.js';

interface IpAddressInfo {
  family: string;
  local: string;
  prefixlen: number;
  address?: string;
  label?: string;
}

/** Every address `ip -j addr` shows on `dev`, as `local/prefixlen`, with its details. */
function ipAddresses(ns: TestNetns, dev: string): Map<string, IpAddressInfo> {
  const [link] = ns.ipJson<{ addr_info: IpAddressInfo[] }[]>('addr', 'show', 'dev', dev);
  return new Map((link?.addr_info ?? []).map((a) => [`${a.local}/${a.prefixlen}`, a]));
}

const PEER = '2001:db8:51::2';
const peerAddress = { address: '2001:db8:51::1/64', peer: PEER, dev: 'v2', nodad: true };

/** The main-table routes to the peer on v2, as ip shows them: the kernel's, or by metric. */
function peerRoutes(ns: TestNetns): string[] {
  return ns
    .ipJson<{ dst: string; dev: string; metric: number; protocol: string }[]>('-6', 'route', 'show', 'table', 'main', 'exact', `${PEER}/128`)
    .filter((r) => r.dev === 'v2')
    .map((r) => (r.protocol === 'kernel' ? `kernel metric ${r.metric}` : `metric ${r.metric}`))
    .sort();
}

t.test("deleting an IPv6 address with a peer is refused when the kernel would delete another owner's route to the peer", async (t) => {
  const { ns, handle } = await policyNetns(t);
  await applyPolicy(handle, { addresses: [peerAddress] });
  t.match(ipAddresses(ns, 'v2').get('2001:db8:51::1/64'), { family: 'inet6', address: PEER }, 'the address, with its peer');
  t.same(peerRoutes(ns), ['kernel metric 256'], "the kernel's own route to the peer came with it");
  // Why metric 100: on the delete the kernel takes the first route to the peer on the device
  // (addrconf_get_prefix_route), and the routes of one prefix are in metric order: this one
  // comes before the kernel's own.
  ns.ip('-6', 'route', 'add', `${PEER}/128`, 'dev', 'v2', 'proto', '99', 'metric', '100');
  const before = [ns.ip('addr', 'show'), ns.ip('-6', 'route', 'show', 'table', 'all')];
  await t.rejects(
    applyPolicy(handle, {}),
    { name: 'PolicyConflictError', field: 'addresses', message: /2001:db8:51::1\/64 on v2 would make the kernel delete or change 1 object\(s\) of others \(route 2001:db8:51::2 table 254 proto / },
    "refused: the other owner's route to the peer",
  );
  t.same([ns.ip('addr', 'show'), ns.ip('-6', 'route', 'show', 'table', 'all')], before, 'refused: nothing changed');
  // What the refusal protects: ip deleting the address (as routemark would send it) takes the
  // other owner's route, and leaves the kernel's own.
  ns.ip('addr', 'del', '2001:db8:51::1', 'peer', `${PEER}/64`, 'dev', 'v2');
  t.notOk(ipAddresses(ns, 'v2').has('2001:db8:51::1/64'), 'ip deleted the address');
  t.same(peerRoutes(ns), ['kernel metric 256'], "the kernel deleted the other owner's route to the peer with it");
});

t.test("deleting an IPv6 address with a peer is refused when the kernel would delete the document's own route to the peer", async (t) => {
  const { ns, handle } = await policyNetns(t);
  // Metric 100 again: before the kernel's own route to the peer, so the one the kernel would take.
  const route = { dst: `${PEER}/128`, dev: 'v2', metric: 100 };
  const { plan } = await applyPolicy(handle, { addresses: [peerAddress], routes: [route] });
  t.same(plan.changes.map((c) => `${c.action} ${c.object}`), ['add address', 'add route'], 'the address, then the route');
  t.same(peerRoutes(ns), ['kernel metric 256', 'metric 100'], "the document's route and the kernel's own");
  const before = [ns.ip('addr', 'show'), ns.ip('-6', 'route', 'show', 'table', 'all')];
  const document: PolicyDocument = { routes: [route] };
  await t.rejects(
    applyPolicy(handle, document),
    { name: 'ValidationError', field: 'routes[0].dst', value: `${PEER}/128`, message: /an address of this prefix \(or peer\) on v2 is owner 201's and not in the document/ },
    'refused: the route the document keeps would go with the address',
  );
  t.same([ns.ip('addr', 'show'), ns.ip('-6', 'route', 'show', 'table', 'all')], before, 'refused: nothing changed');
  // What the refusal protects: ip deleting the address takes the document's route.
  ns.ip('addr', 'del', '2001:db8:51::1', 'peer', `${PEER}/64`, 'dev', 'v2');
  t.same(peerRoutes(ns), ['kernel metric 256'], "the kernel deleted the document's route to the peer with the address");
});

/** A route as `ip -j route` shows it (with more fields than these). */
interface IpRoute {
  type?: string;
  dst: string;
}

/** `ip -j` state of the namespace, IPv4 and IPv6: every address of every device, every route of every table. */
function snapshot(ns: TestNetns): { addresses: object[]; routes: IpRoute[] } {
  const addresses = ns
    .ipJson<{ ifname: string; addr_info: object[] }[]>('addr', 'show')
    .flatMap((link) => link.addr_info.map((a) => ({ ifname: link.ifname, ...a })));
  const routes = [...ns.ipJson<IpRoute[]>('-4', 'route', 'show', 'table', 'all'), ...ns.ipJson<IpRoute[]>('-6', 'route', 'show', 'table', 'all')];
  return { addresses, routes };
}

t.test('an owned IPv4 address whose label a rename cut short is deleted with that label; nothing else changes', async (t) => {
  const { ns, handle } = await policyNetns(t);
  // Another owner's address first on v4: the kernel renames the first address's label to the
  // bare device name, and only the others keep a suffix.
  addVeth(ns, 'v4', 'v5', { address: '10.95.0.1/24' });
  await applyPolicy(handle, { addresses: [{ address: '10.80.0.1/24', dev: 'v4', label: 'v4:app' }] });
  t.match(ipAddresses(ns, 'v4').get('10.80.0.1/24'), { label: 'v4:app' }, 'the address, with its label');
  // Renamed down (older kernels refuse to rename a device that is up). A plain rename keeps the
  // label in step with the name (inetdev_changename); a name that leaves no room for the suffix
  // in IFNAMSIZ (12 + ':app' > 15) gets the suffix written over its end.
  const rename = (from: string, to: string) => {
    ns.ip('link', 'set', 'dev', from, 'down');
    ns.ip('link', 'set', 'dev', from, 'name', to);
    ns.ip('link', 'set', 'dev', to, 'up');
  };
  rename('v4', 'w4');
  t.match(ipAddresses(ns, 'w4').get('10.80.0.1/24'), { label: 'w4:app' }, 'a plain rename: the label follows the name');
  rename('w4', 'abcdefghijkl');
  const renamed = ipAddresses(ns, 'abcdefghijkl');
  t.match(renamed.get('10.80.0.1/24'), { label: 'abcdefghijk:app' }, 'a long name: the label no longer starts with it');
  t.match(renamed.get('10.95.0.1/24'), { label: 'abcdefghijkl' }, "the other owner's address, first, took the bare name");
  const before = snapshot(ns);

  const { plan } = await applyPolicy(handle, {});
  t.same(
    plan.changes,
    [{ object: 'address', action: 'delete', operation: 'deleteAddress', address: { family: 'inet', address: '10.80.0.1/24', dev: 'abcdefghijkl', label: 'abcdefghijk:app', scope: 'global', protocol: 201 }}],
    'one delete, with the label as listed (the kernel takes any label of up to 15 bytes)',
  );
  const after = snapshot(ns);
  const mentions = (item: unknown) => JSON.stringify(item).includes('"10.80.0.');
  t.ok(before.addresses.some(mentions), 'before: the address was there');
  t.notOk(after.addresses.some(mentions), 'the address is gone');
  t.same(after.addresses, before.addresses.filter((a) => !mentions(a)), 'every other address is as it was, labels included');
  t.same(
    before.routes.filter(mentions).map((r) => `${r.type ?? 'unicast'} ${r.dst}`).sort(),
    ['broadcast 10.80.0.255', 'local 10.80.0.1', 'unicast 10.80.0.0/24'],
    "the kernel's own routes for the address, before",
  );
  t.same(after.routes, before.routes.filter((r) => !mentions(r)), "every route is as it was, but the kernel's own for the address");
  t.same((await applyPolicy(handle, {})).changed, false, 'again: nothing to do');

  // Once more, with an apply that fails after the delete: the rollback puts the address back
  // with that label (`ip addr add ... label abcdefghijk:app` takes it too).
  rename('abcdefghijkl', 'w4');
  await applyPolicy(handle, { addresses: [{ address: '10.80.0.1/24', dev: 'w4', label: 'w4:app' }] });
  rename('w4', 'abcdefghijkl');
  t.match(ipAddresses(ns, 'abcdefghijkl').get('10.80.0.1/24'), { label: 'abcdefghijk:app' }, 'the cut-short label again');
  const failed = await applyPolicy(handle, { sysctls: { 'net.ipv4.ip_local_port_range': '40000 30000' } }).catch((e: unknown) => e);
  t.match(failed, { name: 'PolicyApplyError', operation: 'setSysctl', rolledBack: true }, 'the apply failed and was rolled back in full');
  t.match(ipAddresses(ns, 'abcdefghijkl').get('10.80.0.1/24'), { label: 'abcdefghijk:app' }, 'the address is back, with its cut-short label');
});

t.test("owned unlabelled addresses keep matching the document after a rename numbers their labels", async (t) => {
  const { ns, handle } = await policyNetns(t);
  addVeth(ns, 'v4', 'v5');
  const rename = (from: string, to: string) => {
    ns.ip('link', 'set', 'dev', from, 'down');
    ns.ip('link', 'set', 'dev', from, 'name', to);
    ns.ip('link', 'set', 'dev', to, 'up');
  };
  const on = (dev: string): PolicyDocument => ({
    addresses: [
      { address: '10.81.0.1/24', dev },
      { address: '10.82.0.1/24', dev },
      { address: '10.83.0.1/24', dev },
    ],
  });
  const labels = (dev: string) => [...ipAddresses(ns, dev).values()].filter((a) => a.family === 'inet').map((a) => `${a.local} ${a.label}`);
  t.same((await applyPolicy(handle, on('v4'))).changed, true, 'the addresses are added');
  t.same(labels('v4'), ['10.81.0.1 v4', '10.82.0.1 v4', '10.83.0.1 v4'], 'each labelled with the bare name');

  rename('v4', 'w4');
  t.same(labels('w4'), ['10.81.0.1 w4', '10.82.0.1 w4:2', '10.83.0.1 w4:3'], 'the kernel numbers all but the first (inetdev_changename)');
  const again = await applyPolicy(handle, on('w4'));
  t.same(again.plan.changes, [], 'the document with the new name: nothing to change');
  t.same(labels('w4'), ['10.81.0.1 w4', '10.82.0.1 w4:2', '10.83.0.1 w4:3'], 'the labels stay');
  // A label the document does ask for is compared as before: a kernel-numbered one is not it.
  const labelled = on('w4');
  labelled.addresses![1] = { address: '10.82.0.1/24', dev: 'w4', label: 'w4:app' };
  await t.rejects(applyPolicy(handle, labelled), { name: 'PolicyConflictError', message: /10\.82\.0\.1\/24 on w4 is owner 201's with label w4:2/ }, 'another label than the one asked for conflicts');
  ns.ip('addr', 'add', '10.84.0.1/24', 'dev', 'w4', 'label', 'w4:9'); // not the owner's

  const long = 'abcdefghijklmno';
  rename('w4', long);
  t.same(
    labels(long),
    [`10.81.0.1 ${long}`, '10.82.0.1 abcdefghijklm:2', '10.83.0.1 abcdefghijklm:3', '10.84.0.1 abcdefghijklm:9'],
    'a 15-character name: the numbers written over its end',
  );
  t.same((await applyPolicy(handle, on(long))).plan.changes, [], 'still nothing to change');
  rename(long, 'q4');
  t.same(labels('q4'), ['10.81.0.1 q4', '10.82.0.1 q4:2', '10.83.0.1 q4:3', '10.84.0.1 q4:9'], 'a later rename keeps the numbers');
  t.same((await applyPolicy(handle, on('q4'))).plan.changes, [], 'and the owned ones still match');
  const gone = await applyPolicy(handle, { addresses: [{ address: '10.81.0.1/24', dev: 'q4' }] });
  t.same(gone.plan.changes.map((c) => `${c.action} ${JSON.stringify(c.object === 'address' ? c.address : c)}`), [
    'delete {"family":"inet","address":"10.83.0.1/24","dev":"q4","label":"q4:3","scope":"global","protocol":201}',
    'delete {"family":"inet","address":"10.82.0.1/24","dev":"q4","label":"q4:2","scope":"global","protocol":201}',
  ], 'left out, they are deleted with their numbered labels');
  t.same(labels('q4'), ['10.81.0.1 q4', '10.84.0.1 q4:9'], 'and gone; the one ip made stays');
});

t.test("deleting a /128 IPv6 address: the kernel deletes a gateway-less main-table route to it too, whoever's", async (t) => {
  const { ns, handle } = await policyNetns(t);
  const host = { address: '2001:db8:60::1/128', dev: 'v2', nodad: true };
  await applyPolicy(handle, { addresses: [host] });
  // Metric 100: before the kernel's own prefix route (256), so the one the kernel takes.
  ns.ip('-6', 'route', 'add', '2001:db8:60::1/128', 'dev', 'v2', 'proto', '99', 'metric', '100');
  const before = [ns.ip('addr', 'show'), ns.ip('-6', 'route', 'show', 'table', 'all')];
  await t.rejects(applyPolicy(handle, {}), { name: 'PolicyConflictError', field: 'addresses', message: /route 2001:db8:60::1 table 254 proto/ }, "refused: the other owner's route would go");
  t.same([ns.ip('addr', 'show'), ns.ip('-6', 'route', 'show', 'table', 'all')], before, 'refused: nothing changed');
  ns.ip('-6', 'route', 'del', '2001:db8:60::1/128', 'dev', 'v2', 'proto', '99', 'metric', '100');
  // The document's own route of that kind: a ValidationError naming it.
  const route = { dst: '2001:db8:60::1/128', dev: 'v2', metric: 100 };
  await applyPolicy(handle, { addresses: [host], routes: [route] });
  await t.rejects(applyPolicy(handle, { routes: [route] }), { name: 'ValidationError', field: 'routes[0].dst' }, "refused: the document's own route would go");
  // What the refusals protect: ip deleting the address takes the metric-100 route with it.
  ns.ip('addr', 'del', '2001:db8:60::1/128', 'dev', 'v2');
  const left = ns.ipJson<{ dst: string; metric: number }[]>('-6', 'route', 'show', 'table', 'main', 'exact', '2001:db8:60::1/128');
  t.notOk(left.some((r) => r.metric === 100), 'the kernel deleted the metric-100 route to the /128 with the address');
});
