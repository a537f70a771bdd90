/**
 * Optimized code for bulk calls survives the collections V8 runs when a process idles
 * (src/shapes.ts). The probe optimizes the plain-rule parser and writer, drops everything a call
 * made, runs forced (memory-reducing) collections and reports which functions are still
 * optimized. A class without a kept instance is the control: it shows that this V8 does throw
 * such code away, or the test has nothing to prove and says so.
 */
import { spawnSync } from 'node:child_process';
import t from 'tap';
import { REPO_ROOT, repoUrl } from '../helpers/paths.js';

const root = REPO_ROOT;
const probe = repoUrl('test/fixtures/shapes-probe.mjs').pathname;

const run = spawnSync(process.execPath, ['--allow-natives-syntax', '--expose-gc', '--no-concurrent-recompilation', probe, root], { encoding: 'utf8' });
const report = run.status === 0 ? (JSON.parse(run.stdout) as Record<'before' | 'after', Record<string, boolean>>) : undefined;

t.test('the probe runs, with every watched function optimized before the collections', async (t) => {
  t.equal(run.status, 0, run.stderr);
  t.same(report?.before, { 'PlainRules.parse': true, 'PlainRules.writeRun': true, control: true });
});

const nothingToProve = report?.after.control === true ? 'this V8 keeps the code of a class without live instances' : false;
t.test('code optimized for a bulk call outlives a memory-reducing collection', { skip: nothingToProve }, async (t) => {
  t.equal(report?.after['PlainRules.parse'], true, 'the parser is still optimized');
  t.equal(report?.after['PlainRules.writeRun'], true, 'the writer is still optimized');
});
