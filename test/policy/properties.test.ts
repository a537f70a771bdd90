/**
 * A seeded property test of the desired-state engine (planPolicy/applyPolicy). For each seed,
 * properties-gen.ts makes a sequence of documents D1..Dk for one owner, each a small edit of the
 * one before, using every kind of object a document holds. Namespace A gets D1..Dk in turn;
 * after each Di, a namespace B emptied (and checked empty) gets Di alone. The real tools are the
 * witnesses (`ip -j -d rule/route/nexthop/addr`, `nft list ruleset`, `sysctl -n`):
 *
 * - Convergence: after applyPolicy(Di), planPolicy(Di) is empty, and applying Di again reports
 *   no change and sends no changing message (counted at the handle's sockets).
 * - History independence: A (after D1..Di) and B (after Di alone) show the same rules, routes of
 *   every table, nexthop objects, addresses, nf_tables tables and the sysctls Di names.
 * - Ownership: what `ip` and `nft` made in both namespaces before (rules, routes, a nexthop
 *   object, addresses, tables, one tagged for another owner) is the same after every apply.
 * - Atomicity: about a third of the steps first try a document the kernel refuses partway (a
 *   route or nexthop via an unreachable gateway, a goto to an earlier priority, a sysctl value
 *   refused after the nf_tables transaction committed): it rejects with a PolicyApplyError that
 *   says it rolled back, and A is as before that apply (and holds the previous document).
 * - Emptying: applyPolicy(ns, {}) brings a namespace back to its plumbing (sysctls aside: they are
 *   not owned, and the test puts them back itself).
 *
 * Normalised, because it must differ by design: the order of addresses on a device (the kernel
 * appends a re-added one; a document has no order), the order of nf_tables tables (a restored or
 * replaced table is listed last), counter values, and the sysctls a later document no longer
 * names (left alone by design, so A keeps what an earlier document set).
 *
 * Seeds are fixed, so CI is reproducible; `ROUTEMARK_DIFF_SEED=<n>` runs one seed of your choice
 * instead, `ROUTEMARK_DIFF_SEED=<a>-<b>` a range of them. A failure names the seed, the step, the
 * edits that made the step's document, and the document.
 */
import t from 'tap';
import { applyPolicy, open, planPolicy, PolicyApplyError, type Handle, type PolicyDocument } from '../../src/index.js';
import { makeNetns, type TeardownHost, type TestNetns } from '../helpers/netns.js';
import { seedsToRun } from '../helpers/random.js';
import { FOREIGN_NEXTHOP, generateSequence, OWNED_ADDRESSES, OWNED_TABLES, OWNER, SYSCTLS, type GeneratedStep } from './properties-gen.js';
import { countMessages, type SentMessages } from './helpers.js';

// Chosen from 1-60 so that together they make every kind of object, route, nexthop, rule
// action, sysctl and refusal the generator knows (a greedy cover of its features).
const SEEDS = seedsToRun([5, 11, 14, 17, 28, 34, 52]);
/** Documents per seed. */
const STEPS = 8;

// ---------------------------------------------------------------------------------------------
// What the tools show

/** A namespace as the tools show it, each part as text to compare. */
interface KernelState {
  rules: string;
  routes: string;
  nexthops: string;
  /** Per device, its addresses sorted (the kernel's order depends on history). */
  addresses: string;
  /** `nft list ruleset` split by table, sorted, counters zeroed. */
  nft: string[];
}

const PARTS = ['rules', 'routes', 'nexthops', 'addresses', 'nft'] as const;

interface IpAddressInfo {
  local: string;
  prefixlen: number;
  [key: string]: unknown;
}

