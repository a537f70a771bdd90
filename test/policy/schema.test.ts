/**
 * The published JSON Schema (schema/policy.schema.json) and the library's own checks agree:
 * the same fields, documents the library accepts conform to the schema, and documents the
 * schema refuses are refused by the library with a ValidationError naming the field.
 */
import { readFileSync } from 'node:fs';
import t from 'tap';
import { ValidationError } from '../../src/index.js';
import { checkDocument } from '../../src/policy/document.js';
import { ADDRESS_KEYS } from '../../src/rtnl/addresses.js';
import { METRIC_KEYS, NEXTHOP_KEYS, ROUTE_KEYS } from '../../src/rtnl/routes.js';
import { NEXTHOP_OBJECT_KEYS } from '../../src/rtnl/nexthops.js';
import { RULE_KEYS } from '../../src/rtnl/rules.js';
import { TableResolver, tableNamesOf } from '../../src/rtnl/tables.js';
import { schemaErrors } from './json-schema.js';
import { repoUrl } from '../helpers/paths.js';

const schema = JSON.parse(readFileSync(repoUrl('schema/policy.schema.json'), 'utf8')) as Record<string, any>;
const check = (document: unknown) => checkDocument(document, 201, new TableResolver(tableNamesOf(undefined)));

t.test('the schema lists exactly the fields the library knows', async (t) => {
  t.same(Object.keys(schema.$defs.rule.properties).sort(), [...RULE_KEYS].sort());
  // A route that expires is the one field a policy cannot hold (the kernel deletes the route).
  t.same(Object.keys(schema.$defs.route.properties).sort(), [...ROUTE_KEYS].filter((key) => key !== 'expires').sort());
  t.throws(() => check({ routes: [{ dst: '2001:db8::/64', dev: 'v0', expires: 60 }] }), { name: 'ValidationError', field: 'routes[0].expires' }, 'expires is refused in a document');
  t.same(Object.keys(schema.$defs.nexthop.properties).sort(), [...NEXTHOP_KEYS].sort());
  t.same(Object.keys(schema.$defs.nexthopObject.properties).sort(), [...NEXTHOP_OBJECT_KEYS].sort());
  t.same(Object.keys(schema.$defs.metrics.properties).sort(), [...METRIC_KEYS].sort());
  // A policy address is permanent: lifetimes are refused.
  t.same(Object.keys(schema.$defs.address.properties).sort(), [...ADDRESS_KEYS].filter((key) => !key.endsWith('Lifetime')).sort());
});

const valid: unknown[] = [
  {},
  { $schema: './policy.schema.json', rules: [], routes: [], nftables: [], sysctls: {} },
  {
    rules: [
      { fwmark: 65, fwmask: 255, priority: 1000, table: 'main' },
      { from: '192.0.2.0/24', priority: 1001, table: 300, not: true, iif: 'eth0' },
      { uidrange: '469-469', priority: 1002, action: 'unreachable' },
      { ipproto: 'tcp', dport: { start: 80, end: 443 }, sport: 1000, priority: 1003, table: 5, protocol: 201 },
      { priority: 1004, action: 'goto', goto: 2000 },
    ],
    routes: [
      { dst: 'default', gateway: '192.0.2.2', table: 100, metric: 10 },
      { dst: '10.2.0.0/16', dev: 'v2', src: '192.0.2.1', metrics: { mtu: 1400, lock: ['mtu'], congctl: 'cubic' } },
      { dst: '10.3.0.0/16', nexthops: [{ gateway: '192.0.2.2', weight: 2 }, { dev: 'v2', onlink: true }], table: 7 },
      { dst: '10.4.0.0/16', type: 'blackhole', scope: 'global' },
      { dst: '2001:db8::/32', gateway: '2001:db8::1', family: 'inet6', pref: 'high' },
      { dst: '10.5.0.0/16', nexthopId: 10, table: 7 },
    ],
    nexthops: [
      { id: 1, gateway: '192.0.2.2', dev: 'v2' },
      { id: 2, dev: 'v2', onlink: true, gateway: '10.255.0.1' },
      { id: 3, blackhole: true },
      { id: 10, group: [{ id: 1 }, { id: 2, weight: 3 }] },
      { id: 11, group: [{ id: 1 }, { id: 2 }], groupType: 'resilient', resilient: { buckets: 32, idleTimer: 60 }, protocol: 201 },
      { id: 20, gateway: '192.0.2.5', fdb: true },
      { id: 21, group: [{ id: 20 }], fdb: true },
    ],
    nftables: [
      { table: { family: 'inet', name: 'agent', comment: 'mine', flags: ['owner', 'persist'] } },
      { chain: { family: 'inet', table: 'agent', name: 'out', type: 'route', hook: 'output', prio: -150, policy: 'accept' } },
      { set: { family: 'inet', table: 'agent', name: 'hosts', type: 'ipv4_addr', elem: ['192.0.2.1'] } },
      { map: { family: 'inet', table: 'agent', name: 'marks', type: 'ipv4_addr', map: 'mark' } },
      { rule: { family: 'inet', table: 'agent', chain: 'out', expr: [{ accept: null }] } },
    ],
    addresses: [
      { address: '192.0.2.1/24', dev: 'v0' },
      { address: '192.0.2.9/24', dev: 'v0', label: 'v0:app', broadcast: '192.0.2.255', scope: 'global', protocol: 201 },
      { address: '10.9.0.1/32', peer: '10.9.0.2', dev: 'tun0', family: 'inet' },
      { address: '2001:db8::1/64', dev: 'v0', nodad: true, noprefixroute: true },
    ],
    sysctls: { 'net.ipv4.ip_forward': 1, 'net.ipv4.conf.all.src_valid_mark': true, 'net.ipv4.ip_local_port_range': '32768 60999', 'net.ipv4.conf.eth0/100.rp_filter': 2, 'net/ipv4/conf/a+b.1/rp_filter': 1 },
  },
];

