/**
 * A seeded differential test of routemark's nftables JSON compiler and decoder against nft
 * 1.0.6 itself, for combinations of forms that the golden fixtures (one form each) never put
 * together: several matches and statements per rule, in ip, ip6 and inet tables, in base
 * chains of each type and hook, with named sets and maps that several rules share.
 *
 * For each seed, differential-gen.ts makes a document. Then:
 *  - acceptance: nft -j -f loads it in namespace B and routemark applies it in namespace A; nft
 *    refuses it exactly when routemark does;
 *  - compile: `nft -j list ruleset` lists A as it lists B;
 *  - replay: routemark's listing of B, loaded by nft -j -f in namespace C, lists as B does (or,
 *    where nft does not read its own listing of B back as it was, as that does);
 *  - listing: routemark lists B as nft -j does, except for rules that routemark lists whole and
 *    nft does not (see listingDifference);
 *  - delete: deleting every rule routemark listed in B, by its handle, leaves every chain empty.
 * A failure names the seed and the smallest rule that still shows it (the rules are tried one
 * by one, then the statements of the culprit are dropped while it still fails): a reproducer
 * to turn into a golden fixture. The reproducers of the bugs found so far run first (REGRESSIONS).
 *
 * The namespaces are made once and flushed between documents; the default seeds take a few
 * seconds. ROUTEMARK_DIFF_SEED=7 (or 100-200, or 3,9) runs other seeds by hand, and
 * ROUTEMARK_DIFF_LOG=FILE appends each failure's full message to FILE.
 */
import t from 'tap';
import { appendFileSync } from 'node:fs';
import { open, type Handle, type NftCommand } from '../../src/index.js';
import type { TestNetns } from '../helpers/netns.js';
import { seedsToRun } from '../helpers/random.js';
import { commandsOf, generateDocument, INTERFACES, type GeneratedDocument, type GeneratedRule, type Json } from './differential-gen.js';
import { canonical, differentialNetns, listingDiff, messageOf, nftLoad, type Listing } from './compare.js';
import { kernelRules, nftFile, nftObjects, withoutHandles } from './helpers.js';

/** The seeds CI runs: fixed, so that every run tests the same documents. */
const DEFAULT_SEEDS = Array.from({ length: 40 }, (_, i) => i + 1);

/** Where a document made routemark and nft disagree. */
type Stage = 'acceptance' | 'compile' | 'listing' | 'replay' | 'delete';

/** One disagreement: where, and what differed. */
interface Mismatch {
  stage: Stage;
  detail: string;
}

/** The three namespaces and their routemark handles, reused by every seed. */
interface Bench {
  /** routemark applies the document here. */
  applied: TestNetns;
  /** nft -j -f loads the document here. */
  loaded: TestNetns;
  /** nft -j -f loads routemark's listing of `loaded` here. */
  replayed: TestNetns;
  a: Handle;
  b: Handle;
  c: Handle;
  /** How many times nft did not read its own listing back as it was (see compare). */
  nftOwnReplayDiffers: number;
  /** How many times routemark's listing differed from nft's in a way listingDifference accepts. */
  nftListingLossy: number;
}

const FLUSH: NftCommand[] = [{ flush: { ruleset: null } }];

function sameListing(left: Listing, right: Listing): boolean {
  return canonical(left) === canonical(right);
}

/** Loads a listing with nft -j -f (chains first) and lists the namespace; the error message if nft refuses it. */
function replay(ns: TestNetns, listing: { nftables: readonly object[] }): Listing | string {
  return nftLoad(ns, listing) ?? nftObjects(ns);
}

/**
 * Applies a document both ways and checks every stage; the first mismatch, or undefined. Leaves
 * all three namespaces empty.
 */
