/**
 * A seeded differential test of named sets and maps: routemark against nft 1.0.6 itself, over
 * sequences of documents (sets-differential-gen.ts) that make, fill, change, flush and delete
 * sets and maps of every key type, and the rules that use them.
 *
 * For each seed, each document of the sequence in turn:
 *  - acceptance: routemark applies it in namespace A and nft -j -f loads it in B (with verdict
 *    elements moved after the chains they jump to: see nftOrder); routemark refuses it
 *    exactly when nft does (a refused document changes nothing in either);
 *  - compile: `nft -j list ruleset` lists A as it lists B.
 * After the last document:
 *  - listing: routemark's listing of A equals `nft -j list ruleset` of B (handles, metainfo and
 *    the seconds elements have left removed);
 *  - replay: routemark's listing of A, applied by routemark in a fresh namespace C, lists as B;
 *  - nft-replay: that listing, loaded by nft -j -f in C (chains first, as nft reads its own),
 *    lists as B, where nft reads its own listing of B back as it was.
 * A failure names the seed and the smallest command sequence that still shows it (commands are
 * dropped one by one while the same stage still fails).
 *
 * The namespaces are made once and flushed between seeds. ROUTEMARK_DIFF_SEED=7 (or 100-200, or
 * 3,9) runs other seeds by hand; ROUTEMARK_DIFF_LOG=FILE appends each failure's message to FILE;
 * ROUTEMARK_DIFF_REFUSALS=1 prints why each document both refuse was refused.
 */
import t from 'tap';
import { appendFileSync } from 'node:fs';
import { open, type Handle, type NftCommand } from '../../src/index.js';
import type { TestNetns } from '../helpers/netns.js';
import { seedsToRun } from '../helpers/random.js';
import { generateSequence, INTERFACES, type Json } from './sets-differential-gen.js';
import { canonical, differentialNetns, listingDiff, messageOf, nftLoad, type Listing } from './compare.js';
import { nftFile, withoutHandles } from './helpers.js';

/** The seeds CI runs: fixed, so that every run tests the same sequences. */
const DEFAULT_SEEDS = Array.from({ length: 30 }, (_, i) => i + 1);

type Stage = 'acceptance' | 'compile' | 'listing' | 'replay' | 'nft-replay';

interface Mismatch {
  stage: Stage;
  /** The document of the sequence where it showed (the last one for the stages after it). */
  document: number;
  detail: string;
}

/** The three namespaces and their routemark handles, reused by every seed. */
interface Bench {
  /** routemark applies the documents here. */
  applied: TestNetns;
  /** nft -j -f loads the documents here. */
  loaded: TestNetns;
  /** routemark's listing of A is fed back here. */
  replayed: TestNetns;
  a: Handle;
  c: Handle;
  /** Sequences where nft did not read its own listing back as it was (nft-replay not compared). */
  nftOwnReplayDiffers: number;
}

const FLUSH: NftCommand[] = [{ flush: { ruleset: null } }];

/**
 * A listing without metainfo, handles and `expires` (the seconds an element has left: two
 * listings taken apart in time differ there).
 */
function comparable(listing: { nftables: readonly object[] }): Listing {
  const items = listing.nftables.filter((o) => !('metainfo' in o));
  return JSON.parse(JSON.stringify(withoutHandles(items), (key, v: unknown) => (key === 'expires' ? undefined : v))) as Listing;
}

function nftListing(ns: TestNetns): Listing {
  return comparable(ns.nftJson());
}

/** Loads a listing with nft -j -f into the flushed namespace C: its listing, or nft's refusal. */
function nftReplay(bench: Bench, listing: { nftables: readonly object[] }): Listing | string {
  bench.replayed.exec('nft', ['flush', 'ruleset']);
  return nftLoad(bench.replayed, listing) ?? nftListing(bench.replayed);
}

