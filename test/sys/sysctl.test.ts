/**
 * Namespace sysctls, written by routemark and read back with `sysctl -n` inside the namespace.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { open, SysctlError } from '../../src/index.js';
import { addVeth, makeNetns } from '../helpers/netns.js';

t.test('rp_filter, forwarding, src_valid_mark and fwmark_reflect, read back with sysctl -n', async (t) => {
  const ns = makeNetns(t);
  addVeth(ns, 'up0', 'up0p');
  const sysctl = (key: string) => ns.exec('sysctl', ['-n', key]).trim();
  const ownForwarding = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
  const handle = await open({ netns: ns.name });
  t.teardown(() => handle.close());
  const s = handle.sysctl;

  await s.setRpFilter('all', 2);
  await s.setRpFilter('default', 1);
  await s.setRpFilter('up0', 0);
  t.equal(sysctl('net.ipv4.conf.all.rp_filter'), '2');
  t.equal(sysctl('net.ipv4.conf.default.rp_filter'), '1');
  t.equal(sysctl('net.ipv4.conf.up0.rp_filter'), '0');
  t.equal(await s.getRpFilter('all'), 2);
  t.equal(await s.getRpFilter('up0'), 0);
  await s.setRpFilter('up0', 1);
  t.equal(sysctl('net.ipv4.conf.up0.rp_filter'), '1', 'per interface, changed again');

  for (const [family, key] of [['inet', 'net.ipv4.ip_forward'], ['inet6', 'net.ipv6.conf.all.forwarding']] as const) {
    await s.setForwarding(family, true);
    t.equal(sysctl(key), '1', `${key} on`);
    t.equal(await s.getForwarding(family), true);
    await s.setForwarding(family, false);
    t.equal(sysctl(key), '0', `${key} off`);
    t.equal(await s.getForwarding(family), false);
  }
  await s.setSrcValidMark('all', true);
  t.equal(sysctl('net.ipv4.conf.all.src_valid_mark'), '1');
  await s.setSrcValidMark('up0', true);
  t.equal(sysctl('net.ipv4.conf.up0.src_valid_mark'), '1');
  t.equal(await s.getSrcValidMark('default'), false);
  await s.setFwmarkReflect('inet', true);
  await s.setFwmarkReflect('inet6', true);
  t.equal(sysctl('net.ipv4.fwmark_reflect'), '1');
  t.equal(sysctl('net.ipv6.fwmark_reflect'), '1');
  t.equal(await s.getFwmarkReflect('inet6'), true);

  await s.flushRouteCache();
  await s.flushRouteCache('inet');
  t.pass('route caches flushed (write-only files: nothing to read back)');

  await s.set('net.ipv4.conf.up0.accept_local', 1);
  t.equal(sysctl('net.ipv4.conf.up0.accept_local'), '1', 'any net.* key by name');
  t.equal(await s.get('net.ipv4.conf.up0.accept_local'), '1');
  t.equal(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8'), ownForwarding, "the test's own namespace is untouched");
});

t.test('errors name the key', async (t) => {
  const ns = makeNetns(t);
  const handle = await open({ netns: ns.name });
  t.teardown(() => handle.close());
  const missing = await handle.sysctl.setRpFilter('nope0', 1).catch((e: unknown) => e);
  t.type(missing, SysctlError);
  t.match(missing, { name: 'SysctlError', code: 'ENOENT', key: 'net.ipv4.conf.nope0.rp_filter', operation: 'setSysctl' });
  t.match((missing as Error).message, /net\.ipv4\.conf\.nope0\.rp_filter/);
  // rp_filter takes any integer (proc_dointvec has no range), but not text.
  const refused = await handle.sysctl.set('net.ipv4.ip_forward', 'abc').catch((e: unknown) => e);
  t.match(refused, { name: 'SysctlError', code: 'EINVAL', key: 'net.ipv4.ip_forward', syscall: 'write' });
  await t.rejects(handle.sysctl.setRpFilter('all', 3 as 0), { name: 'ValidationError', field: 'mode', value: 3 });
  await t.rejects(handle.sysctl.get('kernel.hostname'), { name: 'ValidationError', field: 'key' });
  await t.rejects(handle.sysctl.get('net.ipv4.../x'), { name: 'ValidationError', field: 'key' });
  await t.rejects(handle.sysctl.setRpFilter('a/b', 1), { name: 'ValidationError', field: 'scope' });
  await t.rejects(handle.sysctl.setForwarding('inet', 'yes' as unknown as boolean), { name: 'ValidationError', field: 'enabled' });
  t.equal(ns.exec('sysctl', ['-n', 'net.ipv4.conf.all.rp_filter']).trim(), '0', 'nothing was written');
});
