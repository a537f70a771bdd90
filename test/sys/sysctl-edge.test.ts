/**
 * Edge cases of the namespace sysctls (src/sys/api.ts), written and read by routemark and
 * witnessed by `sysctl` (procps) inside namespaces made here.
 *
 *
 * How sysctl(8) spells keys (procps slashdot()): the first separator in the key decides. In a
 * dotted key ("net.ipv4.conf.v/10.rp_filter") dots separate and a '/' stands for a dot inside a
 * name; in a path key ("net/ipv4/conf/v.10/rp_filter") slashes separate and dots are literal.
 * Any character Linux allows in an interface name (all but '/', ':' and white space) may
 * appear in a key: `sysctl -n net.ipv4.conf.a+b.rp_filter` reads /proc/sys/net/ipv4/conf/a+b/rp_filter.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { open, SysctlError } from '../../src/index.js';
import { makeNetns, type TeardownHost, type TestNetns } from '../helpers/netns.js';
import { rejection } from '../helpers/rejection.js';

async function fresh(t: TeardownHost) {
  const ns = makeNetns(t, 'rmsys');
  const handle = await open({ netns: ns.name });
  t.teardown(() => handle.close());
  return { ns, handle, s: handle.sysctl };
}

/** `sysctl ARGS` in the namespace. */
function sysctl(ns: TestNetns, ...args: string[]): { status: number | null; out: string; err: string } {
  const r = spawnSync('ip', ['netns', 'exec', ns.name, 'sysctl', ...args], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout.trim(), err: r.stderr.trim() };
}

/** A veth pair named `name` and `peer` (links of any name a veth may have). */
function link(ns: TestNetns, name: string, peer: string): void {
  ns.ip('link', 'add', name, 'type', 'veth', 'peer', 'name', peer);
}

t.test('per-interface sysctls of a dotted (VLAN-like) interface name, read back with sysctl -n', async (t) => {
  const { ns, s } = await fresh(t);
  link(ns, 'v.10', 'p0');
  await s.setRpFilter('v.10', 2);
  t.equal(sysctl(ns, '-n', 'net.ipv4.conf.v/10.rp_filter').out, '2', 'setRpFilter wrote conf/v.10');
  t.equal(await s.getRpFilter('v.10'), 2);
  t.equal(await s.get('net.ipv4.conf.v/10.rp_filter'), '2', 'get of the dotted key with a /');
  await s.setSrcValidMark('v.10', true);
  t.equal(sysctl(ns, '-n', 'net.ipv4.conf.v/10.src_valid_mark').out, '1');
  await s.set('net.ipv6.conf.v/10.forwarding', 1);
  t.equal(sysctl(ns, '-n', 'net.ipv6.conf.v/10.forwarding').out, '1', 'IPv6 forwarding of one interface');
  t.equal(sysctl(ns, '-n', 'net.ipv6.conf.all.forwarding').out, '0', 'and not of all');
  t.equal(await s.getForwarding('inet6'), false);
});

t.test("'all' and 'default' are their own keys; default applies to interfaces made afterwards", async (t) => {
  const { ns, s } = await fresh(t);
  await s.setRpFilter('default', 2);
  await s.setRpFilter('all', 1);
  link(ns, 'n0', 'n1');
  t.equal(sysctl(ns, '-n', 'net.ipv4.conf.all.rp_filter').out, '1');
  t.equal(sysctl(ns, '-n', 'net.ipv4.conf.default.rp_filter').out, '2');
  t.equal(sysctl(ns, '-n', 'net.ipv4.conf.n0.rp_filter').out, '2', 'a new interface takes default');
  t.equal(await s.getRpFilter('n0'), 2);
  t.equal(await s.getRpFilter('lo'), 0, 'lo existed before');
});

t.test('values the kernel refuses are refused with a SysctlError naming the key, as sysctl -w fails', async (t) => {
  const { ns, s } = await fresh(t);
  const cases: [key: string, value: string | number][] = [
    ['net.ipv4.ip_default_ttl', 0],
    ['net.ipv4.ip_default_ttl', 256],
    ['net.ipv4.ip_forward', 'abc'],
    ['net.ipv4.conf.all.rp_filter', '1x'],
    ['net.ipv4.ip_local_port_range', '3000 2000'],
  ];
  for (const [key, value] of cases) {
    const theirs = sysctl(ns, '-w', `${key}=${value}`);
    t.not(theirs.status, 0, `sysctl -w ${key}=${value} fails: ${theirs.err}`);
    const error = await rejection(s.set(key, value));
    t.type(error, SysctlError);
    t.match(error, { key, code: 'EINVAL', syscall: 'write' }, `routemark refuses ${key}=${value}`);
  }
  // Values inside the kernel's range (even unusual ones) are taken as sysctl -w takes them.
  for (const [key, value] of [['net.ipv4.ip_default_ttl', 255], ['net.ipv4.ip_forward', 2], ['net.ipv4.ip_local_port_range', '2000\t3000']] as const) {
    await s.set(key, value);
    t.equal(sysctl(ns, '-n', key).out, String(value), `${key}=${JSON.stringify(value)}`);
    t.equal(await s.get(key), String(value));
  }
  const missing = await rejection(s.getRpFilter('nope0'));
  t.match(missing, { name: 'SysctlError', code: 'ENOENT', key: 'net.ipv4.conf.nope0.rp_filter', operation: 'getSysctl' });
  t.not(sysctl(ns, '-n', 'net.ipv4.conf.nope0.rp_filter').status, 0, 'sysctl -n fails as well');
});

