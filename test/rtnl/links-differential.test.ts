/**
 * A seeded differential test of links and addresses against iproute2: for each seed, a random
 * sequence of link and address operations (links-differential-gen.ts, which spells each step as a
 * routemark call and as the `ip` command that means the same) runs in namespace A through
 * routemark and in namespace B through `ip`, one step at a time, and after every step:
 *
 * 1. the step is accepted by both or refused by both (routemark before I/O with a
 *    ValidationError, or by the kernel with the errno or extended-ACK text `ip` printed);
 * 2. `ip -j -d link show` and `ip -j addr show` of A and B are equal, once what differs between
 *    two namespaces by nature is normalized away: ifindex numbers, MAC addresses (and the
 *    link-local IPv6 addresses and bridge ids made from them), bridge timers, and the seconds a
 *    lifetime has left (the generator's lifetimes are multiples of 100 s: they are compared
 *    rounded up to one). A difference is read again for up to 1.5 s, since the kernel finishes
 *    some changes later (operstate through linkwatch, duplicate address detection);
 * 3. routemark lists A and B alike (links.list, addresses.list, normalized the same way), and
 *    lists each as ip shows it (ip's JSON turned into routemark's objects, field by field);
 *    links.get and addresses.list({ dev }) by the name the step used (an altname too) agree
 *    with the full listing.
 *
 * At the end of a seed, in B: `addresses.replace` of everything routemark lists changes nothing
 * (B stays as A, which is left alone); then, in both, `addresses.delete` of everything listed and
 * `links.delete` of every link leave the namespaces as they were at first, for the next seed.
 *
 * A failure names the seed and the smallest sequence of its steps that still shows a difference
 * (found by replaying the steps in the emptied namespaces, leaving out one step at a time).
 * Seeds are fixed; `ROUTEMARK_DIFF_SEED=<n>`, `<a>-<b>` or a list runs others.
 */
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { ValidationError, open, type Address, type Handle, type Link } from '../../src/index.js';
import { makeNetns, type TeardownHost, type TestNetns } from '../helpers/netns.js';
import { describeError, ipDisagreement, outcomeOf, type RoutemarkOutcome } from '../helpers/outcomes.js';
import { seedsToRun } from '../helpers/random.js';
import { runStatusScript, shellQuote, STATUS_MARK, type CommandOutcome } from '../helpers/shell.js';
import { LINK_KINDS, describeStep, generateSteps, type GeneratedKind, type GeneratedStep } from './links-differential-gen.js';

const SEEDS = seedsToRun([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
/** Steps per seed. */
const STEPS = 40;
/** How long a difference may take to settle (linkwatch fires at most once a second). */
const SETTLE_MS = 1500;
/** Replays the shrinking of one failure may take at most. */
const SHRINK_REPLAYS = 60;
/** Failing seeds that get shrunk (each takes up to a minute): the later ones are reported as they are. */
let shrinksLeft = 2;

// ---------------------------------------------------------------------------------------------
// ip, run as the witness

/** Runs `ip` commands one after another in one shell; each has its own outcome. */
function runIp(commands: readonly string[][]): CommandOutcome[] {
  const lines = commands.map((command) => `ip ${command.map(shellQuote).join(' ')} 2>&1; echo "${STATUS_MARK} $?"`);
  return runStatusScript(['env'], lines, commands.length, 'ip');
}

function readCommands(ns: TestNetns): string[][] {
  return [
    ['-n', ns.name, '-j', '-d', 'link', 'show'],
    ['-n', ns.name, '-j', 'addr', 'show'],
  ];
}

function parseJson(outcome: CommandOutcome, what: string): unknown {
  if (outcome.status !== 0) throw new Error(`${what} failed: ${outcome.output}`);
  const text = outcome.output.trim();
  return text === '' ? [] : JSON.parse(text);
}

/** A namespace as ip shows it, normalized; and as routemark lists it, normalized. */
interface State {
  ipLinks: unknown;
  ipAddresses: unknown;
  links: unknown;
  addresses: unknown;
  /** What ip shows, in routemark's terms (what links.list and addresses.list should return). */
  ipAsLinks: unknown;
  ipAsAddresses: unknown;
}

// ---------------------------------------------------------------------------------------------
// Normalizing what differs between two namespaces by nature

const MAC = /\b[0-9a-f]{1,2}(?::[0-9a-f]{1,2}){5}\b/gi;
/** Keys of ip's bridge and bridge-port details that carry a MAC address (bridge and port ids). */
const MAC_KEYS = new Set(['bridge_id', 'root_id', 'designated_root', 'designated_bridge']);
const FOREVER = 0xffffffff;

/** Seconds left, rounded up to the 100 s the generator's lifetimes are multiples of. */
function lifetime(value: unknown): unknown {
  return typeof value === 'number' && value !== FOREVER ? Math.ceil(value / 100) * 100 : value;
}

/** A link-local IPv6 address the kernel made from a (random) MAC address. */
function isKernelLinkLocal(address: string, prefixLength: number): boolean {
  return /^fe80:/i.test(address) && prefixLength === 64;
}

function normalizeDetails(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalizeDetails);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (key.endsWith('_timer')) continue;
    out[key] = MAC_KEYS.has(key) && typeof inner === 'string' ? inner.replace(MAC, 'MAC') : normalizeDetails(inner);
  }
  return out;
}

