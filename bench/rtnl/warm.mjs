#!/usr/bin/env node
// routemark warm, beside the C baseline: the same 10k rules and 100k routes as bench/rtnl/run.mjs,
// added and deleted REPEATS times in one process (a fresh namespace and handle each time), the
// C baseline between them. It shows what a long-running agent that works steadily sees, once
// V8 has compiled the code; run.mjs, which interleaves slow tools for minutes between the runs,
// measures code that V8 has partly thrown away again (it flushes bytecode that is not used).
// Run inside the sandbox: scripts/in-sandbox node bench/rtnl/warm.mjs
import { compileC, dropNetns, freshNetns, median, root, settle, sh } from '../lib/common.mjs';
import { join } from 'node:path';

const REPEATS = Number(process.env.RTNL_WARM_REPEATS ?? 8);
const { open } = await import(join(root, 'dist', 'esm', 'index.js'));
const baseline = compileC('rtnl/rtnl_baseline.c', ['-lmnl']);
const rules = Array.from({ length: 10_000 }, (_, i) => ({ fwmark: i + 1, priority: 1000 + i, table: 100 }));
const routes = Array.from({ length: 100_000 }, (_, i) => ({ dst: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}/32`, dev: 'v0', table: 100 }));
const times = {};
const record = (name, seconds, run) => run >= REPEATS / 2 && (times[name] ??= []).push(seconds * 1000);

for (let run = 0; run < REPEATS; run++) {
  for (const [kind, objects] of [['rules', rules], ['routes', routes]]) {
    const ns = freshNetns('rmbw');
    try {
      sh('ip', ['-n', ns, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1']);
      sh('ip', ['-n', ns, 'link', 'set', 'v0', 'up']);
      const ifindex = JSON.parse(sh('ip', ['-n', ns, '-j', 'link', 'show', 'v0']))[0].ifindex;
      for (const op of ['add', 'del']) {
        await settle();
        const handle = await open({ netns: ns });
        await handle.links.get('v0');
        const api = kind === 'rules' ? handle.rules : handle.routes;
        const start = process.hrtime.bigint();
        const result = op === 'add' ? await api.addMany(objects) : await api.deleteMany(objects);
        record(`${kind} ${op}: routemark`, Number(process.hrtime.bigint() - start) / 1e9, run);
        handle.close();
        if (result.failed !== 0) throw new Error(`${kind} ${op}: ${result.failed} failed`);
        await settle();
        // The C baseline undoes and redoes the same work, so both measure the same transition.
        const undo = op === 'add' ? 'del' : 'add';
        sh(baseline, [`/run/netns/${ns}`, kind, undo, String(objects.length), 'friendly', String(ifindex)]);
        await settle();
        const c = JSON.parse(sh(baseline, [`/run/netns/${ns}`, kind, op, String(objects.length), 'friendly', String(ifindex)]));
        if (c.errors !== 0) throw new Error(`C ${kind} ${op}: ${c.errors} errors`);
        record(`${kind} ${op}: C baseline`, c.seconds, run);
      }
    } finally {
      dropNetns(ns);
    }
  }
}
console.log(`rtnetlink, warm: median of the last ${REPEATS - Math.floor(REPEATS / 2)} of ${REPEATS} runs (ms)`);
for (const kind of ['rules add', 'rules del', 'routes add', 'routes del']) {
  const ours = median(times[`${kind}: routemark`]);
  const c = median(times[`${kind}: C baseline`]);
  console.log(`${kind.padEnd(11)} routemark ${ours.toFixed(1).padStart(7)}  C ${c.toFixed(1).padStart(7)}  ${(ours / c).toFixed(2)}x`);
}
