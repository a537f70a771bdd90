/**
 * A document's sysctls take every key the sysctl API takes, dotted or as a path as sysctl(8)
 * takes them, including interfaces whose names have dots or characters beyond [A-Za-z0-9_-]; two
 * spellings of one sysctl are one key. Witnessed by `sysctl -n` in the namespace.
 */
import t from 'tap';
import { applyPolicy, planPolicy, ValidationError } from '../../src/index.js';
import { addVeth } from '../helpers/netns.js';
import { policyNetns } from './helpers.js';

t.test('a key in path form, for an interface named with a dot and a plus, is applied and read back', async (t) => {
  const { ns, handle } = await policyNetns(t);
  addVeth(ns, 'a+b.1', 'a+b.2');
  const document = { sysctls: { 'net/ipv4/conf/a+b.1/rp_filter': 2, 'net.ipv4.conf.a+b/2.rp_filter': 1 } };
  const { plan } = await applyPolicy(handle, document);
  t.same(
    plan.changes.map((c) => (c.object === 'sysctl' ? [c.key, c.value] : c.object)),
    [['net.ipv4.conf.a+b/1.rp_filter', '2'], ['net.ipv4.conf.a+b/2.rp_filter', '1']],
    "the plan names each as sysctl(8) spells it",
  );
  t.equal(ns.exec('sysctl', ['-n', 'net.ipv4.conf.a+b/1.rp_filter']).trim(), '2', 'sysctl -n: the path-form key was written');
  t.equal(ns.exec('sysctl', ['-n', 'net/ipv4/conf/a+b.2/rp_filter']).trim(), '1', 'sysctl -n: the dotted one too');
  t.same((await planPolicy(handle, { sysctls: { 'net.ipv4.conf.a+b/1.rp_filter': 2, 'net/ipv4/conf/a+b.2/rp_filter': 1 } })).changes, [], 'the other spellings: nothing to change');
});

t.test('two spellings of one sysctl in a document are refused, naming the second', async (t) => {
  const { ns, handle } = await policyNetns(t);
  const before = ns.exec('sysctl', ['-n', 'net.ipv4.ip_forward']).trim();
  const error = await applyPolicy(handle, { sysctls: { 'net.ipv4.ip_forward': 1, 'net/ipv4/ip_forward': 0 } }).catch((e: unknown) => e);
  t.ok(error instanceof ValidationError, 'a ValidationError');
  t.match(error, { field: 'sysctls["net/ipv4/ip_forward"]', message: /same sysctl as "net\.ipv4\.ip_forward"/ });
  t.equal(ns.exec('sysctl', ['-n', 'net.ipv4.ip_forward']).trim(), before, 'nothing was written');
  for (const key of ['net', 'net.', 'net..ipv4', 'net.ipv4.conf.a:b.rp_filter', 'net.ipv4.conf.a b.rp_filter', 'kernel.hostname']) {
    t.match(await planPolicy(handle, { sysctls: { [key]: 1 } }).catch((e: unknown) => e), { name: 'ValidationError', field: `sysctls[${JSON.stringify(key)}]` }, `${JSON.stringify(key)} refused`);
  }
});