async function compare(bench: Bench, commands: Json[]): Promise<{ mismatch?: Mismatch; nftRefused: boolean }> {
  const { applied, loaded, replayed, a, b, c } = bench;
  try {
    let nftError: unknown;
    try {
      nftFile(loaded, ['-j'], JSON.stringify({ nftables: commands }));
    } catch (error) {
      nftError = error;
    }
    let routemarkError: unknown;
    try {
      await a.nft.apply({ nftables: commands as NftCommand[] });
    } catch (error) {
      routemarkError = error;
    }
    if (nftError !== undefined || routemarkError !== undefined) {
      if (nftError !== undefined && routemarkError !== undefined) return { nftRefused: true };
      const detail = nftError !== undefined ? `nft refuses the document (${messageOf(nftError)}), routemark applied it` : `routemark refuses the document (${messageOf(routemarkError)}), nft loads it`;
      return { mismatch: { stage: 'acceptance', detail }, nftRefused: nftError !== undefined };
    }

    const nftLoaded = nftObjects(loaded);
    const nftApplied = nftObjects(applied);
    if (!sameListing(nftApplied, nftLoaded)) {
      return { mismatch: { stage: 'compile', detail: `nft lists what routemark applied (A) otherwise than what nft loaded (B):\n${listingDiff(nftApplied, nftLoaded, 'A', 'B')}` }, nftRefused: false };
    }

    let listing;
    try {
      listing = await b.nft.list();
    } catch (error) {
      return { mismatch: { stage: 'listing', detail: `routemark cannot list what nft loaded: ${messageOf(error)}` }, nftRefused: false };
    }
    const ourReplay = replay(replayed, listing);
    if (typeof ourReplay === 'string' || !sameListing(ourReplay, nftLoaded)) {
      // nft 1.0.6 does not read all of its own listings back as they were (a mark prefix in a
      // concatenated interval set comes back in the other byte order): routemark's listing
      // must then do what nft's own listing of B does, loaded the same way (into A, done with).
      await a.nft.apply(FLUSH);
      const nftReplay = replay(applied, JSON.parse(loaded.exec('nft', ['-j', 'list', 'ruleset'])) as { nftables: object[] });
      const same = typeof ourReplay === 'string' ? typeof nftReplay === 'string' : typeof nftReplay !== 'string' && sameListing(ourReplay, nftReplay);
      if (!same) {
        const detail =
          typeof ourReplay === 'string'
            ? `nft -j -f refuses routemark's listing of B (${ourReplay}), it reads its own`
            : `routemark's listing of B, loaded by nft -j -f (C), lists otherwise than B:\n${listingDiff(ourReplay, nftLoaded, 'C', 'B')}`;
        return { mismatch: { stage: 'replay', detail }, nftRefused: false };
      }
      bench.nftOwnReplayDiffers++;
    }

    const ours = withoutHandles(listing.nftables.filter((o) => !('metainfo' in o))) as unknown as Listing;
    if (!sameListing(ours, nftLoaded)) {
      const detail = await listingDifference(bench, ours, nftLoaded, typeof ourReplay !== 'string');
      if (detail !== undefined) return { mismatch: { stage: 'listing', detail }, nftRefused: false };
    }
    const deletes = listing.nftables.flatMap((o) => ('rule' in o ? [{ delete: { rule: { family: o.rule.family, table: o.rule.table, chain: o.rule.chain, handle: o.rule.handle! } } }] : []));
    try {
      await b.nft.apply(deletes);
    } catch (error) {
      return { mismatch: { stage: 'delete', detail: `deleting the ${deletes.length} rules routemark listed, by handle, fails: ${messageOf(error)}` }, nftRefused: false };
    }
    const left = nftObjects(loaded).filter((o) => 'rule' in o);
    if (left.length > 0) return { mismatch: { stage: 'delete', detail: `rules left after deleting every rule routemark listed: ${JSON.stringify(left).slice(0, 1500)}` }, nftRefused: false };
    return { nftRefused: false };
  } finally {
    await Promise.all([a.nft.apply(FLUSH), b.nft.apply(FLUSH), c.nft.apply(FLUSH)]);
  }
}

/**
 * Where routemark's listing of B differs from nft's: undefined if every rule listed otherwise
 * is one that routemark's listing keeps whole (the kernel holds for it in C, routemark's
 * listing loaded by nft, the expressions it holds in B) and that either nft's own listing loses
 * part of (nft 1.0.6 lists `ct l3proto ipv6 udp dport 53` of an inet table as `udp dport 53`,
 * which loads as another rule: the kernel holds another rule for it in A, where nft's listing
 * is loaded the same way), or that the two list otherwise only in which protocol matches they
 * hide (`meta l4proto tcp` before `tcp option maxseg size 1000-1460 reject with tcp reset`).
 * Both list the dependencies nft inserts (meta l4proto, meta nfproto) away and insert them
 * again where nft would: where those stand is not compared. Otherwise the difference, for the
 * failure message.
 */
