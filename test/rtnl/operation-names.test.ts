/**
 * Errors name the operation the caller asked for (src/rtnl/*-api.ts, base.ts attributeTo), also
 * when what failed was a request the call made on the way: resolving interface names, naming
 * interfaces for a listing, the dump a bulk call checks duplicates against, the listing a flush
 * deletes from. The message still says which request that was.
 *
 * Found in review and fixed: `routes.list()` and `addresses.list()` failed as `listLinks`,
 * `rules.addMany()` as `listRules`, `routes.add({ dev })` as `lookupLink`, `links.add` of a tun
 * whose MTU the kernel refused as `setLink`, `rules.remove()` as `deleteRule`, `routes.match()` as
 * `getRoute`, the flushes as the listings they start with, and `links.up()`/`links.down()` as
 * `setLink`. The refusal of `rules.flush` named the field `filter` but gave a rule as its value;
 * it now gives the filter.
 *
 * The failures are real: a handle closed before the call (its sockets refuse everything), a handle
 * closed while the preliminary request is with the kernel, a socket that fails for good while the
 * request is in flight (the addon's unrecoverable recv error, reported at the point the addon
 * reports it), and refusals by the kernel itself (a tap's MTU, a lookup a prohibit rule refuses).
 */
import t from 'tap';
import { NetlinkError, ValidationError, open, type Handle, type Rule } from '../../src/index.js';
import { NETLINK_ROUTE } from '../../src/netlink/constants.js';
import { addVeth, makeNetns, type TeardownHost, type TestNetns } from '../helpers/netns.js';
import { rejection } from './helpers.js';

/** The assertions checkNamed makes (a subtest's, which has the root's). */
type Assertions = Pick<typeof t, 'type' | 'equal' | 'match'>;

/** What a call is expected to fail with: its operation, and the step its message names. */
interface Expected {
  operation: string;
  /** How the message says which request failed (a pattern), or undefined for the call's own request. */
  step?: RegExp;
}

const RESOLVING = /resolving interface names \(RTM_GETLINK\)/;
const NAMING = /naming interfaces \(RTM_GETLINK dump\)/;
const NAMING_OR_RESOLVING = /(naming interfaces \(RTM_GETLINK dump\)|resolving interface names \(RTM_GETLINK\))/;

/** A namespace with a veth pair v0 <-> v1 (v0 has 192.0.2.2/24), removed when the test ends. */
function withVeth(t: TeardownHost): TestNetns {
  const ns = makeNetns(t, 'rmop');
  addVeth(ns, 'v0', 'v1', { address: '192.0.2.2/24' });
  return ns;
}

/** Rules with priorities, so that addMany takes its fast path: one dump first, for duplicates. */
const PRIORITIZED: Rule[] = [
  { fwmark: 65, priority: 1000, table: 100 },
  { fwmark: 66, priority: 1001, table: 100 },
];

