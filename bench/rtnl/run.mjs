#!/usr/bin/env node
// rtnetlink benchmark (npm run bench -- rtnl): add and delete 10k fwmark rules and 100k /32
// routes in a table, side by side in one run, with:
//   routemark         rules.addMany/deleteMany, routes.addMany/deleteMany (this process)
//   C baseline        bench/rtnl/rtnl_baseline.c, libmnl, pre-built batches; rules both in the
//                     naive order (ascending priority with NLM_F_EXCL, as one-by-one adds do;
//                     deletes descending) and the kernel-friendly one (adds descending without
//                     NLM_F_EXCL, deletes ascending)
//   ip -batch         iproute2 reading a file of the same commands
//   pyroute2          Debian's python3-pyroute2, one request per object
//   npm netlink       the `netlink` package, one request per object, 256 in flight
// Every measurement runs in a fresh namespace; the final state is verified by a dump count;
// the median of RUNS runs is reported (the order of implementations reversed every other run),
// after one warm-up run of every implementation whose time is
// discarded (a long-running agent's code is warm; so is ip's, from the page cache). routemark
// first runs every workload WARMUP times more: V8 compiles hot functions with its optimizing tier
// only after several calls, so one warm-up run left the first measured runs at 4x the steady
// time. The very first call in the process is reported on a row of its own, for what a short-lived
// process would see. Implementations time their own work (the C baseline and
// the libraries after their socket is open; ip -batch as a whole process, which is what using
// it costs). Results: a table here and bench/results/rtnl.json.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileC, dropNetns, freshNetns, median, printTable, root, settle, sh, writeResults } from '../lib/common.mjs';

const RULES = Number(process.env.RTNL_BENCH_RULES ?? 10_000);
const ROUTES = Number(process.env.RTNL_BENCH_ROUTES ?? 100_000);
const RUNS = Number(process.env.RTNL_BENCH_RUNS ?? 5);
const WARMUP = Number(process.env.RTNL_BENCH_WARMUP ?? 5);