async function listingDifference(bench: Bench, ours: Listing, nftLoaded: Listing, replayedOurs: boolean): Promise<string | undefined> {
  const shown = `routemark lists B otherwise than nft -j does:\n${listingDiff(ours, nftLoaded, 'routemark', 'nft')}`;
  const rulesOf = (listing: Listing) => listing.filter((o) => 'rule' in o);
  const others = (listing: Listing) => listing.filter((o) => !('rule' in o));
  if (!replayedOurs || !sameListing(others(ours), others(nftLoaded)) || rulesOf(ours).length !== rulesOf(nftLoaded).length) return shown;
  // The kernel's rules of each namespace, by table, chain and place in the chain (the order of
  // both listings). Anonymous sets are numbered in the order they were made, which a listing changes.
  const tables = nftLoaded.filter((o) => 'table' in o).map((o) => String(o.table!.name));
  const held = async (handle: Handle) => {
    const byPlace = new Map<string, Record<string, unknown>>();
    const counts = new Map<string, number>();
    for (const rule of (await Promise.all(tables.map((table) => kernelRules(handle, table)))).flat()) {
      const chain = `${String(rule.table)}|${String(rule.chain)}`;
      const index = counts.get(chain) ?? 0;
      counts.set(chain, index + 1);
      byPlace.set(`${chain}|${index}`, rule);
    }
    return byPlace;
  };
  const text = (rule: Record<string, unknown> | undefined, dependencies: boolean) => (rule === undefined ? '' : canonical(dependencies ? rule : withoutDependencies(rule)).replace(/"__(set|map|objmap)\d+"/g, '"__$1"'));
  const { a, b, c, applied, loaded } = bench;
  const inB = await held(b);
  const inC = await held(c);
  await a.nft.apply(FLUSH);
  const nftRefusesItsOwn = typeof replay(applied, JSON.parse(loaded.exec('nft', ['-j', 'list', 'ruleset'])) as { nftables: object[] }) === 'string';
  const inD = await held(a);
  const counts = new Map<string, number>();
  for (const [i, rule] of rulesOf(ours).entries()) {
    const theirs = rulesOf(nftLoaded)[i]!;
    const body = rule.rule!;
    const chain = `${String(body.table)}|${String(body.chain)}`;
    const place = `${chain}|${counts.get(chain) ?? 0}`;
    counts.set(chain, (counts.get(chain) ?? 0) + 1);
    if (canonical(rule) === canonical(theirs)) continue;
    const nftLossy = nftRefusesItsOwn || text(inD.get(place), true) !== text(inB.get(place), true);
    const oursWhole = text(inC.get(place), false) === text(inB.get(place), false);
    if (!oursWhole || !(nftLossy || canonical(withoutProtocolMatches(rule)) === canonical(withoutProtocolMatches(theirs)))) {
      const lost = nftLossy ? `\n  and the kernel holds another rule for C than for B: ${text(inC.get(place), true).slice(0, 1500)}\n  instead of ${text(inB.get(place), true).slice(0, 1500)}` : '';
      return `${shown}${lost}`;
    }
  }
  bench.nftListingLossy++;
  return undefined;
}

/** A listed rule without its matches of one protocol (meta l4proto/nfproto, ct protocol/l3proto). */
function withoutProtocolMatches(rule: Record<string, Record<string, unknown>>): unknown {
  const expr = rule.rule!.expr as { match?: { op: string; left: { meta?: { key: string }; ct?: { key: string; dir?: string } }; right: unknown } }[];
  const isProtocolMatch = (s: (typeof expr)[number]) => {
    const left = s.match?.left;
    const single = typeof s.match?.right === 'string' || typeof s.match?.right === 'number';
    return s.match?.op === '==' && single && (left?.meta?.key === 'l4proto' || left?.meta?.key === 'nfproto' || (left?.ct?.dir === undefined && (left?.ct?.key === 'protocol' || left?.ct?.key === 'l3proto')));
  };
  return { ...rule.rule, expr: expr.filter((s) => !isProtocolMatch(s)) };
}