t.test('documents the library accepts conform to the schema', async (t) => {
  for (const document of valid) {
    t.doesNotThrow(() => check(document));
    t.same(schemaErrors(schema, document), [], JSON.stringify(document).slice(0, 80));
  }
});

const invalid: [unknown, string][] = [
  [{ rules: [{ fwmark: 65, table: 100 }] }, 'rules[0].priority'],
  [{ rules: [{ fwmark: -1, priority: 1 }] }, 'rules[0].fwmark'],
  [{ rules: [{ priority: 1, action: 'jump' }] }, 'rules[0].action'],
  [{ rules: [{ priority: 1, fwMark: 1 }] }, 'rules[0].fwMark'],
  [{ routes: [{ dst: '10.0.0.0/8', gatewy: '192.0.2.2' }] }, 'routes[0].gatewy'],
  [{ routes: [{ dst: '10.0.0.0/8', gateway: '192.0.2.2', nexthops: [{ gateway: '192.0.2.3' }] }] }, 'routes[0].nexthops'],
  [{ routes: [{ dst: '10.0.0.0/8', nexthops: [{ gateway: '192.0.2.3', weight: 0 }] }] }, 'routes[0].nexthops[0].weight'],
  [{ routes: [{ dst: '10.0.0.0/8', nexthops: [{ weight: 2 }] }] }, 'routes[0].nexthops[0]'],
  [{ routes: [{ dst: '10.0.0.0/8', dev: 'a-name-far-too-long' }] }, 'routes[0].dev'],
  [{ routes: [{ dst: '10.0.0.0/8', type: 'teleport' }] }, 'routes[0].type'],
  [{ nftables: [{ table: { family: 'ipx', name: 'x' } }] }, 'nftables[0].table.family'],
  [{ nftables: [{ table: { family: 'ip', name: 'x', handle: 3 } }] }, 'nftables[0].table.handle'],
  [{ nftables: [{ table: { family: 'ip', name: 'x' }, chain: { family: 'ip', table: 'x', name: 'c' } }] }, 'nftables[0]'],
  [{ nexthops: [{ gateway: '192.0.2.2', dev: 'v2' }] }, 'nexthops[0].id'],
  [{ nexthops: [{ id: 1, gatway: '192.0.2.2', dev: 'v2' }] }, 'nexthops[0].gatway'],
  [{ nexthops: [{ id: 1, group: [] }] }, 'nexthops[0].group'],
  [{ nexthops: [{ id: 1, group: [{ id: 2, weight: 0 }] }] }, 'nexthops[0].group[0].weight'],
  [{ nexthops: [{ id: 1, group: [{ id: 2 }], groupType: 'resilient' }] }, 'nexthops[0].resilient.buckets'],
  [{ addresses: [{ address: '192.0.2.1/24' }] }, 'addresses[0].dev'],
  [{ addresses: [{ address: '192.0.2.1/24', dev: 'v0', validLifetime: 60 }] }, 'addresses[0].validLifetime'],
  [{ addresses: [{ address: '192.0.2.1/24', dev: 'v0', preferredLifetime: 0 }] }, 'addresses[0].preferredLifetime'],
  [{ addresses: [{ address: '192.0.2.1/24', dev: 'v0', lable: 'v0:x' }] }, 'addresses[0].lable'],
  [{ addresses: [{ address: '192.0.2.1/24', dev: 'v0', nodad: 'yes' }] }, 'addresses[0].nodad'],
  [{ sysctls: { 'kernel.hostname': 'x' } }, 'sysctls["kernel.hostname"]'],
  [{ sysctls: { 'net.ipv4.ip_forward': 1.5 } }, 'sysctls["net.ipv4.ip_forward"]'],
  [{ sysctls: { 'net.ipv4.ip_forward': 'a\nb' } }, 'sysctls["net.ipv4.ip_forward"]'],
  [{ route: [] }, 'route'],
  [[], 'document'],
];