const { open } = await import(join(root, 'dist', 'esm', 'index.js'));
const baseline = compileC('rtnl/rtnl_baseline.c', ['-lmnl']);
const python = '/usr/bin/python3'; // Debian's, where python3-pyroute2 is installed
const work = mkdtempSync(join(tmpdir(), 'routemark-bench-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

const ruleObjects = Array.from({ length: RULES }, (_, i) => ({ fwmark: i + 1, priority: 1000 + i, table: 100 }));
const routeObjects = Array.from({ length: ROUTES }, (_, i) => ({ dst: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}/32`, dev: 'v0', table: 100 }));
const batchFiles = {
  'rules add': ruleObjects.map((r) => `rule add fwmark ${r.fwmark} priority ${r.priority} table 100`),
  'rules del': ruleObjects.map((r) => `rule del fwmark ${r.fwmark} priority ${r.priority} table 100`),
  'routes add': routeObjects.map((r) => `route add ${r.dst} dev v0 table 100`),
  'routes del': routeObjects.map((r) => `route del ${r.dst} dev v0 table 100`),
};
for (const [name, lines] of Object.entries(batchFiles)) writeFileSync(join(work, `${name.replace(' ', '-')}.batch`), lines.join('\n') + '\n');

function ifindexOf(ns) {
  return JSON.parse(sh('ip', ['-n', ns, '-j', 'link', 'show', 'v0']))[0].ifindex;
}

function prepare(ns) {
  sh('ip', ['-n', ns, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1']);
  sh('ip', ['-n', ns, 'link', 'set', 'v0', 'up']);
  return ifindexOf(ns);
}

function runBaseline(ns, kind, op, order, ifindex) {
  const count = kind === 'rules' ? RULES : ROUTES;
  return JSON.parse(sh(baseline, [`/run/netns/${ns}`, kind, op, String(count), order, String(ifindex)]));
}

function countRules(ns) {
  return Number(sh('sh', ['-c', `ip -n ${ns} -4 rule | wc -l`]).trim()) - 3;
}

function countRoutes(ns) {
  return Number(sh('sh', ['-c', `ip -n ${ns} route show table 100 | wc -l`]).trim());
}

/** Each workload: what a namespace holds before, the count expected after, how to count. */
const workloads = {
  'rules add': { kind: 'rules', op: 'add', before: 0, after: RULES, count: countRules },
  'rules del': { kind: 'rules', op: 'del', before: RULES, after: 0, count: countRules },
  'routes add': { kind: 'routes', op: 'add', before: 0, after: ROUTES, count: countRoutes },
  'routes del': { kind: 'routes', op: 'del', before: ROUTES, after: 0, count: countRoutes },
};

/** Implementations: each returns { seconds, errors } for one workload in namespace `ns`. */
const implementations = {
  routemark: async (w, ns) => {
    const handle = await open({ netns: ns });
    try {
      await handle.links.get('v0'); // the socket is open and warm, as it is for the C baseline
      const api = w.kind === 'rules' ? handle.rules : handle.routes;
      const objects = w.kind === 'rules' ? ruleObjects : routeObjects;
      const start = process.hrtime.bigint();
      const result = w.op === 'add' ? await api.addMany(objects) : await api.deleteMany(objects);
      return { seconds: Number(process.hrtime.bigint() - start) / 1e9, errors: result.failed };
    } finally {
      handle.close();
    }
  },
  'C baseline (kernel-friendly order)': (w, ns, ifindex) => runBaseline(ns, w.kind, w.op, 'friendly', ifindex),
  'C baseline (naive order)': (w, ns, ifindex) => (w.kind === 'rules' ? runBaseline(ns, w.kind, w.op, 'naive', ifindex) : undefined),
  'ip -batch': (w, ns) => {
    const start = process.hrtime.bigint();
    const result = spawnSync('ip', ['-n', ns, '-batch', join(work, `${w.kind}-${w.op}.batch`)], { encoding: 'utf8' });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    return { seconds, errors: result.status === 0 ? 0 : 1 };
  },
  pyroute2: (w, ns, ifindex) => JSON.parse(sh(python, [join(root, 'bench', 'rtnl', 'pyroute2_bench.py'), ns, w.kind, w.op, String(w.kind === 'rules' ? RULES : ROUTES), String(ifindex)])),
  'npm netlink': (w, ns, ifindex) =>
    JSON.parse(sh('ip', ['netns', 'exec', ns, process.execPath, join(root, 'bench', 'rtnl', 'netlink-npm.mjs'), w.kind, w.op, String(w.kind === 'rules' ? RULES : ROUTES), String(ifindex)])),
};

/** Runs one implementation on one workload in a fresh namespace, checks the result; returns its time, or undefined if it does not do this workload. */
async function runOnce(name, w, impl, fn) {
  const ns = freshNetns('rmbr');
  try {
    const ifindex = prepare(ns);
    if (w.before > 0) runBaseline(ns, w.kind, 'add', 'friendly', ifindex); // untimed setup
    if (w.count(ns) !== w.before) throw new Error(`${name}: setup left ${w.count(ns)} objects, expected ${w.before}`);
    await settle();
    const result = await fn(w, ns, ifindex);
    if (result === undefined) return undefined;
    const found = w.count(ns);
    if (found !== w.after || result.errors !== 0) {
      throw new Error(`${name} / ${impl}: ${result.errors} errors, ${found} objects after, expected ${w.after}`);
    }
    return result.seconds;
  } finally {
    dropNetns(ns);
  }
}

const times = {}; // workload -> implementation -> seconds[]
const FIRST_CALL = 'routemark, first call of this workload in the process (not in the targets)';
const firstCall = {};
for (let round = 0; round < WARMUP; round++) {
  for (const [name, w] of Object.entries(workloads)) {
    const seconds = await runOnce(name, w, 'routemark', implementations.routemark);
    if (round === 0) firstCall[name] = seconds;
  }
  process.stdout.write(`routemark warm-up ${round + 1}/${WARMUP} done\n`);
}
for (let run = 0; run <= RUNS; run++) {
  for (const [name, w] of Object.entries(workloads)) {
    // Whoever runs first after a slow tool meets the kernel still freeing its namespace (and
    // the CPU caches it left): reverse the order every other round, so that each implementation
    // runs first as often as last, as bench/nft does.
    const order = Object.entries(implementations);
    if (run % 2 === 1) order.reverse();
    for (const [impl, fn] of order) {
      const seconds = await runOnce(name, w, impl, fn);
      if (seconds !== undefined && run > 0) ((times[name] ??= {})[impl] ??= []).push(seconds);
    }
    process.stdout.write(`${run === 0 ? 'warm-up' : `run ${run}/${RUNS}`}: ${name} done\n`);
  }
}
for (const [name, seconds] of Object.entries(firstCall)) times[name][FIRST_CALL] = [seconds];

// Peak RSS of a process adding and deleting 100k routes with routemark.
const rssNs = freshNetns('rmbr');
let peakRssMb;
try {
  prepare(rssNs);
  peakRssMb = JSON.parse(sh(process.execPath, [join(root, 'bench', 'rtnl', 'routemark-rss.mjs'), rssNs, String(ROUTES)])).peakRssMb;
} finally {
  dropNetns(rssNs);
}

const rows = [];
const medians = {};
for (const [name, byImpl] of Object.entries(times)) {
  medians[name] = {};
  for (const [impl, values] of Object.entries(byImpl)) medians[name][impl] = median(values);
  const friendly = medians[name]['C baseline (kernel-friendly order)'];
  const ipBatch = medians[name]['ip -batch'];
  for (const [impl, value] of Object.entries(medians[name])) {
    rows.push({
      workload: name,
      implementation: impl,
      median: `${(value * 1000).toFixed(1)} ms`,
      'vs C (friendly)': `${(value / friendly).toFixed(2)}x`,
      'vs ip -batch': `${(value / ipBatch).toFixed(2)}x`,
      runs: byImpl[impl].map((s) => (s * 1000).toFixed(1)).join(' '),
    });
  }
}
printTable(`rtnetlink: ${RULES} rules, ${ROUTES} routes, median of ${RUNS} (ms), fresh namespace per run`, rows);

const ratio = (workload, a, b) => medians[workload][a] / medians[workload][b];
const targets = [];
for (const op of ['add', 'del']) {
  const rules = `rules ${op}`;
  const routes = `routes ${op}`;
  const vsC = ratio(rules, 'routemark', 'C baseline (kernel-friendly order)');
  const speedup = ratio(rules, 'ip -batch', 'routemark');
  const routesVsC = ratio(routes, 'routemark', 'C baseline (kernel-friendly order)');
  targets.push({ target: `${rules}: within 1.3x of the kernel-friendly C baseline`, measured: `${vsC.toFixed(2)}x`, met: vsC <= 1.3 ? 'yes' : 'NO' });
  targets.push({ target: `${rules}: at least 10x faster than ip -batch`, measured: `${speedup.toFixed(1)}x faster`, met: speedup >= 10 ? 'yes' : 'NO' });
  targets.push({ target: `${routes}: within 1.2x of the C baseline`, measured: `${routesVsC.toFixed(2)}x`, met: routesVsC <= 1.2 ? 'yes' : 'NO' });
}
targets.push({ target: `peak RSS under 150 MB for ${ROUTES} routes (add + delete, one process)`, measured: `${peakRssMb.toFixed(1)} MB`, met: peakRssMb < 150 ? 'yes' : 'NO' });
printTable('targets', targets);

writeResults('rtnl', {
  rules: RULES,
  routes: ROUTES,
  runs: RUNS,
  kernel: execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim(),
  iproute2: sh('ip', ['-V']).trim(),
  secondsPerRun: times,
  medianSeconds: medians,
  peakRssMb,
  targets,
});