/** NFT_META_NFPROTO and NFT_META_L4PROTO: the keys of the dependencies nft inserts. */
const DEPENDENCY_META_KEYS = [15, 16];

/** A rule as the kernel holds it (kernelRules) without its `meta nfproto`/`meta l4proto` compares. */
function withoutDependencies(rule: Record<string, unknown>): Record<string, unknown> {
  const expressions = rule.expr as Record<string, unknown>[];
  const kept = expressions.filter((e, i) => {
    const isDependencyLoad = (x: Record<string, unknown> | undefined) => x?.expr === 'meta' && DEPENDENCY_META_KEYS.includes(x.key as number);
    const isDependencyCompare = (x: Record<string, unknown>) => x.expr === 'cmp' && x.op === 0 && isDependencyLoad(expressions[i - 1]) && x.sreg === expressions[i - 1]!.dreg;
    return !(isDependencyLoad(e) && expressions[i + 1] !== undefined && expressions[i + 1]!.expr === 'cmp' && expressions[i + 1]!.sreg === e.dreg) && !isDependencyCompare(e);
  });
  return { ...rule, expr: kept };
}

/** The named sets and chains a rule refers to (`@name`, jump/goto targets, and what those refer to). */
function referencedNames(value: Json, base: readonly Json[], table: string): Set<string> {
  const names = new Set<string>();
  const visit = (v: Json): void => {
    if (typeof v === 'string' && v.startsWith('@')) {
      const name = v.slice(1);
      if (!names.has(name)) {
        names.add(name);
        for (const definition of base) {
          const body = bodyOf(definition);
          if (body?.table === table && body.name === name) visit(body.elem ?? null);
        }
      }
    } else if (Array.isArray(v)) v.forEach(visit);
    else if (v !== null && typeof v === 'object') {
      for (const [key, inner] of Object.entries(v)) {
        if ((key === 'jump' || key === 'goto') && inner !== null && typeof inner === 'object' && 'target' in inner) names.add(String(inner.target));
        visit(inner);
      }
    }
  };
  visit(value);
  return names;
}

/** The object an `add` command adds (`{"add": {"set": BODY}}` gives BODY). */
function bodyOf(command: Json): Record<string, Json> | undefined {
  const add = (command as Record<string, Json>).add as Record<string, Json> | undefined;
  return add === undefined ? undefined : (Object.values(add)[0] as Record<string, Json>);
}

/**
 * The base a rule needs: its table, its chain, the base chains' definitions it may jump from
 * not included, the sets and chains it refers to.
 */
function baseFor(rule: GeneratedRule, base: readonly Json[]): Json[] {
  const names = referencedNames(rule.expr, base, rule.table);
  names.add(rule.chain);
  return base.filter((command) => {
    const add = (command as Record<string, Json>).add as Record<string, Json>;
    const [kind] = Object.keys(add);
    const body = bodyOf(command)!;
    if (kind === 'table') return body.family === rule.family && body.name === rule.table;
    return body.family === rule.family && body.table === rule.table && names.has(String(body.name));
  });
}

/** Whether a one-rule document (trimmed base) shows a mismatch of `stage`, nft accepting it. */
async function failsAlone(bench: Bench, rule: GeneratedRule, base: readonly Json[], stage: Stage): Promise<Mismatch | undefined> {
  const result = await compare(bench, commandsOf(baseFor(rule, base), [rule]));
  if (result.mismatch?.stage !== stage) return undefined;
  // Only a rule nft accepts is a reproducer of a compile or decode bug.
  if (stage !== 'acceptance' && result.nftRefused) return undefined;
  return result.mismatch;
}

/**
 * The smallest rule that still shows a mismatch of `stage`: each rule alone, the smallest that
 * fails, then its statements dropped one at a time while it keeps failing.
 */
