// Soak: mixed add/delete churn of rules, routes and nf_tables set elements through one handle,
// back to back (the highest rate the handle sustains), for ROUTEMARK_SOAK_SECONDS (default 600).
// Reports ops/s and RSS every ROUTEMARK_SOAK_SAMPLE_SECONDS (default 30), and checks that RSS at
// the end is within 10% of RSS after the first minute (after the first half for runs shorter
// than two minutes). Every round leaves the namespace as it found it, and the end is verified
// by dump counts. One op = one object added or deleted.
import { execFileSync } from 'node:child_process';
import { open } from '../../dist/esm/index.js';
import { dropNetns, freshNetns, printTable, writeResults } from '../lib/common.mjs';

const duration = Number(process.env.ROUTEMARK_SOAK_SECONDS ?? 600);
const sampleEvery = Number(process.env.ROUTEMARK_SOAK_SAMPLE_SECONDS ?? (duration >= 120 ? 30 : Math.max(1, duration / 10)));
const warmup = Math.min(60, duration / 2);
const RULES = 1000;
const ROUTES = 5000;
const ELEMENTS = 5000;

const netns = freshNetns('rmsoak');
const ip = (...args) => execFileSync('ip', ['-n', netns, ...args]);
ip('link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
ip('addr', 'add', '192.0.2.1/24', 'dev', 'v0');
ip('link', 'set', 'v0', 'up');
ip('link', 'set', 'v1', 'up');

const handle = await open({ netns, owner: 201 });
const set = { family: 'inet', table: 'soak', name: 'hosts' };
await handle.nft.apply({ nftables: [
  { add: { table: { family: 'inet', name: 'soak' } } },
  { add: { set: { ...set, type: 'ipv4_addr' } } },
] });

// Each round uses fresh objects (new strings, new arrays), as an agent's churn would.
function round(n) {
  const base = (n % 50) * 4;
  const rules = Array.from({ length: RULES }, (_, i) => ({ fwmark: 0x10000 + i, priority: 10000 + i, table: 100 + (i % 16) }));
  const routes = Array.from({ length: ROUTES }, (_, i) => ({ dst: `10.${base + (i >> 12)}.${(i >> 4) & 255}.${(i & 15) << 4}/28`, dev: 'v0', table: 100 + (i % 16) }));
  const elements = Array.from({ length: ELEMENTS }, (_, i) => `10.${200 + (n % 8)}.${i >> 8}.${i & 255}`);
  return { rules, routes, elements };
}

function sampleRss() {
  globalThis.gc?.();
  return process.memoryUsage().rss / (1 << 20);
}

const samples = [];
let ops = 0;
let failed = 0;
let rounds = 0;
const start = process.hrtime.bigint();
const elapsed = () => Number(process.hrtime.bigint() - start) / 1e9;
let lastSampleAt = 0;
let lastOps = 0;
let rssAfterWarmup;
samples.push({ t: 0, opsPerSecond: 0, rssMb: Number(sampleRss().toFixed(1)) });

while (elapsed() < duration) {
  const { rules, routes, elements } = round(rounds++);
  const results = [
    await handle.rules.addMany(rules),
    await handle.routes.addMany(routes),
  ];
  await handle.nft.addElements(set, elements);
  results.push(await handle.routes.deleteMany(routes), await handle.rules.deleteMany(rules));
  await handle.nft.deleteElements(set, elements);
  for (const r of results) failed += r.failed;
  ops += 2 * (RULES + ROUTES + ELEMENTS);
  const now = elapsed();
  if (now - lastSampleAt >= sampleEvery || now >= duration) {
    const opsPerSecond = (ops - lastOps) / (now - lastSampleAt);
    const rssMb = sampleRss();
    samples.push({ t: Math.round(now), opsPerSecond: Math.round(opsPerSecond), rssMb: Number(rssMb.toFixed(1)) });
    if (rssAfterWarmup === undefined && now >= warmup) rssAfterWarmup = rssMb;
    lastSampleAt = now;
    lastOps = ops;
  }
}
const total = elapsed();

// Everything churned is gone again.
const leftRules = (await handle.rules.list({ owned: true })).length;
const leftRoutes = (await handle.routes.list({ table: 'all', owned: true })).length;
const listing = await handle.nft.list({ family: 'inet', table: 'soak', set: 'hosts' });
const leftElements = listing.nftables.find((o) => 'set' in o)?.set.elem?.length ?? 0;
handle.close();
dropNetns(netns);

const rssEnd = samples.at(-1).rssMb;
const growth = (rssEnd - rssAfterWarmup) / rssAfterWarmup;
printTable(`soak: ${duration} s of churn (per round: ${RULES} rules, ${ROUTES} routes, ${ELEMENTS} set elements, each added then deleted)`, samples.map((s) => ({
  't (s)': s.t,
  'ops/s': s.opsPerSecond,
  'RSS (MB)': s.rssMb,
})));
const summary = {
  seconds: Number(total.toFixed(1)),
  rounds,
  ops,
  opsPerSecond: Math.round(ops / total),
  failed,
  rssAfterWarmupMb: Number(rssAfterWarmup.toFixed(1)),
  warmupSeconds: warmup,
  rssEndMb: rssEnd,
  rssGrowthPercent: Number((growth * 100).toFixed(1)),
  left: { rules: leftRules, routes: leftRoutes, elements: leftElements },
};
console.log(`\n${JSON.stringify(summary)}`);
writeResults(duration >= 600 ? 'soak' : 'soak-short', { ...summary, samples });
const ok = failed === 0 && leftRules === 0 && leftRoutes === 0 && leftElements === 0 && Math.abs(growth) <= 0.1;
if (!ok) {
  console.error('soak: FAILED (failures, leftovers, or RSS at the end more than 10% off RSS after the first minute)');
  process.exit(1);
}
console.log(`soak: ok (RSS at the end ${summary.rssGrowthPercent}% from RSS after ${warmup} s)`);