/** Every public call that makes a request before its own, with what it must fail with. */
function callsWithAPreliminaryRequest(handle: Handle): [string, () => Promise<unknown>, Expected][] {
  const route = { dst: '10.9.0.0/16', gateway: '192.0.2.1', dev: 'v0' };
  const address = { address: '192.0.2.9/24', dev: 'v0' };
  return [
    ['routes.list()', () => handle.routes.list(), { operation: 'listRoutes', step: NAMING }],
    ['routes.list({ dev })', () => handle.routes.list({ dev: 'v0' }), { operation: 'listRoutes', step: NAMING_OR_RESOLVING }],
    ['routes.add', () => handle.routes.add(route), { operation: 'addRoute', step: RESOLVING }],
    ['routes.replace', () => handle.routes.replace(route), { operation: 'replaceRoute', step: RESOLVING }],
    ['routes.append', () => handle.routes.append(route), { operation: 'appendRoute', step: RESOLVING }],
    ['routes.delete', () => handle.routes.delete(route), { operation: 'deleteRoute', step: RESOLVING }],
    ['routes.get({ iif })', () => handle.routes.get({ to: '10.9.0.1', iif: 'v0' }), { operation: 'getRoute', step: RESOLVING }],
    ['routes.match({ oif })', () => handle.routes.match({ to: '10.9.0.1', oif: 'v0' }), { operation: 'matchRoute', step: RESOLVING }],
    ['routes.addMany', () => handle.routes.addMany([route]), { operation: 'addRoutes', step: RESOLVING }],
    ['routes.replaceMany', () => handle.routes.replaceMany([route]), { operation: 'replaceRoutes', step: RESOLVING }],
    ['routes.deleteMany', () => handle.routes.deleteMany([route]), { operation: 'deleteRoutes', step: RESOLVING }],
    ['routes.flush', () => handle.routes.flush({ table: 'all', protocol: 99 }), { operation: 'flushRoutes', step: NAMING }],
    ['addresses.list()', () => handle.addresses.list(), { operation: 'listAddresses', step: NAMING }],
    ['addresses.add', () => handle.addresses.add(address), { operation: 'addAddress', step: RESOLVING }],
    ['addresses.replace', () => handle.addresses.replace(address), { operation: 'replaceAddress', step: RESOLVING }],
    ['addresses.delete', () => handle.addresses.delete(address), { operation: 'deleteAddress', step: RESOLVING }],
    ['addresses.usable', () => handle.addresses.usable(address), { operation: 'usableAddress', step: RESOLVING }],
    ['links.add (vlan)', () => handle.links.add({ name: 'v0.10', kind: 'vlan', link: 'v0', vlanId: 10 }), { operation: 'addLink', step: RESOLVING }],
    ['links.delete', () => handle.links.delete('v1'), { operation: 'deleteLink', step: RESOLVING }],
    ['links.set', () => handle.links.set('v0', { mtu: 1400 }), { operation: 'setLink', step: RESOLVING }],
    ['links.up', () => handle.links.up('v0'), { operation: 'upLink', step: RESOLVING }],
    ['links.down', () => handle.links.down('v0'), { operation: 'downLink', step: RESOLVING }],
    ['neighbours.list()', () => handle.neighbours.list(), { operation: 'listNeighbours', step: NAMING }],
    ['neighbours.add', () => handle.neighbours.add({ address: '192.0.2.1', lladdr: '02:00:00:00:00:01', dev: 'v0' }), { operation: 'addNeighbour', step: RESOLVING }],
    ['neighbours.replace', () => handle.neighbours.replace({ address: '192.0.2.1', lladdr: '02:00:00:00:00:01', dev: 'v0' }), { operation: 'replaceNeighbour', step: RESOLVING }],
    ['neighbours.delete', () => handle.neighbours.delete({ address: '192.0.2.1', dev: 'v0' }), { operation: 'deleteNeighbour', step: RESOLVING }],
    ['neighbours.flush({ dev })', () => handle.neighbours.flush({ dev: 'v0' }), { operation: 'flushNeighbours', step: NAMING_OR_RESOLVING }],
    ['nexthops.add', () => handle.nexthops.add({ id: 1, gateway: '192.0.2.1', dev: 'v0' }), { operation: 'addNexthop', step: RESOLVING }],
    ['nexthops.replace', () => handle.nexthops.replace({ id: 1, gateway: '192.0.2.1', dev: 'v0' }), { operation: 'replaceNexthop', step: RESOLVING }],
    ['nexthops.list()', () => handle.nexthops.list(), { operation: 'listNexthops', step: NAMING }],
    ['nexthops.flush', () => handle.nexthops.flush(), { operation: 'flushNexthops', step: NAMING }],
    ['rules.ensure', () => handle.rules.ensure({ fwmark: 65, priority: 1000, table: 100 }), { operation: 'ensureRule', step: /looking for the same rule \(RTM_GETRULE dump\)/ }],
    ['rules.addMany', () => handle.rules.addMany(PRIORITIZED), { operation: 'addRules', step: /checking for rules that exist \(RTM_GETRULE dump\)/ }],
    ['rules.flush', () => handle.rules.flush({ table: 100 }), { operation: 'flushRules', step: /listing rules \(RTM_GETRULE dump\)/ }],
    ['rules.remove', () => handle.rules.remove({ fwmark: 65, priority: 1000, table: 100 }), { operation: 'removeRule' }],
  ];
}