function normalizeIpLinks(json: unknown): unknown {
  return (json as Record<string, unknown>[])
    .map((link) => {
      const { ifindex: _ifindex, ...rest } = link;
      if (rest.link_type !== 'loopback' && typeof rest.address === 'string') rest.address = 'MAC';
      return normalizeDetails(rest) as Record<string, unknown>;
    })
    .sort((a, b) => String(a.ifname).localeCompare(String(b.ifname)));
}

function normalizeIpAddresses(json: unknown): unknown {
  return (json as Record<string, unknown>[])
    .map((link) => {
      const { ifindex: _ifindex, ...rest } = link;
      if (rest.link_type !== 'loopback' && typeof rest.address === 'string') rest.address = 'MAC';
      rest.addr_info = ((rest.addr_info ?? []) as Record<string, unknown>[]).map((info) => {
        const out: Record<string, unknown> = { ...info, valid_life_time: lifetime(info.valid_life_time), preferred_life_time: lifetime(info.preferred_life_time) };
        if (info.family === 'inet6' && isKernelLinkLocal(String(info.local), Number(info.prefixlen))) out.local = 'fe80::(from the MAC)';
        return out;
      });
      return rest;
    })
    .sort((a, b) => String(a.ifname).localeCompare(String(b.ifname)));
}