t.test('route cache flush of both families, as sysctl -w net.ipv{4,6}.route.flush=1', async (t) => {
  const { ns, s } = await fresh(t);
  t.equal(sysctl(ns, '-w', 'net.ipv4.route.flush=1').status, 0);
  t.equal(sysctl(ns, '-w', 'net.ipv6.route.flush=1').status, 0);
  await s.flushRouteCache();
  await s.flushRouteCache('inet6');
  await s.flushRouteCache('inet');
  t.match(await rejection(s.flushRouteCache('ipv4' as never)), { name: 'ValidationError', field: 'family' });
  t.match(await rejection(s.get('net.ipv4.route.flush')), { name: 'SysctlError', code: 'EACCES', key: 'net.ipv4.route.flush' }, 'write-only');
});

// A path key is one whose first separator is a '/': its dots are literal, so
// "net/ipv4/conf/v.10/rp_filter" is conf/v.10 (it was once split at its dots and refused, as only
// keys without any dot were taken for paths). `sysctl -n net/ipv4/conf/v.10/rp_filter` reads it.
t.test('get takes a path key with a dotted interface name, as sysctl -n does', async (t) => {
  const { ns, s } = await fresh(t);
  link(ns, 'v.10', 'p0');
  await s.setRpFilter('v.10', 2);
  t.equal(sysctl(ns, '-n', 'net/ipv4/conf/v.10/rp_filter').out, '2', 'sysctl -n reads the path key');
  const got = await s.get('net/ipv4/conf/v.10/rp_filter').catch((e: Error) => e.message);
  t.equal(got, '2', 'routemark reads the same');
});

// Keys may hold any interface name Linux allows ('+', '#', non-ASCII, even a Unicode space),
// which setRpFilter writes and `sysctl -n` reads (only [A-Za-z0-9_.@-] was once taken). Linux
// refuses names with '/', ':' or a byte its isspace() counts (ASCII white space, 0xa0: 'à' is
// C3 A0), and so do keys.
t.test('get and set take keys of any interface name Linux allows, as sysctl does', async (t) => {
  const { ns, s } = await fresh(t);
  const names = ['a+b', 'x#1', 'é1'];
  names.forEach((name, i) => link(ns, name, `p${i}`));
  for (const name of names) {
    await s.setRpFilter(name, 2);
    const key = `net.ipv4.conf.${name}.rp_filter`;
    t.equal(sysctl(ns, '-n', key).out, '2', `sysctl -n ${key}`);
    const got = await s.get(key).catch((e: Error) => e.message);
    t.equal(got, '2', `get('${key}')`);
    const set = await rejection(s.set(`net.ipv4.conf.${name}.src_valid_mark`, 1));
    t.equal(set, undefined, `set of ${name}'s src_valid_mark does not fail`);
    t.equal(sysctl(ns, '-n', `net.ipv4.conf.${name}.src_valid_mark`).out, '1');
  }
  const emSpace = 'a\u2003b';
  link(ns, emSpace, 'p9');
  await s.set(`net.ipv4.conf.${emSpace}.rp_filter`, 1);
  t.equal(sysctl(ns, '-n', `net.ipv4.conf.${emSpace}.rp_filter`).out, '1', 'a name with an em space (not white space to the kernel)');
  t.equal(await s.get(`net/ipv4/conf/${emSpace}/rp_filter`), '1');
  t.throws(() => ns.ip('link', 'add', 'à', 'type', 'veth', 'peer', 'name', 'p8'), 'Linux refuses the name à');
  for (const key of ['net.ipv4.conf.à.rp_filter', 'net.ipv4.conf.a:b.rp_filter', 'net.ipv4.conf.a b.rp_filter', 'net/ipv4/conf/../rp_filter', 'net.ipv4.conf..rp_filter']) {
    t.match(await rejection(s.get(key)), { name: 'ValidationError', field: 'key' }, `${JSON.stringify(key)} refused`);
  }
});

// A SysctlError's `key` is spelled as sysctl spells it: for interface v.10,
// "net.ipv4.conf.v/10.rp_filter" (it was once "net.ipv4.conf.v.10.rp_filter", which names
// another file, /proc/sys/net/ipv4/conf/v/10/rp_filter, for sysctl and for routemark's own get).
t.test('a SysctlError for a dotted interface name names the key as sysctl spells it', async (t) => {
  const { ns, s } = await fresh(t);
  link(ns, 'v.10', 'p0');
  const error = await rejection(s.set('net.ipv4.conf.v/10.rp_filter', 'abc'));
  t.type(error, SysctlError);
  const key = (error as SysctlError).key;
  t.equal(sysctl(ns, '-n', key).status, 0, `sysctl -n ${key} reads the sysctl that failed`);
  t.equal(await s.get(key).catch((e: Error) => e.message), '0', `get('${key}') reads it too`);
  const missing = await rejection(s.setRpFilter('no.pe', 1));
  t.match(missing, { name: 'SysctlError', code: 'ENOENT', key: 'net.ipv4.conf.no/pe.rp_filter' });
});