async function reproducer(bench: Bench, document: GeneratedDocument, stage: Stage): Promise<string> {
  const size = (rule: GeneratedRule) => rule.expr.length * 10000 + JSON.stringify(rule.expr).length;
  let best: { rule: GeneratedRule; mismatch: Mismatch } | undefined;
  for (const rule of document.rules) {
    if (best !== undefined && size(rule) >= size(best.rule)) continue;
    const mismatch = await failsAlone(bench, rule, document.base, stage);
    if (mismatch !== undefined) best = { rule, mismatch };
  }
  if (best === undefined) {
    // Maybe the sets and maps alone show it: then the smallest one that does.
    const tables = document.base.filter((command) => 'table' in ((command as Record<string, Json>).add as object));
    const chains = document.base.filter((command) => 'chain' in ((command as Record<string, Json>).add as object));
    for (const command of document.base) {
      const add = (command as Record<string, Json>).add as Record<string, Json>;
      if ('table' in add || 'chain' in add) continue;
      const table = String(bodyOf(command)!.table);
      const alone = [...tables.filter((t) => bodyOf(t)!.name === table), ...chains.filter((c) => bodyOf(c)!.table === table), command];
      const result = await compare(bench, alone);
      if (result.mismatch?.stage === stage) return `no rule needed: this definition shows it:\n  ${result.mismatch.detail.replace(/\n/g, '\n  ')}\n  document: ${JSON.stringify({ nftables: alone })}`;
    }
    return 'no rule or definition alone shows it: the whole document is the reproducer';
  }
  for (let shrunk = true; shrunk && best.rule.expr.length > 1; ) {
    shrunk = false;
    for (let i = 0; i < best.rule.expr.length; i++) {
      const candidate: GeneratedRule = { ...best.rule, expr: best.rule.expr.filter((_, j) => j !== i) };
      const mismatch = await failsAlone(bench, candidate, document.base, stage);
      if (mismatch !== undefined) {
        best = { rule: candidate, mismatch };
        shrunk = true;
        break;
      }
    }
  }
  const nftables = commandsOf(baseFor(best.rule, document.base), [best.rule]);
  return `smallest rule that shows it (${best.rule.family} ${best.rule.table} chain ${best.rule.chain}):\n  ${JSON.stringify(best.rule.expr)}\n  ${best.mismatch.detail.replace(/\n/g, '\n  ')}\n  document: ${JSON.stringify({ nftables })}`;
}

/** A document of one table, its chains and objects, and rules: for the regressions below. */
function smallDocument(family: 'ip' | 'ip6' | 'inet', chain: { name: string; type?: string; hook?: string; prio?: number }, rules: Json[][], objects: Record<string, Json>[] = []): Json[] {
  const table = { family, table: `reg_${family}` };
  const chainBody: Record<string, Json> = { ...table, name: chain.name };
  if (chain.type !== undefined) Object.assign(chainBody, { type: chain.type, hook: chain.hook!, prio: chain.prio!, policy: 'accept' });
  return [
    { add: { table: { family, name: table.table } } },
    { add: { chain: chainBody } },
    ...objects.map((o) => ({ add: Object.fromEntries(Object.entries(o).map(([kind, body]) => [kind, { ...table, ...(body as object) }])) })),
    ...rules.map((expr) => ({ add: { rule: { ...table, chain: chain.name, expr } } })),
  ];
}

const FILTER_INPUT = { name: 'c', type: 'filter', hook: 'input', prio: 0 };
const FILTER_POSTROUTING = { name: 'c', type: 'filter', hook: 'postrouting', prio: 0 };
const MANGLE_PREROUTING = { name: 'c', type: 'filter', hook: 'prerouting', prio: -150 };
const payload = (protocol: string, field: string): Json => ({ payload: { protocol, field } });
const meta = (key: string): Json => ({ meta: { key } });
const ct = (key: string): Json => ({ ct: { key } });
const match = (left: Json, right: Json, op = '=='): Json => ({ match: { op, left, right } });

/**
 * The reproducers of the bugs this test found (see the report that came with it), each the
 * smallest rule that showed one, kept so that they stay fixed whatever the generator makes.
 */