/** The state of a namespace; read again while an IPv6 address is still tentative (it settles from a work queue). */
async function kernelState(ns: TestNetns): Promise<KernelState> {
  for (let attempt = 0; ; attempt++) {
    const links = ns.ipJson<{ ifname: string; addr_info: IpAddressInfo[] }[]>('-d', 'addr', 'show');
    if (attempt < 50 && links.some((l) => l.addr_info.some((a) => a.tentative))) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      continue;
    }
    const addresses = links.map((l) => ({
      ifname: l.ifname,
      addr_info: [...l.addr_info].sort((a, b) => (`${a.local}/${a.prefixlen}` < `${b.local}/${b.prefixlen}` ? -1 : 1)),
    }));
    const nexthops = ns.ipJson<Record<string, unknown>[]>('-d', 'nexthop', 'show').map((n) => {
      // How long a resilient group has been unbalanced is a clock, not configuration.
      const args = n.resilient_args as Record<string, unknown> | undefined;
      if (args === undefined) return n;
      const { unbalanced_time: _time, ...rest } = args;
      return { ...n, resilient_args: rest };
    });
    return {
      rules: JSON.stringify([...ns.ipJson<object[]>('-d', '-4', 'rule', 'show'), ...ns.ipJson<object[]>('-d', '-6', 'rule', 'show')]),
      routes: JSON.stringify([...ns.ipJson<object[]>('-d', '-4', 'route', 'show', 'table', 'all'), ...ns.ipJson<object[]>('-d', '-6', 'route', 'show', 'table', 'all')]),
      nexthops: JSON.stringify(nexthops),
      addresses: JSON.stringify(addresses),
      nft: ns
        .exec('nft', ['list', 'ruleset'])
        .replace(/packets \d+ bytes \d+/g, 'packets 0 bytes 0')
        .split(/^(?=table )/m)
        .filter((table) => table.trim() !== '')
        .sort(),
    };
  }
}

/** What two states differ in, part by part (entries only one side has), or undefined. */
function stateDifference(a: KernelState, b: KernelState, aName: string, bName: string): string | undefined {
  const lines: string[] = [];
  for (const part of PARTS) {
    const left = part === 'nft' ? a.nft : (JSON.parse(a[part]) as unknown[]).map((e) => JSON.stringify(e));
    const right = part === 'nft' ? b.nft : (JSON.parse(b[part]) as unknown[]).map((e) => JSON.stringify(e));
    if (JSON.stringify(left) === JSON.stringify(right)) continue;
    const onlyLeft = left.filter((e) => !right.includes(e));
    const onlyRight = right.filter((e) => !left.includes(e));
    if (onlyLeft.length === 0 && onlyRight.length === 0) lines.push(`${part}: the same entries in another order:\n  ${aName}: ${left.join('\n    ')}\n  ${bName}: ${right.join('\n    ')}`);
    else lines.push(`${part}:\n  only in ${aName}: ${onlyLeft.join('\n    ') || '(none)'}\n  only in ${bName}: ${onlyRight.join('\n    ') || '(none)'}`);
  }
  return lines.length === 0 ? undefined : lines.join('\n');
}

/** The sysctls as `sysctl -n` prints them (blanks collapsed), in the order given. */
function sysctlValues(ns: TestNetns, keys: readonly string[]): string[] {
  if (keys.length === 0) return [];
  return ns
    .exec('sysctl', ['-n', ...keys])
    .trimEnd()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).join(' '));
}

/** The keys a document sets, dotted (documents may spell them as paths). */
function sysctlKeysOf(document: PolicyDocument): string[] {
  return Object.keys(document.sysctls ?? {}).map((key) => key.split('/').join('.'));
}

/**
 * What others made, as the tools show it: rules and routes of other protocols (the kernel's own
 * routes follow the addresses, and are left out), nexthop object 50, the addresses not of the
 * owner's (by address: iproute2 6.1 does not print their protocol), the tables that are not the
 * owner's names.
 */