t.test('documents the schema refuses, the library refuses, naming the field', async (t) => {
  for (const [document, field] of invalid) {
    t.not(schemaErrors(schema, document).length, 0, `the schema refuses ${field}`);
    t.throws(() => check(document), { name: 'ValidationError', field }, `the library refuses ${field}`);
  }
  const error = (() => {
    try {
      check({ routes: [{ dst: '10.0.0.0/8', nexthops: [{ gateway: '192.0.2.3', weight: 0 }] }] });
    } catch (e) {
      return e as ValidationError;
    }
    return undefined;
  })();
  t.equal(error?.message, 'routes[0].nexthops[0].weight: expected an integer in 1..256, got 0', 'a readable message');
});

t.test('what only the library can check in addresses: the owner, one address once, a label after its device', async (t) => {
  t.throws(() => check({ addresses: [{ address: '192.0.2.1/24', dev: 'v0', protocol: 7 }] }), { name: 'ValidationError', field: 'addresses[0].protocol' });
  // The kernel finds an IPv6 address by itself: two prefix lengths are the same address.
  t.throws(() => check({ addresses: [{ address: '2001:db8::1/64', dev: 'v0' }, { address: '2001:db8::1/56', dev: 'v0' }] }), { name: 'ValidationError', field: 'addresses[1]' });
  t.doesNotThrow(() => check({ addresses: [{ address: '192.0.2.1/24', dev: 'v0' }, { address: '192.0.2.1/25', dev: 'v0' }, { address: '192.0.2.1/24', dev: 'v2' }] }), 'IPv4: another prefix length or device is another address');
  t.throws(() => check({ addresses: [{ address: '192.0.2.1/24', dev: 'v0', label: 'eth0:1' }] }), { name: 'ValidationError', field: 'addresses[0].label' });
  // What the kernel would not keep, so that the address could never be found equal again.
  t.throws(() => check({ addresses: [{ address: '192.0.2.1/24', dev: 'v0', nodad: true }] }), { name: 'ValidationError', field: 'addresses[0].nodad' });
  t.throws(() => check({ addresses: [{ address: '2001:db8::1/64', dev: 'v0', scope: 'link' }] }), { name: 'ValidationError', field: 'addresses[0].scope' });
  t.throws(() => check({ addresses: [{ address: '2001:db8::1/64', dev: 'v0', label: 'v0:x' }] }), { name: 'ValidationError', field: 'addresses[0].label' });
  // The kernel finds an IPv4 address with a peer by the peer's subnet, not the peer itself.
  t.throws(() => check({ addresses: [{ address: '10.2.0.1/24', peer: '10.2.0.2', dev: 't0' }, { address: '10.2.0.1/24', peer: '10.2.0.3', dev: 't0' }] }), { name: 'ValidationError', field: 'addresses[1]' });
  t.doesNotThrow(() => check({ addresses: [{ address: '10.2.0.1/32', peer: '10.2.0.2', dev: 't0' }, { address: '10.2.0.1/32', peer: '10.2.0.3', dev: 't0' }] }), 'different /32 peers are different addresses');
  const [address] = check({ addresses: [{ address: '192.0.2.1/24', dev: 'v0' }] }).addresses;
  t.equal(address?.address.protocol, 201, "an address carries the owner's protocol");
});