const REGRESSIONS: { name: string; document: Json[] }[] = [
  {
    // nft gives an anonymous interval set auto-merge: adjacent elements become one range.
    name: 'anonymous interval set: adjacent addresses and prefixes are joined (seeds 39, 14)',
    document: [
      ...smallDocument('inet', FILTER_INPUT, [
        [match(payload('ip', 'saddr'), { set: ['192.0.2.1', '10.2.0.10', '192.0.2.2', { prefix: { addr: '10.0.0.0', len: 24 } }] }, '!=')],
        [match(payload('ip6', 'daddr'), { set: [{ prefix: { addr: '2001:db8:2::', len: 48 } }, { prefix: { addr: '2001:db8:1::', len: 48 } }, '2001:db8::2'] })],
      ]),
    ],
  },
  {
    // nft lists a mark compared under a prefix mask as a prefix.
    name: 'ct mark & 0xff000000 != 0 is listed as the prefix 0/8 (seed 38)',
    document: smallDocument('ip6', { name: 'sub' }, [[match({ '&': [ct('mark'), 0xff000000] }, 0, '!=')]]),
  },
  {
    // `ct protocol tcp` tells nft the transport header: no `meta l4proto tcp` before tcp dport.
    name: 'ct protocol tcp, then tcp dport: no meta l4proto dependency (seed 36)',
    document: smallDocument('ip', FILTER_INPUT, [[match(ct('protocol'), 'tcp'), match(payload('tcp', 'dport'), 39311)]]),
  },
  {
    // `ct l3proto ipv6` tells nft the network header, in an inet table; listed, it names ip6 daddr.
    name: 'ct l3proto ipv6, then a set statement on ip6 daddr (seeds 10, 72)',
    document: smallDocument('inet', FILTER_INPUT, [[match(ct('l3proto'), 'ipv6'), { counter: null }, { set: { op: 'update', elem: payload('ip6', 'daddr'), set: '@seen6' } }]], [{ set: { name: 'seen6', type: 'ipv6_addr' } }]),
  },
  {
    // In an inet table nft's plain `reject` is icmpv6 once the packet is known to be IPv6.
    name: 'meta nfproto ipv6, then reject: icmpv6 port-unreachable (seed 30)',
    document: smallDocument('inet', FILTER_INPUT, [[match(meta('nfproto'), 'ipv6'), { reject: null }]]),
  },
  {
    // nft puts a reject's `meta l4proto tcp` at the start of the rule.
    name: 'counter, then reject with tcp reset: meta l4proto tcp first (seed 335)',
    document: smallDocument('inet', FILTER_INPUT, [[{ counter: null }, { reject: { type: 'tcp reset' } }]]),
  },
  {
    // nft refuses tproxy without a family once the IP version is known; so must routemark.
    name: 'meta nfproto ipv4, meta l4proto tcp, tproxy to :8080: both refuse it (seeds 12, 191)',
    document: smallDocument('inet', MANGLE_PREROUTING, [[match(meta('nfproto'), 'ipv4'), match(meta('l4proto'), 'tcp'), { tproxy: { port: 8080 } }]]),
  },
  {
    // nft merges equality matches on adjacent header fields into one load.
    name: 'tcp dport, tcp sport: one 4-byte load (seed 101)',
    document: smallDocument('ip', FILTER_INPUT, [[match(payload('tcp', 'dport'), 1004), match(payload('tcp', 'sport'), 57808)]]),
  },
  {
    // ... and leaves the merged match where the field naming the next protocol was.
    name: 'ip6 nexthdr, oifname, ip6 length: merged where ip6 nexthdr was (seed 1256)',
    document: smallDocument('ip6', FILTER_POSTROUTING, [[match(payload('ip6', 'nexthdr'), 'udp'), match(meta('oifname'), 'tun*'), match(payload('ip6', 'length'), 1121)]]),
  },
  {
    // A merged tcp flags value of several flags is listed as a number, as nft lists it.
    name: 'tcp window, tcp flags == syn|ack: merged, flags listed as 18 (seed 143)',
    document: smallDocument('ip', FILTER_INPUT, [[match(payload('tcp', 'window'), 11385), match(payload('tcp', 'flags'), { '|': ['syn', 'ack'] })]]),
  },
  {
    // routemark must not hide `meta l4proto tcp` where nft hides the later `ct protocol tcp`.
    name: 'meta l4proto tcp, ct protocol tcp, tcp dport in an inet table (seeds 336, 463)',
    document: smallDocument('inet', FILTER_INPUT, [[match(meta('l4proto'), 'tcp'), match(ct('protocol'), 'tcp'), match(payload('tcp', 'dport'), 22)]]),
  },
  {
    // After `ct protocol tcp` an `ip protocol tcp` is no dependency: it stays listed.
    name: 'ct protocol tcp, ip protocol tcp, tcp dport (seed 17)',
    document: smallDocument('ip', FILTER_INPUT, [[match(ct('protocol'), 'tcp'), match(payload('ip', 'protocol'), 'tcp'), match(payload('tcp', 'dport'), 22)]]),
  },
  {
    // Raw loads longer than 4 bytes: the value in all of the register, listed as nft lists it.
    name: '@nh,64,128 and @nh,64,64 in an inet table: the whole value, in all of the register',
    document: smallDocument('inet', FILTER_INPUT, [
      [match({ payload: { base: 'nh', offset: 64, len: 128 } }, '0x20010db8000000000000000000000001')],
      [match({ payload: { base: 'nh', offset: 64, len: 64 } }, 1099511627776)],
    ]),
  },
  {
    // After a match that allows several transport protocols the header stays `th`.
    name: 'ct protocol udp, meta l4proto { tcp, udp }, th dport (seeds 219, 405)',
    document: smallDocument('ip6', FILTER_INPUT, [
      [match(ct('protocol'), 'udp'), match(meta('l4proto'), { set: ['tcp', 'udp'] }), match(payload('th', 'dport'), { set: [53, 123] })],
      [match(meta('l4proto'), { set: ['tcp', 'udp'] }), match(ct('protocol'), 'tcp'), match(payload('th', 'dport'), { set: [53, 123] })],
    ]),
  },
];