function foreignPart(state: KernelState): KernelState {
  const notOwned = (o: { protocol?: string }) => o.protocol !== String(OWNER);
  const rules = (JSON.parse(state.rules) as { protocol?: string }[]).filter(notOwned);
  const routes = (JSON.parse(state.routes) as { protocol?: string }[]).filter((r) => notOwned(r) && r.protocol !== 'kernel');
  const nexthops = (JSON.parse(state.nexthops) as { id: number }[]).filter((n) => n.id === FOREIGN_NEXTHOP);
  const addresses = (JSON.parse(state.addresses) as { ifname: string; addr_info: IpAddressInfo[] }[]).map((l) => ({ ...l, addr_info: l.addr_info.filter((a) => !OWNED_ADDRESSES.has(a.local)) }));
  const owned = OWNED_TABLES.map((table) => `table ${table.family} ${table.name} {`);
  const nft = state.nft.filter((text) => !owned.some((head) => text.startsWith(head)));
  return { rules: JSON.stringify(rules), routes: JSON.stringify(routes), nexthops: JSON.stringify(nexthops), addresses: JSON.stringify(addresses), nft };
}

// ---------------------------------------------------------------------------------------------
// The namespaces

/** A namespace of the test, its handle (owner 201), a count of what the handle sends, and its first state. */
interface Side {
  name: string;
  ns: TestNetns;
  handle: Handle;
  sent: SentMessages;
  initial: KernelState;
  initialSysctls: string[];
  foreign: KernelState;
}

/** Every sysctl a document may set, global switches first (writing them back overwrites device keys). */
const SYSCTL_KEYS = Object.keys(SYSCTLS).sort((a, b) => +/\.conf\./.test(a) - +/\.conf\./.test(b));

/**
 * Two veth pairs with fixed MAC addresses (so that link-local addresses and their routes are
 * the same in every namespace), addresses on v0 and v2; then objects of other tools: rules and
 * routes of other protocols (among the owner's tables and priorities), a nexthop object and a
 * route using it, addresses (a secondary, an IPv6 one in the owner's prefix), a table and a
 * table tagged for another owner.
 */
function plumb(ns: TestNetns): void {
  ns.exec('sysctl', ['-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0']);
  for (const [a, b, n] of [['v0', 'v1', 0], ['v2', 'v3', 2]] as const) {
    ns.ip('link', 'add', a, 'address', `02:00:00:00:00:0${n}`, 'type', 'veth', 'peer', 'name', b, 'address', `02:00:00:00:00:0${n + 1}`);
    ns.ip('link', 'set', a, 'up');
    ns.ip('link', 'set', b, 'up');
  }
  ns.ip('addr', 'add', '192.0.2.1/24', 'dev', 'v0');
  ns.ip('addr', 'add', '2001:db8::1/64', 'dev', 'v0', 'nodad');
  ns.ip('addr', 'add', '198.51.100.1/24', 'dev', 'v2');
  // Foreign objects.
  ns.ip('rule', 'add', 'priority', '1005', 'fwmark', '5', 'table', '100', 'proto', '202'); // a priority the owner uses too
  ns.ip('rule', 'add', 'priority', '2050', 'fwmark', '5', 'table', '100');
  ns.ip('-6', 'rule', 'add', 'priority', '2052', 'from', '2001:db8:f::/48', 'table', '100');
  ns.ip('route', 'add', '10.0.50.0/24', 'dev', 'v2', 'table', '100', 'metric', '7');
  ns.ip('route', 'add', '10.0.51.0/24', 'via', '192.0.2.9', 'table', '101', 'proto', 'static');
  ns.ip('route', 'add', '10.0.52.0/24', 'dev', 'v0', 'table', '300', 'proto', '202');
  ns.ip('route', 'add', '10.1.0.0/16', 'dev', 'v0', 'table', '100', 'metric', '30'); // beside the owner's slots
  ns.ip('-6', 'route', 'add', '2001:db8:f::/48', 'via', '2001:db8::9', 'table', '100');
  ns.ip('nexthop', 'add', 'id', String(FOREIGN_NEXTHOP), 'via', '192.0.2.9', 'dev', 'v0');
  ns.ip('route', 'add', '10.0.53.0/24', 'nhid', String(FOREIGN_NEXTHOP), 'table', '100');
  ns.ip('addr', 'add', '192.0.2.60/24', 'dev', 'v0');
  ns.ip('addr', 'add', '2001:db8::60/64', 'dev', 'v0', 'nodad');
  ns.exec('nft', ['-f', '-'], [
    'table ip foreign {',
    '  set s { type ipv4_addr; elements = { 192.0.2.9 } }',
    '  chain c { type filter hook input priority 0; policy accept; ip saddr @s counter accept; }',
    '}',
    'table inet other {',
    '  comment "routemark:202:0123456789abcdef:0123456789abcdef"',
    '  chain c { type filter hook output priority 0; policy accept; meta mark 7 accept; }',
    '}',
    '',
  ].join('\n'));
}

