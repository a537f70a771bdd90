#!/usr/bin/env node
// nf_tables benchmarks (npm run bench -- nft): routemark side by side with `nft -f` and the C
// baseline (bench/nft/baseline.c: libnftnl + libmnl, batch built before the clock starts; for
// rules also with NLM_F_ECHO, the like-for-like ceiling for routemark returning handles).
//   - 10k and 100k rules `ip saddr X meta mark set Y` in one transaction
//   - a map ipv4_addr : mark with 100k elements in one transaction
//   - single-rule churn (add one rule, then delete it by handle) in a chain of 100k rules
// Median of 5, a fresh namespace per run, the final state verified by a count; in the transaction
// cases routemark and the C baseline take turns, run by run.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileC, measure, median, printTable, writeResults, seconds, sh, root } from '../lib/common.mjs';

const { open } = await import(join(root, 'dist', 'esm', 'index.js'));
const { NLM_F_DUMP, NLM_F_REQUEST } = await import(join(root, 'dist', 'esm', 'netlink', 'constants.js'));
const { messageBytes } = await import(join(root, 'dist', 'esm', 'netlink', 'message.js'));
const { native } = await import(join(root, 'dist', 'esm', 'native.js'));

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const baseline = compileC('nft/baseline.c', ['-lnftnl', '-lmnl']);
const work = mkdtempSync(join(tmpdir(), 'routemark-bench-nft-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

const address = (i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
const inNetns = (ns, command, args, options = {}) => sh('ip', ['netns', 'exec', ns, command, ...args], options);

// --- documents -------------------------------------------------------------------------------
function rulesDocument(n) {
  const doc = [{ add: { table: { family: 'ip', name: 't' } } }, { add: { chain: { family: 'ip', table: 't', name: 'c' } } }];
  for (let i = 0; i < n; i++) {
    doc.push({
      add: {
        rule: {
          family: 'ip',
          table: 't',
          chain: 'c',
          expr: [
            { match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: address(i) } },
            { mangle: { key: { meta: { key: 'mark' } }, value: i } },
          ],
        },
      },
    });
  }
  return { nftables: doc };
}

function rulesText(n) {
  const lines = ['add table ip t', 'add chain ip t c'];
  for (let i = 0; i < n; i++) lines.push(`add rule ip t c ip saddr ${address(i)} meta mark set ${i}`);
  return lines.join('\n') + '\n';
}

function mapDocument(n) {
  const elem = [];
  for (let i = 0; i < n; i++) elem.push([address(i), i + 1]);
  return { nftables: [{ add: { table: { family: 'ip', name: 't' } } }, { add: { map: { family: 'ip', table: 't', name: 'm', type: 'ipv4_addr', map: 'mark', elem } } }] };
}

function mapText(n) {
  const parts = [];
  for (let i = 0; i < n; i++) parts.push(`${address(i)} : ${i + 1}`);
  return `add table ip t\nadd map ip t m { type ipv4_addr : mark; }\nadd element ip t m { ${parts.join(', ')} }\n`;
}

// --- counting (the witness of every run) -----------------------------------------------------
async function countKernel(ns, what) {
  const handle = await open({ netns: ns });
  try {
    const connection = handle.connection(12);
    const write = (w) => {
      w.u8(2);
      w.u8(0);
      w.be16(0);
      if (what === 'elements') {
        w.attrString(1, 't');
        w.attrString(2, 'm');
      }
    };
    const type = (10 << 8) | (what === 'elements' ? 13 : 7); // NFT_MSG_GETSETELEM / NFT_MSG_GETRULE
    const messages = await connection.dump({ operation: 'bench count' }, type, NLM_F_REQUEST | NLM_F_DUMP, write);
    if (what === 'rules') return messages.length;
    const parsed = JSON.parse(native().nftParse(Buffer.concat(messages.map(messageBytes))));
    return parsed.reduce((sum, o) => sum + (o.elements?.length ?? 0), 0);
  } finally {
    handle.close();
  }
}

function expectCount(actual, expected, label) {
  if (actual !== expected) throw new Error(`${label}: expected ${expected}, found ${actual}`);
}

// --- one-transaction cases -------------------------------------------------------------------
/** Cold first runs (JIT warm-up), reported beside the measured runs. */
const coldRuns = {};

/**
 * Runs of routemark's apply of `document(n)`, the document prepared and a fresh handle opened
 * before the clock. One run now warms the JIT up (routemark's users are long-lived processes);
 * its time is reported as the cold run. No forced GC
 * before a run: V8 shrinks its young generation after one, which made the next apply up to 1.6x
 * slower in measurements. The returned function makes one measured run.
 */
async function routemarkRuns(label, { n, what, document }, options) {
  let handle;
  let doc;
  const spec = (runs) => ({
    runs,
    setup: async (ns) => {
      doc = document(n);
      handle = await open({ netns: ns });
      // A handle is long-lived: its nf_tables socket is open before the clock starts, as the
      // C baseline's is.
      await handle.nft.generation();
    },
    fn: async () => {
      await handle.nft.apply(doc, options);
    },
    verify: async (ns) => {
      handle.close();
      expectCount(await countKernel(ns, what), n, label);
    },
  });
  coldRuns[label] = (await measure(spec(1)))[0];
  return async () => (await measure(spec(1)))[0];
}

/**
 * Runs the variants' runs interleaved, each variant once per round, the order reversed every
 * other round (A B C D, D C B A, ...), so that drifting load, the kernel's clean-up of earlier
 * namespaces and V8's collector fall on all of them alike. Run one after the other instead,
 * routemark and C met different machines: C's own median moved 30% between two benches.
 */
async function interleaved(variants) {
  const times = variants.map(() => []);
  for (let run = 0; run < RUNS; run++) {
    const order = variants.map((_, v) => v);
    if (run % 2 === 1) order.reverse();
    for (const v of order) times[v].push(await variants[v]());
  }
  return times;
}

async function transactionCase(label, spec) {
  const { n, what, text, cMode } = spec;
  const results = {};
  // Every routemark variant warms up before any is measured, so that none measures another's JIT.
  const withHandles = await routemarkRuns(`${label} routemark`, spec, {});
  const withoutHandles = what === 'rules' ? await routemarkRuns(`${label} routemark (no handles)`, spec, { handles: false }) : undefined;
  /** One run of the C baseline in `mode`, in a fresh namespace; its own time of the send. */
  const cOnce = (mode) => async () => {
    let elapsed;
    await measure({
      runs: 1,
      fn: (ns) => {
        elapsed = Number(inNetns(ns, baseline, [mode, String(n)]));
      },
      verify: async (ns) => expectCount(await countKernel(ns, what), n, `${label} C ${mode}`),
    });
    return elapsed;
  };
  // routemark returns every rule's handle by default, which needs NLM_F_ECHO: the kernel writes
  // each rule back. The like-for-like ceiling for that is the C baseline with echo.
  const variants = { routemark: withHandles, 'C baseline': cOnce(cMode) };
  if (withoutHandles !== undefined) {
    variants['routemark (no handles)'] = withoutHandles;
    variants['C baseline (echo)'] = cOnce(`${cMode}-echo`);
  }
  const names = Object.keys(variants);
  const times = await interleaved(Object.values(variants));
  names.forEach((name, v) => (results[name] = times[v]));
  const file = join(work, `${label}.nft`);
  writeFileSync(file, text(n));
  results['nft -f'] = await measure({
    runs: RUNS,
    fn: (ns) => inNetns(ns, 'nft', ['-f', file]),
    verify: async (ns) => expectCount(await countKernel(ns, what), n, `${label} nft -f`),
  });
  const tableOrder = ['routemark', 'routemark (no handles)', 'nft -f', 'C baseline', 'C baseline (echo)'];
  return Object.fromEntries(tableOrder.filter((name) => name in results).map((name) => [name, results[name]]));
}

// --- churn --------------------------------------------------------------------------------------
const CHAIN_RULES = 100_000;
const CHURN_ROUTEMARK = 500;
const CHURN_NFT = 20;
const CHURN_C = 500;

async function loadChain(ns) {
  inNetns(ns, baseline, ['rules', String(CHAIN_RULES)]);
}

function churnRule(i) {
  return {
    family: 'ip',
    table: 't',
    chain: 'c',
    expr: [
      { match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: `192.0.2.${i % 250}` } },
      { mangle: { key: { meta: { key: 'mark' } }, value: 100000 + i } },
    ],
  };
}

async function churnCase() {
  const perChange = {};
  let handle;
  const routemark = await measure({
    runs: RUNS,
    setup: async (ns) => {
      await loadChain(ns);
      handle = await open({ netns: ns });
      await handle.nft.generation();
    },
    fn: async () => {
      for (let i = 0; i < CHURN_ROUTEMARK; i++) {
        const { handles } = await handle.nft.apply([{ add: { rule: churnRule(i) } }]);
        await handle.nft.apply([{ delete: { rule: { family: 'ip', table: 't', chain: 'c', handle: handles[0] } } }]);
      }
    },
    verify: async (ns) => {
      handle.close();
      expectCount(await countKernel(ns, 'rules'), CHAIN_RULES, 'churn routemark');
    },
  });
  perChange.routemark = routemark.map((s) => s / CHURN_ROUTEMARK);
  const nft = await measure({
    runs: RUNS,
    setup: loadChain,
    fn: (ns) => {
      for (let i = 0; i < CHURN_NFT; i++) {
        const out = inNetns(ns, 'nft', ['--echo', '--handle', 'add', 'rule', 'ip', 't', 'c', 'ip', 'saddr', `192.0.2.${i}`, 'meta', 'mark', 'set', String(100000 + i)]);
        const handleId = /# handle (\d+)/.exec(out)?.[1];
        if (handleId === undefined) throw new Error(`nft printed no handle: ${out}`);
        inNetns(ns, 'nft', ['delete', 'rule', 'ip', 't', 'c', 'handle', handleId]);
      }
    },
    verify: async (ns) => expectCount(await countKernel(ns, 'rules'), CHAIN_RULES, 'churn nft'),
  });
  perChange['nft add/delete rule'] = nft.map((s) => s / CHURN_NFT);
  const cTimes = [];
  await measure({
    runs: RUNS,
    setup: loadChain,
    fn: (ns) => cTimes.push(Number(inNetns(ns, baseline, ['churn', String(CHURN_C)]))),
    verify: async (ns) => expectCount(await countKernel(ns, 'rules'), CHAIN_RULES, 'churn C'),
  });
  perChange['C baseline'] = cTimes.map((s) => s / CHURN_C);
  // What starting a process in the namespace costs by itself (part of every nft call).
  const spawnCost = await measure({ runs: RUNS, fn: (ns) => spawnSync('ip', ['netns', 'exec', ns, 'true']) });
  perChange['(ip netns exec true)'] = spawnCost;
  return perChange;
}

// --- run ----------------------------------------------------------------------------------------
const cases = {
  'rules 10k': await transactionCase('rules-10k', { n: 10_000, what: 'rules', document: rulesDocument, text: rulesText, cMode: 'rules' }),
  'rules 100k': await transactionCase('rules-100k', { n: 100_000, what: 'rules', document: rulesDocument, text: rulesText, cMode: 'rules' }),
  'map 100k elements': await transactionCase('map-100k', { n: 100_000, what: 'elements', document: mapDocument, text: mapText, cMode: 'map' }),
};
const churn = await churnCase();

const rows = [];
const summary = {};
for (const [name, results] of Object.entries(cases)) {
  const c = median(results['C baseline']);
  const nft = median(results['nft -f']);
  // Each routemark variant against the C baseline doing the same work ("x C", like for like);
  // "x C (no echo)" is against the plain batch, for every row.
  // Only rule cases return handles (and have an echo baseline); a map apply returns none.
  const cForHandles = results['C baseline (echo)'] === undefined ? c : median(results['C baseline (echo)']);
  const counterpart = { routemark: cForHandles, 'routemark (no handles)': c };
  const ratios = {};
  for (const [tool, times] of Object.entries(results)) {
    if (times === undefined) continue;
    const m = median(times);
    const against = counterpart[tool];
    if (against !== undefined) ratios[tool] = m / against;
    rows.push({ case: name, tool, median: seconds(m), 'x C': against === undefined ? '' : (m / against).toFixed(2), 'x C (no echo)': (m / c).toFixed(2), 'x nft -f': (m / nft).toFixed(2) });
  }
  summary[name] = {
    medians: Object.fromEntries(Object.entries(results).filter(([, t]) => t).map(([tool, t]) => [tool, median(t)])),
    runs: results,
    ratiosLikeForLike: ratios,
    target: { withinC: 1.3, fasterThanNft: true },
    met: Object.values(ratios).every((r) => r <= 1.3) && median(results.routemark) < nft,
  };
}
const churnRm = median(churn.routemark);
const churnNft = median(churn['nft add/delete rule']);
for (const [tool, times] of Object.entries(churn)) {
  rows.push({ case: `churn in ${CHAIN_RULES / 1000}k chain (per add+delete)`, tool, median: `${(median(times) * 1000).toFixed(3)} ms`, 'x C': (median(times) / median(churn['C baseline'])).toFixed(2), 'x C (no echo)': '', 'x nft -f': (median(times) / churnNft).toFixed(3) });
}
summary['churn'] = {
  perChangeSeconds: Object.fromEntries(Object.entries(churn).map(([tool, t]) => [tool, median(t)])),
  changes: { routemark: CHURN_ROUTEMARK, nft: CHURN_NFT, c: CHURN_C },
  speedupOverNft: churnNft / churnRm,
  target: { speedupOverNft: 10 },
  met: churnNft / churnRm >= 10,
};
printTable(`nf_tables (median of ${RUNS}, fresh namespace per run; "x C" and "x nft -f" are ratios)`, rows);
for (const [name, s] of Object.entries(summary)) console.log(`${name}: target ${s.met ? 'met' : 'MISSED'}`);
console.log(`cold first runs (not in the medians): ${Object.entries(coldRuns).map(([label, t]) => `${label} ${seconds(t)}`).join(', ')}`);
writeResults('nft', { runs: RUNS, cases: summary, coldRuns });
