/**
 * The foundation against the real kernel, witnessed by `ip -j`: a handle in a namespace the
 * test made, rules and routes added and deleted, kernel errors with errno and extended-ACK text,
 * the addon inside a worker thread, and 1,000 concurrent requests on one handle.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { NetlinkError, ValidationError, open } from '../../src/index.js';
import { addVeth, makeNetns } from '../helpers/netns.js';
import { REPO_ROOT, repoUrl } from '../helpers/paths.js';

const root = REPO_ROOT;

t.test('rule `fwmark 65 priority 1000 table 1` and route `default via 192.0.2.1 dev v0 table 1`, witnessed by ip', async (t) => {
  const ns = makeNetns(t);
  addVeth(ns, 'v0', 'v1', { address: '192.0.2.2/24' });
  const rulesBefore = ns.ipJson('rule');
  const routesBefore = ns.ipJson('route', 'show', 'table', 'all');

  const handle = await open({ netns: ns.name });
  t.teardown(() => handle.close());
  await handle.rules.add({ fwmark: 65, priority: 1000, table: 1 });
  await handle.routes.add({ dst: 'default', gateway: '192.0.2.1', dev: 'v0', table: 1 });

  t.same(ns.ipJson('rule'), [
    { priority: 0, src: 'all', table: 'local' },
    { priority: 1000, src: 'all', fwmark: '0x41', table: '1' },
    { priority: 32766, src: 'all', table: 'main' },
    { priority: 32767, src: 'all', table: 'default' },
  ], 'ip -j rule shows exactly the rule added');
  t.same(ns.ipJson('route', 'show', 'table', '1'), [{ dst: 'default', gateway: '192.0.2.1', dev: 'v0', flags: [] }], 'ip -j route show table 1 shows exactly the route');

  // What routemark lists is what ip shows, and passes back unchanged to delete.
  const [rule] = await handle.rules.list({ table: 1 });
  t.match(rule, { family: 'inet', priority: 1000, fwmark: 65, table: 1, action: 'lookup' });
  const [route] = await handle.routes.list({ table: 1 });
  t.match(route, { family: 'inet', dst: 'default', gateway: '192.0.2.1', dev: 'v0', table: 1, protocol: 'boot', scope: 'global', type: 'unicast' });
  await handle.rules.delete(rule!);
  await handle.routes.delete(route!);

  t.same(ns.ipJson('rule'), rulesBefore, 'rules are as they were');
  t.same(ns.ipJson('route', 'show', 'table', 'all'), routesBefore, 'routes are as they were');
  t.same(await handle.routes.list({ table: 1 }), [], 'table 1 is empty');
});

t.test('kernel refusals reject with NetlinkError: errno name, extended-ACK text, operation', async (t) => {
  const ns = makeNetns(t);
  addVeth(ns, 'v0', 'v1', { address: '192.0.2.2/24' });
  const handle = await open({ netns: ns.name });
  t.teardown(() => handle.close());

  await handle.rules.add({ fwmark: 65, priority: 1000, table: 1 });
  const duplicate = await handle.rules.add({ fwmark: 65, priority: 1000, table: 1 }).catch((e: unknown) => e);
  t.type(duplicate, NetlinkError);
  t.match(duplicate, { code: 'EEXIST', errno: 17, operation: 'addRule', netns: ns.name });

  const offLink = await handle.routes.add({ dst: 'default', gateway: '10.9.9.9', dev: 'v0', table: 1 }).catch((e: unknown) => e);
  t.type(offLink, NetlinkError);
  t.match(offLink, { code: 'ENETUNREACH', operation: 'addRoute', extAckMessage: 'Nexthop has invalid gateway' });
  t.match((offLink as Error).message, /addRoute: ENETUNREACH .*Nexthop has invalid gateway/);

  const missing = await open({ netns: `${ns.name}-does-not-exist` }).catch((e: unknown) => e);
  t.type(missing, NetlinkError);
  t.match(missing, { code: 'ENOENT', operation: 'open', syscall: 'open' });
  t.match((missing as Error).message, new RegExp(`network namespace ${ns.name}-does-not-exist`));

  const badDev = await handle.routes.add({ dst: 'default', gateway: '192.0.2.1', dev: 'nope0', table: 1 }).catch((e: unknown) => e);
  t.type(badDev, ValidationError);
  t.match(badDev, { field: 'route.dev', value: 'nope0' });
  t.same(ns.ipJson('route', 'show', 'table', '1'), [], 'nothing was added');
});

t.test('1,000 requests issued concurrently on one handle each resolve with their own result', async (t) => {
  const ns = makeNetns(t);
  const handle = await open({ netns: ns.name });
  t.teardown(() => handle.close());
  // Every 10th rule is asked for twice: the first call adds it, the second (issued later in the
  // same tick) must be the one that fails with EEXIST.
  const calls: { priority: number; duplicate: boolean }[] = [];
  for (let p = 1; p <= 1000; p++) {
    calls.push({ priority: p, duplicate: false });
    if (p % 10 === 0) calls.push({ priority: p, duplicate: true });
  }
  const outcomes = await Promise.allSettled(calls.map((c) => handle.rules.add({ fwmark: c.priority, priority: c.priority, table: 100 })));
  let wrong = 0;
  outcomes.forEach((outcome, i) => {
    const call = calls[i]!;
    if (call.duplicate) {
      if (outcome.status !== 'rejected' || (outcome.reason as NetlinkError).code !== 'EEXIST') wrong++;
    } else if (outcome.status !== 'fulfilled') {
      wrong++;
    }
  });
  t.equal(wrong, 0, 'every call got its own outcome');
  const ipRules = ns.ipJson<{ priority: number; fwmark?: string }[]>('rule').filter((r) => r.fwmark !== undefined);
  t.equal(ipRules.length, 1000, 'ip sees 1000 rules');
  t.ok(ipRules.every((r) => Number(r.fwmark) === r.priority), 'each with its own mark');

  // Concurrent lists and deletes mix on the same handle too.
  const [listed, ...deleted] = await Promise.all([
    handle.rules.list({ table: 100 }),
    ...Array.from({ length: 1000 }, (_, i) => handle.rules.delete({ priority: i + 1, fwmark: i + 1, table: 100 })),
  ]);
  const listedRules = listed as { table?: number; fwmark?: number; priority?: number }[];
  t.ok(listedRules.every((r) => r.table === 100 && r.fwmark === r.priority), 'a list ran alongside and decoded only table-100 rules');
  t.equal(deleted.length, 1000);
  t.same(ns.ipJson<unknown[]>('rule').length, 3, 'all deleted');
});

t.test('the addon loads and works inside a worker_thread', async (t) => {
  const ns = makeNetns(t);
  const worker = new Worker(repoUrl('test/fixtures/workers/add-rule.mjs'), { workerData: { netns: ns.name, root } });
  const result = await new Promise<unknown>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  t.match(result, { ok: true, listed: [{ priority: 4242, fwmark: 7, table: 42 }] });
  const exitCode = await new Promise<number>((resolve) => worker.once('exit', resolve));
  t.equal(exitCode, 0, 'the worker exits by itself once its handle is closed');
  t.ok(ns.ipJson<{ priority: number }[]>('rule').some((r) => r.priority === 4242), 'ip sees the rule the worker added');

  // A worker that is terminated with its handle still open must not take the process down.
  const abandoned = new Worker(repoUrl('test/fixtures/workers/leave-open.mjs'), { workerData: { netns: ns.name, root } });
  await new Promise((resolve) => abandoned.once('message', resolve));
  await abandoned.terminate();
  t.pass('terminated a worker with an open handle');
});

t.test('top-level functions use a default handle in the current namespace; ESM and CommonJS', async (t) => {
  const ns = makeNetns(t);
  const esm = spawnSync('ip', ['netns', 'exec', ns.name, process.execPath, '--input-type=module', '-e', `
    import { addRule, listRules, deleteRule } from 'routemark';
    await addRule({ fwmark: 9, priority: 900, table: 9 });
    const rules = await listRules({ table: 9 });
    console.log(JSON.stringify(rules));
  `], { cwd: root, encoding: 'utf8' });
  t.equal(esm.status, 0, esm.stderr);
  t.match(JSON.parse(esm.stdout), [{ priority: 900, fwmark: 9, table: 9 }], 'import works and the process exits by itself');
  t.ok(ns.ipJson<{ priority: number }[]>('rule').some((r) => r.priority === 900), 'added in the namespace it ran in');

  const cjs = spawnSync('ip', ['netns', 'exec', ns.name, process.execPath, '--input-type=commonjs', '-e', `
    const { deleteRule, listRules } = require('routemark');
    deleteRule({ priority: 900, table: 9, fwmark: 9 }).then(() => listRules({ table: 9 })).then((r) => console.log(JSON.stringify(r)));
  `], { cwd: root, encoding: 'utf8' });
  t.equal(cjs.status, 0, cjs.stderr);
  t.same(JSON.parse(cjs.stdout), [], 'require works too');
});
