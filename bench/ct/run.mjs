#!/usr/bin/env node
// Conntrack benchmark: create, mark-update and delete 10k and 100k flows, side by side with the
// conntrack tool and a C baseline (libmnl, pre-built batches: the practical ceiling).
// Median of 5 (3 for the tool's one-process-per-flow creation), routemark and C interleaved, a
// fresh namespace per run, the final state verified by a count. Target: routemark within 1.3x
// of the C baseline.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { compileC, dropNetns, freshNetns, measure, median, printTable, root, seconds, settle, sh, writeResults } from '../lib/common.mjs';

const { open } = await import(join(root, 'dist/esm/index.js'));
const baseline = compileC('ct/baseline.c', ['-lmnl']);
const sizes = (process.env.BENCH_CT_SIZES ?? '10000,100000').split(',').map(Number);
const runs = Number(process.env.BENCH_RUNS ?? 5);

function flows(n, mark) {
  return Array.from({ length: n }, (_, i) => ({
    protocol: 'udp', src: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, dst: '192.0.2.53', sport: 1024 + (i % 60000), dport: 53, mark, timeout: 600,
  }));
}

function countIn(ns) {
  return Number(sh('ip', ['netns', 'exec', ns, 'conntrack', '-C']).trim());
}

function runBaseline(ns, ...args) {
  const [elapsed, failed] = sh('ip', ['netns', 'exec', ns, baseline, ...args]).trim().split(' ');
  if (Number(failed) !== 0) throw new Error(`baseline ${args.join(' ')}: ${failed} failed`);
  return Number(elapsed);
}

function expectCount(ns, expected, what) {
  const actual = countIn(ns);
  if (actual !== expected) throw new Error(`${what}: expected ${expected} flows, found ${actual}`);
}

// Discarded warm-up runs of every routemark operation first, as bench/rtnl does: V8 compiles hot
// functions with its optimizing tier only after several calls, so the first runs of a fresh
// process measure the compiler, not the library. The first one's time is printed.
const WARMUP = Number(process.env.BENCH_CT_WARMUP ?? 5);
for (let round = 0; round < WARMUP; round++) {
  const n = Math.min(...sizes);
  const warm = freshNetns();
  try {
    const handle = await open({ netns: warm });
    const cold = process.hrtime.bigint();
    await handle.conntrack.createMany(flows(n, 1));
    await handle.conntrack.updateMarkWhere({ mark: 1 }, 2);
    await handle.conntrack.deleteWhere({ mark: 2 });
    if (round === 0) console.log(`first call in the process (${n} flows: create, update, delete): ${(Number(process.hrtime.bigint() - cold) / 1e9).toFixed(3)} s`);
    handle.close();
  } finally {
    dropNetns(warm);
  }
  await settle();
}

/** Times routemark in-process; the handle is opened before the clock starts. */
async function timeRoutemark(ns, fn) {
  const handle = await open({ netns: ns });
  handle.connection(12); // NETLINK_NETFILTER: opened before the clock, as the C baseline's socket is
  try {
    const start = process.hrtime.bigint();
    await fn(handle);
    return Number(process.hrtime.bigint() - start) / 1e9;
  } finally {
    handle.close();
  }
}

/** Times a command run in the namespace (process start included: that is how the tool is used). */
function timeCommand(ns, command, args, input) {
  const start = process.hrtime.bigint();
  const result = spawnSync('ip', ['netns', 'exec', ns, command, ...args], { encoding: 'utf8', input, maxBuffer: 1 << 28 });
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, status: result.status, stderr: result.stderr };
}