/**
 * A document as nft -j -f is given it: the elements of a command that jump (or go) to a chain
 * that a later command of the document adds are moved, all of that command's elements in their
 * order, to an `add element` right after the last such chain. nft 1.0.6 sends elements where
 * they stand, and the kernel refuses one that jumps to a chain it has not made yet (ENOENT);
 * routemark holds them until then (README "Sets and maps"). Nothing else moves: chains and sets
 * keep their order (and so their handles), elements their order (a concatenated interval set
 * lists them in the order they were added).
 */
function nftOrder(document: readonly Json[]): Json[] {
  type Body = { family: string; table: string; name: string; elem?: Json[] };
  const out = document.map((command) => JSON.parse(JSON.stringify(command)) as Json);
  const chainAt = (family: string, table: string, name: string, after: number): number =>
    out.findIndex((command, i) => {
      const chain = (command as { add?: { chain?: Body } }).add?.chain;
      return i > after && chain !== undefined && chain.family === family && chain.table === table && chain.name === name;
    });
  for (let i = 0; i < out.length; i++) {
    const add = (out[i] as { add?: Record<string, Body> }).add;
    const body = add?.map ?? add?.element;
    if (body?.elem === undefined || !Array.isArray(body.elem)) continue;
    const targets = [...JSON.stringify(body.elem).matchAll(/"target":("(?:[^"\\]|\\.)*")/g)].map((m) => JSON.parse(m[1]!) as string);
    const last = Math.max(-1, ...targets.map((target) => chainAt(body.family, body.table, target, i)));
    if (last < 0) continue;
    out.splice(last + 1, 0, { add: { element: { family: body.family, table: body.table, name: body.name, elem: body.elem } } });
    if (add!.element !== undefined) out.splice(i--, 1);
    else delete body.elem;
  }
  return out;
}

/** Applies a sequence both ways and checks every stage: the first mismatch, or undefined. Leaves the namespaces empty. */
async function compare(bench: Bench, documents: readonly Json[][]): Promise<{ mismatch?: Mismatch; refused: number }> {
  const { applied, loaded, a, c } = bench;
  let refused = 0;
  try {
    for (const [index, document] of documents.entries()) {
      let nftError: unknown;
      try {
        nftFile(loaded, ['-j'], JSON.stringify({ nftables: nftOrder(document) }));
      } catch (error) {
        nftError = error;
      }
      let routemarkError: unknown;
      try {
        await a.nft.apply({ nftables: document as NftCommand[] });
      } catch (error) {
        routemarkError = error;
      }
      if ((nftError === undefined) !== (routemarkError === undefined)) {
        const detail = nftError !== undefined ? `nft refuses the document (${messageOf(nftError)}), routemark applied it` : `routemark refuses the document (${messageOf(routemarkError)}), nft loads it`;
        return { mismatch: { stage: 'acceptance', document: index, detail }, refused };
      }
      if (nftError !== undefined) refused++;
      if (nftError !== undefined && process.env.ROUTEMARK_DIFF_REFUSALS) console.error(`both refuse document ${index}: nft: ${messageOf(nftError).slice(-150)} | ${messageOf(routemarkError)}`);
      const inA = nftListing(applied);
      const inB = nftListing(loaded);
      if (canonical(inA) !== canonical(inB)) {
        return { mismatch: { stage: 'compile', document: index, detail: `nft lists what routemark applied (A) otherwise than what nft loaded (B):\n${listingDiff(inA, inB, 'A', 'B')}` }, refused };
      }
    }
    const last = documents.length - 1;
    const inB = nftListing(loaded);
    let listing;
    try {
      listing = await a.nft.list();
    } catch (error) {
      return { mismatch: { stage: 'listing', document: last, detail: `routemark cannot list A: ${messageOf(error)}` }, refused };
    }
    const ours = comparable(listing);
    if (canonical(ours) !== canonical(inB)) {
      return { mismatch: { stage: 'listing', document: last, detail: `routemark lists A otherwise than nft -j lists B:\n${listingDiff(ours, inB, 'routemark', 'nft')}` }, refused };
    }
    try {
      await c.nft.apply(listing);
    } catch (error) {
      return { mismatch: { stage: 'replay', document: last, detail: `routemark refuses its own listing of A: ${messageOf(error)}` }, refused };
    }
    const inC = nftListing(bench.replayed);
    if (canonical(inC) !== canonical(inB)) {
      return { mismatch: { stage: 'replay', document: last, detail: `routemark's listing of A, applied by routemark (C), lists otherwise than B:\n${listingDiff(inC, inB, 'C', 'B')}` }, refused };
    }
    // nft -j -f reads routemark's listing as it reads its own: compared only where nft reads its
    // own listing of B back as it was (nft 1.0.6 does not, for some sets).
    const own = nftReplay(bench, JSON.parse(loaded.exec('nft', ['-j', 'list', 'ruleset'])) as { nftables: object[] });
    if (typeof own !== 'string' && canonical(own) === canonical(inB)) {
      const theirs = nftReplay(bench, listing);
      if (typeof theirs === 'string' || canonical(theirs) !== canonical(inB)) {
        const detail = typeof theirs === 'string' ? `nft -j -f refuses routemark's listing of A (${theirs}), it reads its own` : `routemark's listing of A, loaded by nft -j -f (C), lists otherwise than B:\n${listingDiff(theirs, inB, 'C', 'B')}`;
        return { mismatch: { stage: 'nft-replay', document: last, detail }, refused };
      }
    } else bench.nftOwnReplayDiffers++;
    return { refused };
  } finally {
    await Promise.all([a.nft.apply(FLUSH), c.nft.apply(FLUSH)]);
    loaded.exec('nft', ['flush', 'ruleset']);
  }
}

/**
 * The smallest command sequence that still shows a mismatch of the same stage: the documents
 * after the one where it showed are dropped, then commands one at a time (documents left empty
 * go too), while it still fails so. Bounded in time: a reproducer, not a proof of minimality.
 */
async function reproducer(bench: Bench, documents: readonly Json[][], mismatch: Mismatch): Promise<{ documents: Json[][]; mismatch: Mismatch }> {
  let best = { documents: documents.slice(0, mismatch.document + 1).map((d) => [...d]), mismatch };
  const deadline = Date.now() + 20_000;
  for (let shrunk = true; shrunk && Date.now() < deadline; ) {
    shrunk = false;
    for (let d = best.documents.length - 1; d >= 0 && !shrunk; d--) {
      for (let i = best.documents[d]!.length - 1; i >= 0 && !shrunk && Date.now() < deadline; i--) {
        const candidate = best.documents.map((doc, j) => (j === d ? doc.filter((_, k) => k !== i) : doc)).filter((doc) => doc.length > 0);
        if (candidate.length === 0) continue;
        const result = await compare(bench, candidate);
        if (result.mismatch?.stage === mismatch.stage) {
          best = { documents: candidate, mismatch: result.mismatch };
          shrunk = true;
        }
      }
    }
  }
  return best;
}

/** A sequence as the failure message shows it: one document a line. */
function showSequence(documents: readonly Json[][]): string {
  return documents.map((d, i) => `  document ${i}: ${JSON.stringify({ nftables: d })}`).join('\n');
}

/**
 * The smallest sequences of the bugs this test found, run first whatever the generator makes
 * (the regression tests in sets-edge.test.ts witness each in detail).
 */
const REGRESSIONS: { name: string; documents: Json[][] }[] = [
  {
    // A set keyed by interface index listed indexes unless a rule matched iif/oif.
    name: 'iface_index . mark map listed by interface names (seed 21)',
    documents: [[{ add: { table: { family: 'ip', name: 'r21' } } }, { add: { map: { family: 'ip', table: 'r21', name: 'm', type: ['iface_index', 'mark'], map: 'mark', elem: [[{ concat: ['eth0', 512] }, 33], [{ concat: ['lo', 256] }, 17]] } } }]],
  },
  {
    // nft sends a constant set no policy, and lists none.
    name: 'constant set with policy memory (seed 8)',
    documents: [[{ add: { table: { family: 'ip6', name: 'r8' } } }, { add: { set: { family: 'ip6', table: 'r8', name: 's', type: 'ct_state', flags: ['constant'], policy: 'memory', elem: ['new'] } } }]],
  },
  {
    // nft sizes a constant set to its definition's elements: more, even in the same document, is ENFILE.
    name: 'constant set, then more elements in the same document (seed 6)',
    documents: [[{ add: { table: { family: 'ip6', name: 'r6' } } }, { add: { set: { family: 'ip6', table: 'r6', name: 's', type: 'ifname', flags: ['constant'], elem: ['if3'] } } }, { add: { element: { family: 'ip6', table: 'r6', name: 's', elem: ['if25'] } } }]],
  },
];

t.test('sets differential: routemark and nft agree on seeded sequences of set and map commands', async (t) => {
  const started = Date.now();
  const applied = differentialNetns(t, 'rms-a', INTERFACES);
  const loaded = differentialNetns(t, 'rms-b', INTERFACES);
  const replayed = differentialNetns(t, 'rms-c', INTERFACES);
  const [a, c] = await Promise.all([open({ netns: applied.name }), open({ netns: replayed.name })]);
  t.teardown(() => {
    a.close();
    c.close();
  });
  const bench: Bench = { applied, loaded, replayed, a, c, nftOwnReplayDiffers: 0 };

  await t.test('the reproducers of the bugs it found', async (t) => {
    for (const { name, documents } of REGRESSIONS) {
      const { mismatch } = await compare(bench, documents);
      t.equal(mismatch === undefined ? undefined : `${mismatch.stage} at document ${mismatch.document}: ${mismatch.detail}`, undefined, name);
    }
  });

  const byHand = (process.env.ROUTEMARK_DIFF_SEED ?? '').trim() !== '';
  const seeds = seedsToRun(DEFAULT_SEEDS);
  let documents = 0;
  let commands = 0;
  let refused = 0;
  for (const seed of seeds) {
    const sequence = generateSequence(seed);
    const result = await compare(bench, sequence.documents);
    documents += sequence.documents.length;
    commands += sequence.documents.flat().length;
    refused += result.refused;
    if (result.mismatch === undefined) {
      t.pass(`seed ${seed}: ${sequence.documents.length} documents agree (${result.refused} refused by both)`);
      continue;
    }
    const found = await reproducer(bench, sequence.documents, result.mismatch);
    const message = `seed ${seed} (ROUTEMARK_DIFF_SEED=${seed}): ${result.mismatch.stage} at document ${result.mismatch.document}: ${result.mismatch.detail}\nsmallest sequence that shows it (${found.mismatch.stage} at document ${found.mismatch.document}: ${found.mismatch.detail.replace(/\n/g, '\n  ')}):\n${showSequence(found.documents)}`;
    t.fail(message);
    if (process.env.ROUTEMARK_DIFF_LOG) appendFileSync(process.env.ROUTEMARK_DIFF_LOG, `${message}\n\n`);
  }
  if (!byHand) {
    // The generator must keep producing mostly accepted documents, and refusals too.
    t.ok(refused <= documents * 0.4, `most documents are accepted (${documents - refused} of ${documents})`);
    t.ok(refused >= 3, `both refuse some documents (${refused})`);
    t.ok(commands >= 300, `${commands} commands compared`);
  }
  t.comment(`${seeds.length} seeds, ${documents} documents, ${commands} commands, ${refused} documents refused by both, ${bench.nftOwnReplayDiffers} sequences where nft did not read its own listing back as it was, ${((Date.now() - started) / 1000).toFixed(1)} s`);
});