function normalizeLinks(links: Link[]): unknown {
  return links
    .map((link) => {
      const { index: _index, linkIndex: _linkIndex, masterIndex: _masterIndex, ...rest } = link;
      if (rest.address !== undefined && rest.name !== 'lo') rest.address = 'MAC';
      return rest;
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

function normalizeAddress(address: Address): Address {
  const out = { ...address };
  const [local, length] = address.address.split('/') as [string, string];
  if (isKernelLinkLocal(local, Number(length))) out.address = 'fe80::(from the MAC)/64';
  if (out.validLifetime !== undefined) out.validLifetime = lifetime(out.validLifetime) as number;
  if (out.preferredLifetime !== undefined) out.preferredLifetime = lifetime(out.preferredLifetime) as number;
  return out;
}

function normalizeAddresses(addresses: Address[]): unknown {
  // ip lists by link; routemark IPv4 first: by link here too, each link's in listing order.
  const byDev = new Map<string, Address[]>();
  for (const address of addresses) byDev.set(address.dev, [...(byDev.get(address.dev) ?? []), normalizeAddress(address)]);
  return [...byDev].sort(([a], [b]) => a.localeCompare(b));
}

// ---------------------------------------------------------------------------------------------
// ip's JSON in routemark's terms, spelled from ip's output (not from src/rtnl)

/** `ip -j -d link show` as links.list() should list it. */
function ipAsLinks(json: unknown): Link[] {
  return (json as Record<string, unknown>[]).map((entry) => {
    const flags = entry.flags as string[];
    const info = entry.linkinfo as { info_kind?: string; info_data?: Record<string, unknown> } | undefined;
    const link: Record<string, unknown> = {
      index: entry.ifindex,
      name: entry.ifname,
      up: flags.includes('UP'),
      lowerUp: flags.includes('LOWER_UP'),
      operstate: entry.operstate,
      mtu: entry.mtu,
    };
    if (info?.info_kind !== undefined) link.kind = info.info_kind;
    if (typeof entry.address === 'string') link.address = entry.address;
    if (typeof entry.master === 'string') link.master = entry.master;
    if (typeof entry.link === 'string') link.link = entry.link;
    if (info?.info_kind === 'vrf' && info.info_data?.table !== undefined) link.vrfTable = info.info_data.table;
    if (info?.info_kind === 'vlan' && info.info_data?.id !== undefined) link.vlanId = info.info_data.id;
    if (info?.info_kind === 'macvlan' && info.info_data?.mode !== undefined) link.macvlanMode = info.info_data.mode;
    return link as unknown as Link;
  });
}

/** `ip -j addr show` as addresses.list() should list it (ip 6.1 shows no IFA_PROTO). */
function ipAsAddresses(json: unknown): Address[] {
  const forever = (value: unknown) => value === undefined || value === FOREVER;
  return (json as Record<string, unknown>[]).flatMap((entry) =>
    ((entry.addr_info ?? []) as Record<string, unknown>[]).map((info) => {
      const address: Record<string, unknown> = { family: info.family, address: `${info.local}/${info.prefixlen}`, dev: entry.ifname };
      if (info.address !== undefined && info.address !== info.local) address.peer = info.address;
      if (info.broadcast !== undefined) address.broadcast = info.broadcast;
      if (info.label !== undefined && info.label !== entry.ifname) address.label = info.label;
      address.scope = /^\d+$/.test(String(info.scope)) ? Number(info.scope) : info.scope;
      for (const flag of ['nodad', 'noprefixroute', 'home', 'mngtmpaddr', 'autojoin'] as const) if (info[flag] === true) address[flag] = true;
      if (info.metric !== undefined && info.metric !== 0) address.metric = info.metric;
      if (!forever(info.valid_life_time)) address.validLifetime = info.valid_life_time;
      if (!forever(info.preferred_life_time)) address.preferredLifetime = info.preferred_life_time;
      if (info.deprecated === true) address.preferredLifetime = 0;
      return address as unknown as Address;
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Comparing

/** Where two JSON values differ, as `path: A … / B …` lines (at most a few). */
function jsonDifferences(a: unknown, b: unknown, path: string, out: string[]): void {
  if (out.length >= 6) return;
  if (JSON.stringify(a) === JSON.stringify(b)) return;
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    // Lists of links are compared by name, so that one extra link reads as one.
    const keyed = (list: unknown[]) => (list.every((item) => item && typeof item === 'object' && ('ifname' in item || 'name' in item)) ? new Map(list.map((item) => [String((item as { ifname?: string; name?: string }).ifname ?? (item as { name: string }).name), item])) : undefined);
    const left = Array.isArray(a) ? keyed(a) : new Map(Object.entries(a));
    const right = Array.isArray(b) ? keyed(b as unknown[]) : new Map(Object.entries(b));
    if (left !== undefined && right !== undefined) {
      for (const key of new Set([...left.keys(), ...right.keys()])) jsonDifferences(left.get(key), right.get(key), `${path}${Array.isArray(a) ? `[${key}]` : `.${key}`}`, out);
      return;
    }
    if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
      a.forEach((item, i) => jsonDifferences(item, (b as unknown[])[i], `${path}[${i}]`, out));
      return;
    }
  }
  out.push(`${path}: A ${JSON.stringify(a) ?? '(none)'} / B ${JSON.stringify(b) ?? '(none)'}`);
}

/** Where routemark's listing of a namespace differs from what ip shows there, or undefined. */
function listingDifference(state: State, name: string): string | undefined {
  const lines: string[] = [];
  const withoutProtocol = (listing: unknown) => (listing as [string, Address[]][]).map(([dev, addresses]) => [dev, addresses.map(({ protocol: _protocol, ...rest }) => rest)]);
  for (const [ours, theirs, what] of [[state.links, state.ipAsLinks, 'links.list()'], [withoutProtocol(state.addresses), state.ipAsAddresses, 'addresses.list()']] as const) {
    const found: string[] = [];
    jsonDifferences(ours, theirs, '', found);
    if (found.length > 0) lines.push(`in ${name}, ${what} differs from what ip shows (routemark as "A", ip as "B"):\n    ${found.join('\n    ')}`);
  }
  return lines.length === 0 ? undefined : lines.join('\n  ');
}

function stateDifference(a: State, b: State, aName = 'A', bName = 'B'): string | undefined {
  const lines: string[] = [];
  for (const [part, what] of [['ipLinks', 'ip -j -d link show'], ['ipAddresses', 'ip -j addr show'], ['links', 'links.list()'], ['addresses', 'addresses.list()']] as const) {
    const found: string[] = [];
    jsonDifferences(a[part], b[part], '', found);
    if (found.length > 0) lines.push(`${what} differs (${aName} / ${bName}):\n    ${found.join('\n    ')}`);
  }
  return lines.length === 0 ? undefined : lines.join('\n  ');
}

/**
 * Why routemark's outcome disagrees with ip's, or undefined if they agree; a step refused by
 * design (ip is not run) must be refused by routemark before any I/O.
 */
function disagreement(ip: CommandOutcome | undefined, step: GeneratedStep, routemark: RoutemarkOutcome): string | undefined {
  if (ip === undefined) {
    return !routemark.ok && routemark.error instanceof ValidationError ? undefined : `routemark should refuse it before I/O (${step.refusedByDesign}), but ${routemark.ok ? 'accepted it' : describeError(routemark.error)}`;
  }
  return ipDisagreement(ip, routemark);
}

/** Runs a step through routemark. */
function callRoutemark(handle: Handle, step: Exclude<GeneratedStep, { api: 'ip' }>): Promise<void> {
  if (step.api === 'addresses') return handle.addresses[step.method](step.address);
  switch (step.method) {
    case 'add':
      return handle.links.add(step.spec);
    case 'set':
      return handle.links.set(step.name, step.changes);
    default:
      return handle.links[step.method](step.name);
  }
}

// ---------------------------------------------------------------------------------------------
// The namespaces

interface Side {
  ns: TestNetns;
  handle: Handle;
}

interface Pair {
  a: Side;
  b: Side;
  /** Each namespace as it was made (lo only), normalized. */
  initial: { a: State; b: State };
  /** What routemark listed in each at first (lo's addresses): never deleted. */
  initialAddresses: { a: string[]; b: string[] };
}

async function freshSide(t: TeardownHost, prefix: string): Promise<Side> {
  const ns = makeNetns(t, prefix);
  // No duplicate address detection: an IPv6 address would stay tentative for a second after
  // its link comes up, and the two namespaces come up a moment apart. `nodad` is still sent.
  ns.exec('sysctl', ['-q', '-w', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0']);
  const handle = await open({ netns: ns.name });
  t.teardown(() => handle.close());
  return { ns, handle };
}

/** Both namespaces read: each script runs `extra` first (a step's ip commands), then the reads. */
async function readBoth(pair: Pick<Pair, 'a' | 'b'>, extra: string[][] = []): Promise<{ extra: CommandOutcome[]; a: State; b: State }> {
  const outcomes = runIp([...extra, ...readCommands(pair.a.ns), ...readCommands(pair.b.ns)]);
  const first = outcomes.splice(0, extra.length);
  const state = async (side: Side, [links, addresses]: CommandOutcome[]): Promise<State> => ({
    ipLinks: normalizeIpLinks(parseJson(links!, `${side.ns.name}: ip link show`)),
    ipAddresses: normalizeIpAddresses(parseJson(addresses!, `${side.ns.name}: ip addr show`)),
    links: normalizeLinks(await side.handle.links.list()),
    // ip 6.1 cannot show an address's protocol: compared A to B only, not to ip.
    addresses: normalizeAddresses(await side.handle.addresses.list()),
    ipAsLinks: normalizeLinks(ipAsLinks(parseJson(links!, `${side.ns.name}: ip link show`))),
    ipAsAddresses: normalizeAddresses(ipAsAddresses(parseJson(addresses!, `${side.ns.name}: ip addr show`))),
  });
  return { extra: first, a: await state(pair.a, outcomes.slice(0, 2)), b: await state(pair.b, outcomes.slice(2, 4)) };
}

/** A and B compared, read again while they differ, for up to SETTLE_MS. */
async function settledDifference(pair: Pick<Pair, 'a' | 'b'>, first?: { a: State; b: State }): Promise<string | undefined> {
  const deadline = Date.now() + SETTLE_MS;
  let states = first ?? (await readBoth(pair));
  for (;;) {
    const difference = stateDifference(states.a, states.b) ?? listingDifference(states.a, 'A') ?? listingDifference(states.b, 'B');
    if (difference === undefined || Date.now() > deadline) return difference;
    await sleep(100);
    states = await readBoth(pair);
  }
}

function addressKey(address: Address): string {
  return JSON.stringify([address.address, address.dev, address.peer]);
}

async function freshPair(t: TeardownHost): Promise<Pair> {
  const a = await freshSide(t, 'rmlA');
  const b = await freshSide(t, 'rmlB');
  const { a: stateA, b: stateB } = await readBoth({ a, b });
  const difference = stateDifference(stateA, stateB);
  if (difference !== undefined) throw new Error(`two fresh namespaces differ before the test:\n${difference}`);
  return {
    a,
    b,
    initial: { a: stateA, b: stateB },
    initialAddresses: { a: (await a.handle.addresses.list()).map(addressKey), b: (await b.handle.addresses.list()).map(addressKey) },
  };
}

/** Link kinds this kernel makes (a probe in A, removed at once). */
function availableKinds(ns: TestNetns): Set<GeneratedKind> {
  const probes: Record<GeneratedKind, string[][]> = {
    veth: [['link', 'add', 'probe0', 'type', 'veth', 'peer', 'name', 'probe1']],
    bridge: [['link', 'add', 'probe0', 'type', 'bridge']],
    dummy: [['link', 'add', 'probe0', 'type', 'dummy']],
    vrf: [['link', 'add', 'probe0', 'type', 'vrf', 'table', '77']],
    vlan: [['link', 'add', 'probe1', 'type', 'veth', 'peer', 'name', 'probe2'], ['link', 'add', 'link', 'probe1', 'name', 'probe0', 'type', 'vlan', 'id', '7']],
    macvlan: [['link', 'add', 'probe1', 'type', 'veth', 'peer', 'name', 'probe2'], ['link', 'add', 'link', 'probe1', 'name', 'probe0', 'type', 'macvlan']],
  };
  const kinds = new Set<GeneratedKind>();
  for (const kind of LINK_KINDS) {
    const outcomes = runIp([...probes[kind].map((probe) => ['-n', ns.name, ...probe]), ['-n', ns.name, 'link', 'del', 'probe0'], ['-n', ns.name, 'link', 'del', 'probe1']]);
    if (outcomes.slice(0, probes[kind].length).every((outcome) => outcome.status === 0)) kinds.add(kind);
  }
  return kinds;
}

/**
 * Deletes through routemark every address it lists beyond the first ones (in reverse, so that
 * an IPv4 primary goes after its secondaries, which the kernel would delete with it), then every
 * link but lo. Returns a description of each delete that failed.
 */
async function emptyThroughRoutemark(side: Side, initialAddresses: readonly string[]): Promise<string[]> {
  const failures: string[] = [];
  const listed = (await side.handle.addresses.list()).filter((address) => !initialAddresses.includes(addressKey(address)));
  for (const address of listed.reverse()) {
    const outcome = await outcomeOf(() => side.handle.addresses.delete(address));
    if (!outcome.ok) failures.push(`addresses.delete(${JSON.stringify(address)}) of a listed address: ${describeError(outcome.error)}`);
  }
  // One at a time: deleting a veth takes its peer and the links on it along.
  for (let attempts = 0; attempts < 20; attempts++) {
    const link = (await side.handle.links.list()).find((candidate) => candidate.name !== 'lo');
    if (link === undefined) break;
    const outcome = await outcomeOf(() => side.handle.links.delete(link.name));
    if (!outcome.ok) {
      failures.push(`links.delete(${JSON.stringify(link.name)}) of a listed link: ${describeError(outcome.error)}`);
      break;
    }
  }
  return failures;
}

/** Deletes every link but lo with ip (a reset between replays, trusting nothing of routemark's). */
function emptyThroughIp(pair: Pick<Pair, 'a' | 'b'>): void {
  for (const side of [pair.a, pair.b]) {
    for (let attempts = 0; attempts < 20; attempts++) {
      const names = side.ns.ipJson<{ ifname: string }[]>('link', 'show').map((link) => link.ifname).filter((name) => name !== 'lo');
      if (names.length === 0) break;
      runIp([['-n', side.ns.name, 'link', 'del', 'dev', names[0]!]]);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Running steps

/** The name (or altname) a step gives a link by: what it sets, deletes, or puts an address on. */
function namedLink(step: GeneratedStep): string | undefined {
  if (step.api === 'addresses') return step.address.dev;
  if (step.api === 'links' && step.method !== 'add') return step.name;
  if (step.api === 'links' && (step.spec.kind === 'vlan' || step.spec.kind === 'macvlan')) return step.spec.link;
  return undefined;
}

/**
 * Where looking the step's link up by the name it used (maybe an altname) disagrees with the full
 * listing: links.get returns the listed link, addresses.list({ dev }) that link's addresses.
 */
async function lookupDifference(handle: Handle, step: GeneratedStep): Promise<string | undefined> {
  const name = namedLink(step);
  if (name === undefined) return undefined;
  const found = await handle.links.get(name);
  const listed = (await handle.links.list()).find((link) => link.index === found?.index);
  if (JSON.stringify(normalizeLinks(found ? [found] : [])) !== JSON.stringify(normalizeLinks(listed ? [listed] : []))) {
    return `in A, links.get(${JSON.stringify(name)}) returns ${JSON.stringify(found)}, but links.list() has ${JSON.stringify(listed)}`;
  }
  if (found === undefined) return undefined;
  const byDev = await handle.addresses.list({ dev: name });
  const all = (await handle.addresses.list()).filter((address) => address.dev === found.name);
  if (JSON.stringify(byDev) !== JSON.stringify(all)) return `in A, addresses.list({ dev: ${JSON.stringify(name)} }) returns ${JSON.stringify(byDev)}, but addresses.list() has ${JSON.stringify(all)} on ${found.name}`;
  return undefined;
}

/**
 * Runs steps in A (routemark) and B (ip), comparing after each. Returns the first failure (its
 * step index and text), or undefined if every step agreed.
 */
async function runSteps(pair: Pair, steps: readonly GeneratedStep[], counts?: { refused: number }): Promise<{ index: number; text: string } | undefined> {
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    let read;
    if (step.api === 'ip') {
      // Plumbing routemark cannot make: ip makes it in both, and must do alike in both.
      read = await readBoth(pair, [['-n', pair.a.ns.name, ...step.ip], ['-n', pair.b.ns.name, ...step.ip]]);
      const [inA, inB] = read.extra as [CommandOutcome, CommandOutcome];
      if (inA.status !== inB.status) return { index: i, text: `step #${i} ${describeStep(step)}: ip did it differently in A (${inA.status}: ${inA.output.trim()}) and in B (${inB.status}: ${inB.output.trim()})` };
    } else {
      const routemark = await outcomeOf(() => callRoutemark(pair.a.handle, step));
      read = await readBoth(pair, step.refusedByDesign === undefined ? [['-n', pair.b.ns.name, ...step.ip]] : []);
      if (counts && (read.extra[0] === undefined || read.extra[0].status !== 0)) counts.refused++;
      const why = disagreement(read.extra[0], step, routemark);
      if (why !== undefined) return { index: i, text: `step #${i} ${describeStep(step)}: ${why}` };
    }
    const difference = (await settledDifference(pair, read)) ?? (await lookupDifference(pair.a.handle, step));
    if (difference !== undefined) return { index: i, text: `after step #${i} ${describeStep(step)}, A (routemark) and B (ip) differ:\n  ${difference}` };
  }
  return undefined;
}

/**
 * The smallest sequence of `steps` that still fails (any failure): the steps are replayed in the
 * emptied namespaces, leaving out one at a time, from the last to the first, for as long as
 * SHRINK_REPLAYS allows.
 */
async function shrink(pair: Pair, steps: readonly GeneratedStep[]): Promise<{ steps: GeneratedStep[]; text: string; complete: boolean }> {
  let current = [...steps];
  let text = '';
  let replays = 0;
  const fails = async (candidate: GeneratedStep[]) => {
    replays++;
    emptyThroughIp(pair);
    const failure = await runSteps(pair, candidate);
    emptyThroughIp(pair);
    return failure;
  };
  const whole = await fails(current);
  if (whole === undefined) return { steps: current, text: 'replayed alone in emptied namespaces, the steps do not fail', complete: true };
  current = current.slice(0, whole.index + 1);
  text = whole.text;
  for (let i = current.length - 1; i >= 0 && replays < SHRINK_REPLAYS; i--) {
    const candidate = current.filter((_, k) => k !== i);
    const failure = await fails(candidate);
    if (failure !== undefined) {
      current = candidate.slice(0, failure.index + 1);
      text = failure.text;
      i = Math.min(i, current.length);
    }
  }
  return { steps: current, text, complete: replays < SHRINK_REPLAYS };
}

/** Runs one seed on emptied namespaces; its failures, each naming the seed. */
async function runSeed(pair: Pair, seed: number, available: ReadonlySet<GeneratedKind>, counts: { steps: number; refused: number }): Promise<{ failures: string[]; clean: boolean }> {
  const steps = generateSteps(seed, STEPS, available);
  counts.steps += steps.length;
  const failures: string[] = [];
  const failure = await runSteps(pair, steps, counts);
  if (failure !== undefined) {
    if (shrinksLeft-- <= 0) {
      failures.push(`seed ${seed}: ${failure.text}\n(not shrunk: two failing seeds were; run this one alone with ROUTEMARK_DIFF_SEED=${seed})`);
      return { failures, clean: false };
    }
    const smallest = await shrink(pair, steps.slice(0, failure.index + 1));
    failures.push(
      `seed ${seed}: ${failure.text}\n` +
        `the smallest sequence of its steps that fails (${smallest.steps.length} of ${failure.index + 1}${smallest.complete ? '' : ', shrinking stopped early'}):\n` +
        smallest.steps.map((step, k) => `  ${k + 1}. ${describeStep(step)}`).join('\n') +
        `\n  -> ${smallest.text}`,
    );
    return { failures, clean: false };
  }

  // replace(listed) changes nothing: B, where every listed address is replaced, stays as A.
  const listedB = (await pair.b.handle.addresses.list()).filter((address) => !pair.initialAddresses.b.includes(addressKey(address)));
  for (const address of listedB) {
    const outcome = await outcomeOf(() => pair.b.handle.addresses.replace(address));
    if (!outcome.ok) failures.push(`seed ${seed}: addresses.replace(${JSON.stringify(address)}) of a listed address in B: ${describeError(outcome.error)}`);
  }
  const replaced = await settledDifference(pair);
  if (replaced !== undefined) failures.push(`seed ${seed}: addresses.replace of every address routemark lists in B made B differ from A:\n  ${replaced}\n  listed: ${JSON.stringify(listedB)}`);

  // What routemark lists deletes; the namespaces are then as they were made.
  for (const [name, side, initial] of [['A', pair.a, pair.initialAddresses.a], ['B', pair.b, pair.initialAddresses.b]] as const) {
    for (const text of await emptyThroughRoutemark(side, initial)) failures.push(`seed ${seed}: emptying ${name}: ${text}`);
  }
  const emptied = await readBoth(pair);
  for (const [name, now, initial] of [['A', emptied.a, pair.initial.a], ['B', emptied.b, pair.initial.b]] as const) {
    const left = stateDifference(now, initial, `${name} emptied`, `${name} at first`);
    if (left !== undefined) failures.push(`seed ${seed}: deleting what routemark lists in ${name} does not empty it:\n  ${left}`);
  }
  return { failures, clean: failures.length === 0 };
}

t.test('links and addresses: routemark and ip agree, step by step, seed by seed', async (t) => {
  let pair = await freshPair(t);
  const available = availableKinds(pair.a.ns);
  t.comment(`link kinds this kernel makes: ${[...available].join(', ')} (the others are tried, and both must refuse them)`);
  const counts = { steps: 0, refused: 0 };
  for (const seed of SEEDS) {
    const started = performance.now();
    const result = await runSeed(pair, seed, available, counts);
    t.comment(`seed ${seed}: ${Math.round(performance.now() - started)} ms`);
    t.same(result.failures, [], `seed ${seed}: ip and routemark agree`);
    // A seed that failed may leave things behind: the next one starts from fresh namespaces.
    if (!result.clean) pair = await freshPair(t);
  }
  t.comment(`${SEEDS.length} seeds, ${counts.steps} steps (${counts.refused} refused by ip or by design)`);
  t.ok(counts.refused > 0 && counts.refused < counts.steps * 0.4, 'the generator is mostly valid, and some steps are refused by both');
});