t.test('differential: routemark and nft agree on seeded documents of combined forms', async (t) => {
  const started = Date.now();
  const applied = differentialNetns(t, 'rmd-a', INTERFACES);
  const loaded = differentialNetns(t, 'rmd-b', INTERFACES);
  const replayed = differentialNetns(t, 'rmd-c', INTERFACES);
  const [a, b, c] = await Promise.all([open({ netns: applied.name }), open({ netns: loaded.name }), open({ netns: replayed.name })]);
  t.teardown(() => {
    a.close();
    b.close();
    c.close();
  });
  const bench: Bench = { applied, loaded, replayed, a, b, c, nftOwnReplayDiffers: 0, nftListingLossy: 0 };

  await t.test('the reproducers of the bugs it found', async (t) => {
    for (const { name, document } of REGRESSIONS) {
      const { mismatch } = await compare(bench, document);
      t.equal(mismatch === undefined ? undefined : `${mismatch.stage}: ${mismatch.detail}`, undefined, name);
    }
  });

  const byHand = (process.env.ROUTEMARK_DIFF_SEED ?? '').trim() !== '';
  const seeds = seedsToRun(DEFAULT_SEEDS);
  let rules = 0;
  let accepted = 0;
  let refused = 0;
  for (const seed of seeds) {
    const document = generateDocument(seed);
    const { mismatch, nftRefused } = await compare(bench, commandsOf(document.base, document.rules));
    if (nftRefused) refused++;
    else {
      accepted++;
      rules += document.rules.length;
    }
    if (mismatch === undefined) {
      t.pass(`seed ${seed}: ${nftRefused ? 'both refuse the document' : `${document.rules.length} rules agree`}`);
      continue;
    }
    const found = await reproducer(bench, document, mismatch.stage);
    t.fail(`seed ${seed} (ROUTEMARK_DIFF_SEED=${seed}): ${mismatch.stage}: ${mismatch.detail}\n${found}`);
    if (process.env.ROUTEMARK_DIFF_LOG) appendFileSync(process.env.ROUTEMARK_DIFF_LOG, `seed ${seed} (ROUTEMARK_DIFF_SEED=${seed}): ${mismatch.stage}: ${mismatch.detail}\n${found}\n\n`);
  }
  if (!byHand) {
    // The generator must keep producing mostly valid documents, and enough rules to mean something.
    t.ok(accepted >= seeds.length * 0.8, `nft accepts most documents (${accepted} of ${seeds.length}; ${refused} refused by both)`);
    t.ok(rules >= 300, `${rules} rules compared`);
  }
  t.comment(`${seeds.length} seeds, ${rules} rules in accepted documents, ${bench.nftOwnReplayDiffers} where nft did not read its own listing back as it was, ${bench.nftListingLossy} where routemark's listing kept whole what nft's did not, or hid other protocol matches, ${((Date.now() - started) / 1000).toFixed(1)} s`);
});
