#!/usr/bin/env node
// npm run bench [-- FAMILY...]: runs bench/<family>/run.mjs for each family (all by default),
// one after the other, inside the sandbox. Each prints a table and writes bench/results/*.json.
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { root } from './lib/common.mjs';

const wanted = process.argv.slice(2);
const families = readdirSync(join(root, 'bench'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(root, 'bench', d.name, 'run.mjs')))
  .map((d) => d.name)
  .filter((name) => wanted.length === 0 || wanted.includes(name))
  .sort();
if (families.length === 0) {
  console.log(`no benchmarks${wanted.length ? ` named ${wanted.join(', ')}` : ''}`);
}
let failed = false;
for (const family of families) {
  console.log(`\n=== bench/${family} ===`);
  const result = spawnSync(process.execPath, ['--expose-gc', join(root, 'bench', family, 'run.mjs')], { stdio: 'inherit' });
  if (result.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