async function makeSide(t: TeardownHost, name: string): Promise<Side> {
  const ns = makeNetns(t, `pp${name}`);
  plumb(ns);
  const handle = await open({ netns: ns.name, owner: OWNER });
  t.teardown(() => handle.close());
  const initial = await kernelState(ns);
  return { name, ns, handle, sent: countMessages(handle), initial, initialSysctls: sysctlValues(ns, SYSCTL_KEYS), foreign: foreignPart(initial) };
}

/**
 * Empties a namespace with the empty document, puts the sysctls back as they were (they are not
 * owned: the empty document leaves them), and says how it then differs from its first state.
 */
async function empty(side: Side): Promise<string | undefined> {
  await applyPolicy(side.handle, {});
  side.ns.exec('sysctl', ['-qw', ...SYSCTL_KEYS.map((key, i) => `${key}=${side.initialSysctls[i]}`)]);
  return stateDifference(await kernelState(side.ns), side.initial, side.name, `${side.name} at first`);
}

// ---------------------------------------------------------------------------------------------
// One seed

function describeError(error: unknown): string {
  if (error instanceof PolicyApplyError) return `PolicyApplyError ${error.code} at ${error.step} (${error.operation}): ${error.message}; rolledBack ${error.rolledBack}, rollbackErrors ${error.rollbackErrors.map((e) => e.message).join('; ') || 'none'}`;
  return `${(error as Error)?.name ?? 'throw'}: ${(error as Error)?.message ?? String(error)}`;
}

