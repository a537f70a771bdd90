// Shared benchmark helpers. Benchmarks run inside scripts/in-sandbox (npm run bench), make a
// fresh network namespace for every run, and report ratios measured side by side in one run.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

let counter = 0;

/** Makes a fresh namespace (lo up); returns its name. Remove it with dropNetns. */
export function freshNetns(prefix = 'rmb') {
  const name = `${prefix}-${process.pid}-${++counter}`;
  execFileSync('ip', ['netns', 'add', name]);
  execFileSync('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  return name;
}

/** Removes a namespace made by freshNetns. */
export function dropNetns(name) {
  spawnSync('ip', ['netns', 'del', name]);
}

/** Runs `fn(netns)` `runs` times, each in a fresh namespace prepared by `setup(netns)`; returns seconds per run. */
export async function measure({ runs = 5, setup = () => {}, fn, verify = () => {} }) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const ns = freshNetns();
    try {
      await setup(ns);
      await settle();
      const start = process.hrtime.bigint();
      await fn(ns);
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      await verify(ns);
      times.push(seconds);
    } finally {
      dropNetns(ns);
    }
  }
  return times;
}

/** The median of a list of numbers. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Runs a command, returning stdout; throws with stderr on failure. */
export function sh(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 30, ...options });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${result.stderr || result.stdout}`);
  return result.stdout;
}

/** Compiles a C baseline (bench/<family>/<name>.c) into bench/c/bin, once; returns the binary. */
export function compileC(source, libraries) {
  const out = join(root, 'bench', 'c', 'bin', source.replace(/[/\\]/g, '_').replace(/\.c$/, ''));
  const src = join(root, 'bench', source);
  if (!existsSync(out) || statSync(out).mtimeMs < statSync(src).mtimeMs) {
    mkdirSync(dirname(out), { recursive: true });
    sh('cc', ['-O2', '-Wall', '-o', out, src, ...libraries]);
  }
  return out;
}

/** Prints rows as an aligned table. */
export function printTable(title, rows) {
  console.log(`\n${title}`);
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]);
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? '').length)));
  const line = (values) => values.map((v, i) => String(v ?? '').padEnd(widths[i])).join('  ');
  console.log(line(columns));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const row of rows) console.log(line(columns.map((c) => row[c])));
}

/** Writes bench/results/<name>.json. */
export function writeResults(name, data) {
  const dir = join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), ...data }, null, 2) + '\n');
  console.log(`\nresults written to ${file}`);
}

/** Formats seconds for tables. */
export function seconds(value) {
  return value === undefined ? '' : `${value.toFixed(3)} s`;
}

/** Peak resident memory of this process so far, in MB. */
export function peakRssMb() {
  return process.resourceUsage().maxRSS / 1024;
}

/** Idle and total CPU time of the machine so far, in clock ticks, from /proc/stat. */
function cpuTicks() {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = fields[3] + (fields[4] ?? 0); // idle + iowait
  return { idle, total: fields.reduce((a, b) => a + b, 0) };
}

/**
 * Waits before a timed run until the machine is quiet. The kernel tears a deleted namespace
 * down (and frees its 100k routes, rules or flows) in a background worker after `ip netns del`
 * returns, for anything from a few milliseconds to over a second; without a pause that work
 * competes for the machine's two cores with whichever implementation is measured next. A fixed
 * pause was either too short after a big namespace or wasted time after a small one: this waits
 * `ms`, then until the CPUs were at least 90% idle over a 100 ms window (at most 5 s more).
 */
export async function settle(ms = 300) {
  const sleep = (t) => new Promise((resolve) => setTimeout(resolve, t));
  await sleep(ms);
  for (let waited = 0; waited < 5000; waited += 100) {
    const before = cpuTicks();
    await sleep(100);
    const after = cpuTicks();
    const total = after.total - before.total;
    if (total > 0 && (after.idle - before.idle) / total >= 0.9) return;
  }
}