/** Checks that `error` names `expected.operation` first in its message and says which step failed. */
function checkNamed(t: Assertions, label: string, error: unknown, expected: Expected, code: string, reason: RegExp): void {
  t.type(error, NetlinkError, `${label}: a NetlinkError`);
  const e = error as NetlinkError;
  t.equal(e.operation, expected.operation, `${label}: names ${expected.operation}`);
  t.equal(e.code, code, `${label}: ${code}`);
  t.match(e.message, new RegExp(`^${expected.operation}: ${code} `), `${label}: the message starts with the operation`);
  if (expected.step !== undefined) t.match(e.message, new RegExp(`\\(${expected.step.source} failed[:)]`), `${label}: the message says which request failed`);
  t.match(e.message, reason, `${label}: and why`);
}

t.test('on a closed handle every call fails naming itself, and which request it was making', async (t) => {
  const ns = withVeth(t);
  const handle = await open({ netns: ns.name });
  handle.close();
  for (const [label, call, expected] of callsWithAPreliminaryRequest(handle)) {
    checkNamed(t, label, await rejection(call), expected, 'ECANCELED', /the handle was closed/);
  }
});

t.test('a handle closed while the first request is with the kernel: the call is named, not listLinks or listRules', async (t) => {
  const ns = withVeth(t);
  const handle = await open({ netns: ns.name });
  // Each call sends its first request at once; the close fails it before the kernel's answer is read.
  const routes = rejection(handle.routes.list());
  const addresses = rejection(handle.addresses.list());
  const rules = rejection(handle.rules.addMany(PRIORITIZED));
  handle.close();
  checkNamed(t, 'routes.list()', await routes, { operation: 'listRoutes', step: NAMING }, 'ECANCELED', /the handle was closed/);
  checkNamed(t, 'addresses.list()', await addresses, { operation: 'listAddresses', step: NAMING }, 'ECANCELED', /the handle was closed/);
  checkNamed(t, 'rules.addMany', await rules, { operation: 'addRules', step: /checking for rules that exist \(RTM_GETRULE dump\)/ }, 'ECANCELED', /the handle was closed/);
  t.same(ns.ipJson('rule', 'show', 'table', '100'), [], 'no rule was added (ip rule)');
});

t.test('a socket that fails for good under a preliminary request: the call is named, with the socket\'s errno', async (t) => {
  const ns = withVeth(t);
  const handle = await open({ netns: ns.name });
  t.teardown(() => handle.close());
  /** The addon's report of an unrecoverable recv error (EIO) on the handle's rtnetlink socket. */
  const failSocket = () => (handle.connection(NETLINK_ROUTE) as unknown as { onReceiveError(errno: number): void }).onReceiveError(5);

  const routes = rejection(handle.routes.list());
  failSocket();
  const routesError = await routes;
  checkNamed(t, 'routes.list()', routesError, { operation: 'listRoutes', step: NAMING }, 'EIO', /the socket failed/);
  t.equal((routesError as NetlinkError).syscall, 'recv', 'the failing system call is kept');
  t.match((routesError as NetlinkError).cause, { operation: 'listLinks' }, 'the request\'s own error is the cause');

  const rules = rejection(handle.rules.addMany(PRIORITIZED));
  failSocket();
  checkNamed(t, 'rules.addMany', await rules, { operation: 'addRules', step: /checking for rules that exist \(RTM_GETRULE dump\)/ }, 'EIO', /the socket failed/);

  const addresses = rejection(handle.addresses.list());
  failSocket();
  checkNamed(t, 'addresses.list()', await addresses, { operation: 'listAddresses', step: NAMING }, 'EIO', /the socket failed/);

  // The handle opens a new socket after one failed: the same calls work again.
  t.same((await handle.rules.addMany(PRIORITIZED)).failed, 0, 'a later addMany works');
  t.equal(ns.ipJson<unknown[]>('rule', 'show', 'table', '100').length, 2, 'and ip rule shows its rules');
});

t.test('a tun whose MTU the kernel refuses fails as addLink, saying it was the MTU; nothing is left', async (t) => {
  const ns = makeNetns(t, 'rmop');
  const handle = await open({ netns: ns.name });
  t.teardown(() => handle.close());
  const before = ns.ip('-d', 'link', 'show');
  // The kernel caps a tap's MTU below 65535 (ip link set mtu 65535 on a tap: Invalid argument).
  const error = await rejection(handle.links.add({ name: 'tap1', kind: 'tun', mode: 'tap', mtu: 65535 }));
  checkNamed(t, 'links.add (tap)', error, { operation: 'addLink', step: /setting the MTU \(RTM_NEWLINK\)/ }, 'EINVAL', /./);
  t.equal(ns.ip('-d', 'link', 'show'), before, 'the device it made went again (ip -d link)');
});

