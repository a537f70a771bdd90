// Shared benchmark helpers. Benchmarks run inside scripts/in-sandbox (npm run bench), make a
// fresh network namespace for every run, and report ratios measured side by side in one run.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync, existsSync, statSync } from 'node:fs';
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

/**
 * Waits before a timed run. The kernel tears a deleted namespace down (and frees its 100k
 * routes or flows) in a background worker after `ip netns del` returns; without a pause that
 * work competes for the machine's two cores with whichever implementation is measured next.
 */
export function settle(ms = 400) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