/** Runs one seed's sequence on A and B, from and back to their plumbing. Returns the failures (the first of each seed ends it). */
async function runSeed(a: Side, b: Side, seed: number, counts: { steps: number; poisoned: number }): Promise<string[]> {
  const sequence = generateSequence(seed, STEPS);
  let previous: PolicyDocument = {};
  for (let step = 0; step < sequence.length; step++) {
    const { document, poisoned, edits } = sequence[step] as GeneratedStep;
    const where = `seed ${seed} step ${step + 1}`;
    const failure = (what: string, doc: PolicyDocument = document) => [`${where} (edits: ${edits.join(', ') || 'none'}): ${what}\ndocument: ${JSON.stringify(doc)}`];

    // Atomicity: a document the kernel refuses partway leaves A as it was.
    if (poisoned !== undefined) {
      counts.poisoned++;
      const before = await kernelState(a.ns);
      const beforeSysctls = sysctlValues(a.ns, SYSCTL_KEYS);
      const error = await applyPolicy(a.handle, poisoned.document).then(
        () => undefined,
        (e: unknown) => e,
      );
      if (!(error instanceof PolicyApplyError)) return failure(`atomicity: ${poisoned.why}: expected a PolicyApplyError, got ${error === undefined ? 'success' : describeError(error)}`, poisoned.document);
      if (!error.rolledBack || error.rollbackErrors.length > 0) return failure(`atomicity: ${poisoned.why}: the rollback says it failed: ${describeError(error)}`, poisoned.document);
      const difference = stateDifference(await kernelState(a.ns), before, 'A after the refused apply', 'A before it');
      if (difference !== undefined) return failure(`atomicity: ${poisoned.why} (${describeError(error)}), and A is not as before:\n${difference}`, poisoned.document);
      const sysctls = sysctlValues(a.ns, SYSCTL_KEYS);
      if (JSON.stringify(sysctls) !== JSON.stringify(beforeSysctls)) return failure(`atomicity: ${poisoned.why}: sysctls ${SYSCTL_KEYS.join(', ')} were ${beforeSysctls.join(', ')}, now ${sysctls.join(', ')}`, poisoned.document);
      const plan = await planPolicy(a.handle, previous);
      if (!plan.empty) return failure(`atomicity: ${poisoned.why}: after the rollback, the previous document plans ${JSON.stringify(plan.changes)}`, previous);
    }

    // The document itself.
    try {
      await applyPolicy(a.handle, document);
    } catch (error) {
      return failure(`applying it to A (after the steps before) failed: ${describeError(error)}`);
    }
    counts.steps++;
    const stateA = await kernelState(a.ns);

    // Ownership: others' objects as they were.
    const foreign = stateDifference(foreignPart(stateA), a.foreign, 'A now', 'A at first');
    if (foreign !== undefined) return failure(`ownership: objects of others changed in A:\n${foreign}`);

    // Convergence: nothing left to plan, nothing sent.
    const plan = await planPolicy(a.handle, document);
    if (!plan.empty) return failure(`convergence: after applying it, the plan is not empty: ${JSON.stringify(plan.changes)}`);
    const changesBefore = a.sent.changes;
    const again = await applyPolicy(a.handle, document);
    if (again.changed || a.sent.changes !== changesBefore) {
      return failure(`convergence: applied again, changed ${again.changed}, ${a.sent.changes - changesBefore} changing message(s) sent (types ${a.sent.changeTypes.slice(changesBefore).join(', ')})`);
    }

    // History independence: B, emptied, gets the document alone.
    const emptied = await empty(b);
    if (emptied !== undefined) return failure(`emptying B with {} does not bring back its plumbing:\n${emptied}`);
    try {
      await applyPolicy(b.handle, document);
    } catch (error) {
      return failure(`applying it alone to a clean B failed (it succeeded in A after the steps before): ${describeError(error)}`);
    }
    const difference = stateDifference(stateA, await kernelState(b.ns), 'A (after the steps before)', 'B (this document alone)');
    if (difference !== undefined) return failure(`history independence:\n${difference}`);
    const keys = sysctlKeysOf(document);
    const [sysctlsA, sysctlsB] = [sysctlValues(a.ns, keys), sysctlValues(b.ns, keys)];
    if (JSON.stringify(sysctlsA) !== JSON.stringify(sysctlsB)) return failure(`history independence: sysctls ${keys.join(', ')}: A ${sysctlsA.join(', ')}, B ${sysctlsB.join(', ')}`);
    const foreignB = stateDifference(foreignPart(await kernelState(b.ns)), b.foreign, 'B now', 'B at first');
    if (foreignB !== undefined) return failure(`ownership: objects of others changed in B:\n${foreignB}`);
    previous = document;
  }
  return [];
}

t.test('planPolicy/applyPolicy: convergence, history independence, ownership, atomicity, seed by seed', async (t) => {
  let a = await makeSide(t, 'A');
  let b = await makeSide(t, 'B');
  const initialDifference = stateDifference(a.initial, b.initial, 'A', 'B');
  if (initialDifference !== undefined) throw new Error(`two namespaces plumbed alike differ before the test:\n${initialDifference}`);
  const counts = { steps: 0, poisoned: 0 };
  for (const seed of SEEDS) {
    const started = performance.now();
    const failures = await runSeed(a, b, seed, counts).catch((error: unknown) => [`seed ${seed}: threw ${describeError(error)}`]);
    const took = Math.round(performance.now() - started);
    if (failures.length === 0) t.pass(`seed ${seed}: the properties hold (${took} ms)`);
    else t.fail(failures.join('\n'));
    // Back to the plumbing for the next seed; if that fails, the next seed gets fresh namespaces.
    for (const side of [a, b]) {
      const left = await empty(side).catch((error: unknown) => describeError(error));
      if (failures.length === 0) t.equal(left, undefined, `seed ${seed}: {} empties ${side.name}`);
      if (left !== undefined) {
        if (side === a) a = await makeSide(t, 'A');
        else b = await makeSide(t, 'B');
      }
    }
  }
  t.comment(`${SEEDS.length} seeds, ${counts.steps} documents applied, ${counts.poisoned} refused partway`);
  t.ok(counts.poisoned > 0, 'some documents were refused partway');
});