t.test('the call\'s own request keeps its name: routes.match is matchRoute, not getRoute', async (t) => {
  const ns = withVeth(t);
  const handle = await open({ netns: ns.name });
  t.teardown(() => handle.close());
  ns.ip('rule', 'add', 'fwmark', '4', 'priority', '101', 'prohibit');
  // A prohibit rule: the kernel refuses the lookup with EACCES, as `ip route get ... mark 4` reports.
  const ipGet = ns.exec('sh', ['-c', 'ip route get fibmatch 203.0.113.50 mark 4 2>&1 || true']);
  t.match(ipGet, /Permission denied/, 'ip is refused too');
  const matched = await rejection(handle.routes.match({ to: '203.0.113.50', mark: 4 }));
  checkNamed(t, 'routes.match', matched, { operation: 'matchRoute' }, 'EACCES', /./);
  const got = await rejection(handle.routes.get({ to: '203.0.113.50', mark: 4 }));
  checkNamed(t, 'routes.get', got, { operation: 'getRoute' }, 'EACCES', /./);
});

t.test('links.up and links.down name themselves when the kernel refuses them: upLink, not setLink', async (t) => {
  const ns = makeNetns(t, 'rmop');
  // Two VXLAN devices on one UDP port with different receive flags cannot both be up: the second
  // needs a socket of its own on the port the first holds (vxlan_sock_add: EADDRINUSE).
  ns.ip('link', 'add', 'vx0', 'type', 'vxlan', 'id', '42', 'dstport', '4789');
  ns.ip('link', 'add', 'vx1', 'type', 'vxlan', 'id', '43', 'dstport', '4789', 'gbp');
  ns.ip('link', 'set', 'vx0', 'up');
  const handle = await open({ netns: ns.name });
  t.teardown(() => handle.close());
  t.match(ns.exec('sh', ['-c', 'ip link set vx1 up 2>&1 || true']), /Address already in use/, 'ip link set vx1 up is refused too');
  checkNamed(t, 'links.up', await rejection(handle.links.up('vx1')), { operation: 'upLink' }, 'EADDRINUSE', /./);
  t.notOk(ns.ipJson<{ flags: string[] }[]>('link', 'show', 'vx1')[0]!.flags.includes('UP'), 'and vx1 is still down (ip link)');
  // Down fails as downLink: here the handle is closed, so the name lookup before it fails.
  handle.close();
  checkNamed(t, 'links.down', await rejection(handle.links.down('vx0')), { operation: 'downLink', step: RESOLVING }, 'ECANCELED', /the handle was closed/);
  t.ok(ns.ipJson<{ flags: string[] }[]>('link', 'show', 'vx0')[0]!.flags.includes('UP'), 'and vx0 is still up (ip link)');
});

t.test('a flush refused before it deletes anything names the filter as the field, and gives the filter as the value', async (t) => {
  const ns = makeNetns(t, 'rmop');
  const handle = await open({ netns: ns.name });
  t.teardown(() => handle.close());
  // At one priority, a rule with a mark and protocol 99, then a plain one (protocol 0). flush({
  // protocol: 0 }) selects the plain one, but its delete (protocol 0 reads as "any") would take
  // the first, which the filter does not select.
  ns.ip('rule', 'add', 'pref', '100', 'fwmark', '1', 'table', '5', 'protocol', '99');
  ns.ip('rule', 'add', 'pref', '100', 'table', '5');
  const before = ns.ipJson('rule', 'show', 'pref', '100');
  const filter = { protocol: 0 };
  const error = await rejection(handle.rules.flush(filter));
  t.type(error, ValidationError, 'a ValidationError');
  t.equal((error as ValidationError).field, 'filter', 'naming the filter');
  t.same((error as ValidationError).value, filter, 'whose value is the filter given');
  t.match((error as ValidationError).message, /^filter: selects \{.*"priority":100.*"table":5.*\}, and deleting it would delete \{.*"fwmark":1.*\} instead/, 'the message names the rule selected and the rule its delete would take');
  t.match((error as ValidationError).message, /got \{"protocol":0\}$/, 'and ends with the filter, as every ValidationError ends with its value');
  t.same(ns.ipJson('rule', 'show', 'pref', '100'), before, 'nothing was deleted (ip rule)');
});