const rows = [];
const results = {};
for (const n of sizes) {
  const specs = flows(n, 1);
  const row = (operation, times, tool, toolNote) => {
    const rm = median(times.routemark);
    const c = median(times.baseline);
    const ratio = rm / c;
    rows.push({ operation, flows: n, routemark: seconds(rm), 'C baseline': seconds(c), 'conntrack tool': tool === undefined ? toolNote : seconds(tool), 'routemark / C': ratio.toFixed(2), target: '<= 1.30', met: ratio <= 1.3 ? 'yes' : 'NO' });
    results[`${operation}-${n}`] = { routemark: rm, baseline: c, tool: tool ?? null, toolNote: toolNote ?? null, ratio, runs: times };
  };

  // routemark and the C baseline run interleaved (alternating which goes first), each in a fresh
  // namespace, so that both meet the same conditions: the kernel cleaning up the previous
  // namespace's 100k flows, V8's collector, the other core's load.
  const pair = async (setup, routemarkFn, baselineFn, verify) => {
    const times = { routemark: [], baseline: [] };
    for (let run = 0; run < runs; run++) {
      const order = run % 2 === 0 ? ['routemark', 'baseline'] : ['baseline', 'routemark'];
      for (const who of order) {
        await settle();
        const [seconds] = await measureValue(1, who === 'routemark' ? routemarkFn : baselineFn, verify, setup);
        times[who].push(seconds);
      }
    }
    return times;
  };

  // create
  const create = await pair(
    () => {},
    (ns) => timeRoutemark(ns, async (h) => { const r = await h.conntrack.createMany(specs); if (r.failed) throw new Error(`${r.failed} creates failed`); }),
    (ns) => runBaseline(ns, 'create', String(n)),
    (ns) => expectCount(ns, n, 'create'),
  );
  let createTool;
  let createToolNote;
  if (n <= 10000) {
    const script = specs.map((f) => `conntrack -I -p udp -s ${f.src} -d ${f.dst} --sport ${f.sport} --dport ${f.dport} --timeout 600 --mark 1 2>/dev/null`).join('\n');
    createTool = median(await measureValue(Math.min(runs, 3), (ns) => timeCommand(ns, 'sh', ['-s'], script).seconds, (ns) => expectCount(ns, n, 'conntrack -I')));
  } else {
    createToolNote = 'not run (one process per flow)';
  }
  row('create', create, createTool, createToolNote);

  // mark update 1 -> 2
  const seed = (ns) => runBaseline(ns, 'create', String(n));
  const markedTwo = (ns) => {
    const marked = Number(sh('ip', ['netns', 'exec', ns, 'sh', '-c', 'conntrack -L -m 2 2>/dev/null | wc -l']).trim());
    if (marked !== n) throw new Error(`expected ${n} flows with mark 2, found ${marked}`);
  };
  const update = await pair(
    seed,
    (ns) => timeRoutemark(ns, async (h) => { const r = await h.conntrack.updateMarkWhere({ mark: 1 }, 2); if (r.changed !== n) throw new Error(`changed ${r.changed}`); }),
    (ns) => runBaseline(ns, 'update', '1', '2'),
    markedTwo,
  );
  const toolUpdate = await measureValue(1, (ns) => timeCommand(ns, 'conntrack', ['-U', '-m', '1', '--mark', '2']), () => {}, seed);
  const toolUpdateNote = toolUpdate[0].status === 0 ? undefined : `fails: ${toolUpdate[0].stderr.trim().split('\n').pop()}`;
  row('mark update', update, toolUpdateNote ? undefined : toolUpdate[0].seconds, toolUpdateNote);

  // delete by mark
  const remove = await pair(
    seed,
    (ns) => timeRoutemark(ns, async (h) => { const r = await h.conntrack.deleteWhere({ mark: 1 }); if (r.changed !== n) throw new Error(`deleted ${r.changed}`); }),
    (ns) => runBaseline(ns, 'delete', '1'),
    (ns) => expectCount(ns, 0, 'delete'),
  );
  const deleteTool = median(await measureValue(Math.min(runs, 3), (ns) => timeCommand(ns, 'conntrack', ['-D', '-m', '1']).seconds, (ns) => expectCount(ns, 0, 'conntrack -D'), seed));
  row('delete', remove, deleteTool);
}

/** Like measure(), for functions that return their own time. */
async function measureValue(count, fn, verify, setup = () => {}) {
  const values = [];
  await measure({
    runs: count,
    setup,
    fn: async (ns) => values.push(await fn(ns)),
    verify,
  });
  return values;
}

printTable('conntrack: create, mark-update and delete (median seconds)', rows);
writeResults('ct', { runs, results, rows });
