/**
 * Random sequences of link and address operations for the differential test of links and
 * addresses (links-differential.test.ts). Each step comes out twice: as a call of routemark's
 * `links` or `addresses` API, and as the arguments of the `ip` command that means the same. The
 * `ip` side is written from ip-link(8) and ip-address(8) of iproute2 6.1, never from src/rtnl, so
 * that it stays an independent witness.
 *
 * Everything comes from one seeded PRNG and a model of what the namespace should hold (links,
 * whether they are up, their addresses), so that most steps touch things that are there; some
 * are meant to be refused (a taken name, a missing link or address, a bad MTU, a flag on the
 * wrong family), by both.
 *
 * What is left out, and why:
 * - renaming a link (`ip link set NAME name NEW`): routemark's LinkChanges has no name (README:
 *   `ns.links.set` takes up, mtu, master, netns);
 * - MAC addresses (`ip link add ... address`): routemark cannot set one, so veth, bridge and
 *   macvlan addresses are random in both namespaces and the test normalizes them;
 * - moving links to other namespaces and tun devices: links.test.ts and tun.test.ts;
 * - `proto` on addresses: iproute2 6.1 cannot say it (address-protocol.test.ts covers it);
 * - addresses on lo: the test's namespaces are reused from seed to seed, and lo is never deleted.
 */
import type { Address, LinkChanges, LinkSpec, MacvlanMode } from '../../src/index.js';
import { Random } from '../helpers/random.js';

/** Link kinds the generator makes (tun aside); a kernel may lack some (then both refuse them). */
export const LINK_KINDS = ['veth', 'bridge', 'dummy', 'vrf', 'vlan', 'macvlan'] as const;
export type GeneratedKind = (typeof LINK_KINDS)[number];

/** One step, in both spellings. */
export type GeneratedStep = (
  | { api: 'links'; method: 'add'; spec: LinkSpec }
  | { api: 'links'; method: 'set'; name: string; changes: LinkChanges }
  | { api: 'links'; method: 'up' | 'down' | 'delete'; name: string }
  | { api: 'addresses'; method: 'add' | 'replace' | 'delete'; address: Address }
  /** Plumbing routemark has no call for (an altname), made by ip in both namespaces. */
  | { api: 'ip'; method: 'both' }
) & {
  /** `ip` arguments (without `-n NS`). */
  ip: string[];
  /**
   * Set where routemark refuses by design what ip accepts (README says why): routemark must
   * refuse it before any I/O, and ip is not run.
   */
  refusedByDesign?: string;
};

/** The step as routemark's call and ip's command, for failure messages. */
export function describeStep(step: GeneratedStep): string {
  let call: string;
  if (step.method === 'add' && step.api === 'links') call = `links.add(${JSON.stringify(step.spec)})`;
  else if (step.api === 'links' && step.method === 'set') call = `links.set(${JSON.stringify(step.name)}, ${JSON.stringify(step.changes)})`;
  else if (step.api === 'links') call = `links.${step.method}(${JSON.stringify(step.name)})`;
  else if (step.api === 'addresses') call = `addresses.${step.method}(${JSON.stringify(step.address)})`;
  else return `ip ${step.ip.join(' ')} (in both namespaces)`;
  return `${call} / ${step.refusedByDesign !== undefined ? `(ip not run: ${step.refusedByDesign})` : `ip ${step.ip.join(' ')}`}`;
}

// ---------------------------------------------------------------------------------------------
// The model: what the generator believes the namespace holds

interface ModelLink {
  kind: GeneratedKind;
  up: boolean;
  mtu: number;
  /** A veth's other end. */
  peer?: string;
  /** A vlan's or macvlan's parent. */
  parent?: string;
  master?: string;
  /** Alternative names (`ip link property add ... altname`): routemark's calls may name the link by them. */
  altnames: string[];
}

interface ModelAddress {
  family: 4 | 6;
  /** The link's name (the address may name it by an altname). */
  dev: string;
  /** What was added (delete and replace start from it). */
  address: Address;
}

class Model {
  readonly links = new Map<string, ModelLink>();
  addresses: ModelAddress[] = [];

  /** A link and everything that goes with it: a veth's peer, links on it, its addresses. */
  removeLink(name: string): void {
    const link = this.links.get(name);
    if (link === undefined) return;
    this.links.delete(name);
    this.addresses = this.addresses.filter((a) => a.dev !== name);
    if (link.peer !== undefined) this.removeLink(link.peer);
    for (const [other, entry] of [...this.links]) {
      if (entry.parent === name) this.removeLink(other);
      if (entry.master === name) delete entry.master;
    }
  }

  /** The kernel drops a link's IPv6 addresses when it goes down, or its MTU falls below 1280. */
  dropInet6(name: string): void {
    this.addresses = this.addresses.filter((a) => a.dev !== name || a.family === 4);
  }

  /** How a step names a link: by its name mostly, by one of its altnames sometimes. */
  refer(rng: Random, name: string): string {
    const altnames = this.links.get(name)?.altnames ?? [];
    return altnames.length > 0 && rng.chance(0.3) ? rng.pick(altnames) : name;
  }
}

// ---------------------------------------------------------------------------------------------
// Names and values

const VETHS = [['va0', 'vb0'], ['va1', 'vb1'], ['va2', 'vb2']] as const;
const NAMES: Readonly<Record<GeneratedKind, readonly string[]>> = {
  veth: VETHS.map(([name]) => name),
  bridge: ['br0', 'br1'],
  dummy: ['dm0', 'dm1'],
  vrf: ['vrf0'],
  vlan: ['vl0', 'vl1'],
  macvlan: ['mv0', 'mv1'],
};
const MACVLAN_MODES: readonly MacvlanMode[] = ['private', 'vepa', 'bridge', 'passthru', 'source'];
/** Lifetimes are multiples of 100 s, so that the seconds left (listed) round up to what was given. */
const LIFETIMES = [300, 600, 1200, 3600] as const;

function mtuValue(rng: Random): number {
  // 576 takes IPv6 away from the link (below 1280); 50 and 70000 are outside a veth's bounds.
  return rng.weighted([[3, 1400], [2, 1500], [2, 9000], [1, 1280], [1, 576], [1, 50], [1, 70000]] as const);
}

// ---------------------------------------------------------------------------------------------
// Link steps

function linkAdd(rng: Random, model: Model, available: ReadonlySet<GeneratedKind>): GeneratedStep {
  // Kinds the kernel lacks are tried now and then: both must refuse them.
  const kind = rng.weighted<GeneratedKind>([
    [4, 'veth'],
    [3, 'bridge'],
    [available.has('macvlan') ? 3 : 0.5, 'macvlan'],
    [available.has('dummy') ? 3 : 0.5, 'dummy'],
    [available.has('vlan') ? 2 : 0.5, 'vlan'],
    [available.has('vrf') ? 1 : 0.3, 'vrf'],
  ]);
  const free = NAMES[kind].filter((name) => !model.links.has(name));
  // A taken name now and then (EEXIST), and a name of another kind's pool once taken.
  const taken = [...model.links.keys()];
  const name = free.length === 0 || (taken.length > 0 && rng.chance(0.08)) ? rng.pick(taken.length > 0 ? taken : NAMES[kind]) : rng.pick(free);
  const mtu = rng.chance(0.2) ? mtuValue(rng) : undefined;
  const mtuArgs = mtu !== undefined ? ['mtu', String(mtu)] : [];
  const works = !model.links.has(name) && available.has(kind) && (mtu === undefined || (mtu >= 68 && mtu <= 65535));
  const record = (entry: Omit<ModelLink, 'altnames'>) => {
    if (works) model.links.set(name, { ...entry, altnames: [] });
  };
  switch (kind) {
    case 'veth': {
      const peer = VETHS.find(([first]) => first === name)?.[1] ?? `${name}p`;
      const peerFree = !model.links.has(peer);
      if (works && peerFree) {
        model.links.set(name, { kind, up: false, mtu: mtu ?? 1500, peer, altnames: [] });
        model.links.set(peer, { kind, up: false, mtu: mtu ?? 1500, peer: name, altnames: [] });
      }
      // routemark gives the peer the same MTU (VethSpec has one MTU for the pair).
      return { api: 'links', method: 'add', spec: { name, kind, peer: { name: peer }, ...(mtu !== undefined ? { mtu } : {}) }, ip: ['link', 'add', name, ...mtuArgs, 'type', 'veth', 'peer', 'name', peer, ...mtuArgs] };
    }
    case 'bridge':
    case 'dummy':
      record({ kind, up: false, mtu: mtu ?? 1500 });
      return { api: 'links', method: 'add', spec: { name, kind, ...(mtu !== undefined ? { mtu } : {}) }, ip: ['link', 'add', name, ...mtuArgs, 'type', kind] };
    case 'vrf': {
      const table = rng.pick([10, 20, 1000, 100000]);
      record({ kind, up: false, mtu: mtu ?? 65575 });
      return { api: 'links', method: 'add', spec: { name, kind, table, ...(mtu !== undefined ? { mtu } : {}) }, ip: ['link', 'add', name, ...mtuArgs, 'type', 'vrf', 'table', String(table)] };
    }
    case 'vlan':
    case 'macvlan': {
      // On a veth or a dummy mostly; sometimes on a bridge, a missing link, or a macvlan.
      const parents = [...model.links].filter(([, entry]) => entry.kind === 'veth' || entry.kind === 'dummy').map(([parent]) => parent);
      let parent = parents.length > 0 && rng.chance(0.85) ? rng.pick(parents) : rng.pick([...model.links.keys(), 'nosuch0']);
      const parentLink = model.links.get(parent);
      if (parentLink !== undefined) record({ kind, up: false, mtu: mtu ?? parentLink.mtu, parent });
      parent = model.refer(rng, parent);
      if (kind === 'vlan') {
        const vlanId = rng.weighted([[6, rng.int(1, 4094)], [1, 0], [1, 4095]] as const);
        return { api: 'links', method: 'add', spec: { name, kind, link: parent, vlanId, ...(mtu !== undefined ? { mtu } : {}) }, ip: ['link', 'add', 'link', parent, 'name', name, ...mtuArgs, 'type', 'vlan', 'id', String(vlanId)] };
      }
      const mode = rng.chance(0.8) ? rng.pick(MACVLAN_MODES) : undefined;
      return {
        api: 'links',
        method: 'add',
        spec: { name, kind, link: parent, ...(mode !== undefined ? { mode } : {}), ...(mtu !== undefined ? { mtu } : {}) },
        ip: ['link', 'add', 'link', parent, 'name', name, ...mtuArgs, 'type', 'macvlan', ...(mode !== undefined ? ['mode', mode] : [])],
      };
    }
  }
}

/** An existing link mostly, a missing one now and then. */
function someLink(rng: Random, model: Model): string {
  const names = [...model.links.keys()];
  return names.length === 0 || rng.chance(0.05) ? 'nosuch0' : rng.pick(names);
}

function linkChange(rng: Random, model: Model): GeneratedStep {
  // Enslaved links are released now and then: a random link seldom has a master to lose.
  const enslaved = [...model.links].filter(([, entry]) => entry.master !== undefined).map(([other]) => other);
  const release = enslaved.length > 0 && rng.chance(0.3);
  const canonical = release ? rng.pick(enslaved) : someLink(rng, model);
  const link = model.links.get(canonical);
  const name = model.refer(rng, canonical);
  const form = release ? 'set' : rng.weighted([[3, 'set'], [2, 'up'], [1, 'down']] as const);
  if (form !== 'set') {
    if (link !== undefined) link.up = form === 'up';
    if (form === 'down') model.dropInet6(canonical);
    return { api: 'links', method: form, name, ip: ['link', 'set', 'dev', name, form] };
  }
  const changes: LinkChanges = {};
  const ip = ['link', 'set', 'dev', name];
  // ip link set takes the changes in any order and sends them in one message: so does routemark.
  if (rng.chance(0.5)) {
    changes.up = rng.chance(0.7);
    ip.push(changes.up ? 'up' : 'down');
  }
  if (rng.chance(0.35)) {
    changes.mtu = mtuValue(rng);
    ip.push('mtu', String(changes.mtu));
  }
  if (release) {
    changes.master = null;
    ip.push('nomaster');
  } else if (rng.chance(0.4) || Object.keys(changes).length === 0) {
    const bridges = [...model.links].filter(([, entry]) => entry.kind === 'bridge' || entry.kind === 'vrf').map(([bridge]) => bridge);
    const master = rng.weighted<string | null>([
      [bridges.length > 0 ? 5 : 0, bridges.length > 0 ? model.refer(rng, rng.pick(bridges)) : null],
      [2, null],
      [1, someLink(rng, model)],
    ]);
    changes.master = master;
    ip.push(...(master === null ? ['nomaster'] : ['master', master]));
  }
  if (link !== undefined) {
    if (changes.up !== undefined) link.up = changes.up;
    if (changes.up === false) model.dropInet6(canonical);
    if (changes.mtu !== undefined && changes.mtu >= 68 && changes.mtu <= 65535) {
      link.mtu = changes.mtu;
      if (changes.mtu < 1280) model.dropInet6(canonical);
    }
    const master = [...model.links].find(([other, entry]) => other === changes.master || entry.altnames.includes(String(changes.master)));
    if (master !== undefined && master[0] !== canonical && master[1].kind === 'bridge') link.master = master[0];
    if (changes.master === null) delete link.master;
  }
  return { api: 'links', method: 'set', name, changes, ip };
}

function linkDelete(rng: Random, model: Model): GeneratedStep {
  const canonical = someLink(rng, model);
  const name = model.refer(rng, canonical);
  model.removeLink(canonical);
  return { api: 'links', method: 'delete', name, ip: ['link', 'del', 'dev', name] };
}

/** An altname for a link (ip in both namespaces): up to 127 bytes, a taken one now and then. */
function altnameAdd(rng: Random, model: Model): GeneratedStep {
  const name = someLink(rng, model);
  const taken = [...model.links].flatMap(([other, entry]) => [other, ...entry.altnames]);
  const altname = rng.weighted<string>([
    [3, `${name}-alt`],
    [2, `the-${name}-link-and-its-alternative-name-longer-than-fifteen-bytes`],
    [1, rng.pick(taken.length > 0 ? taken : ['lo'])],
  ]);
  const link = model.links.get(name);
  if (link !== undefined && !taken.includes(altname)) link.altnames.push(altname);
  return { api: 'ip', method: 'both', ip: ['link', 'property', 'add', 'dev', name, 'altname', altname] };
}

// ---------------------------------------------------------------------------------------------
// Address steps

function v4Address(rng: Random): { local: string; length: number } {
  return rng.weighted<() => { local: string; length: number }>([
    [4, () => ({ local: `192.0.2.${rng.int(1, 12)}`, length: rng.pick([24, 24, 25, 28, 32]) })],
    [2, () => ({ local: `198.51.100.${rng.int(1, 6)}`, length: rng.pick([16, 24, 30, 31, 32]) })],
    [2, () => ({ local: `10.${rng.int(0, 2)}.0.${rng.int(1, 6)}`, length: rng.pick([8, 16, 24]) })],
  ])();
}

function v6Address(rng: Random): { local: string; length: number } {
  return { local: `2001:db8:${rng.int(0, 2)}::${rng.int(1, 9).toString(16)}`, length: rng.pick([48, 64, 64, 64, 96, 127, 128]) };
}

/** An IPv4 address of a prefix: its broadcast address (all host bits set). */
function v4Broadcast(local: string, length: number): string {
  const value = local.split('.').reduce((a, b) => ((a << 8) | Number(b)) >>> 0, 0);
  const host = length === 32 ? 0 : (0xffffffff >>> length) >>> 0;
  const broadcast = (value | host) >>> 0;
  return [broadcast >>> 24, (broadcast >>> 16) & 0xff, (broadcast >>> 8) & 0xff, broadcast & 0xff].join('.');
}

/** A new address with random options, both spellings (without the verb). */
function freshAddress(rng: Random, model: Model): { family: 4 | 6; canonicalDev: string; address: Address; ip: string[]; refusedByDesign?: string } {
  const family: 4 | 6 = rng.chance(0.6) ? 4 : 6;
  const devices = [...model.links.keys()];
  const canonicalDev = devices.length === 0 || rng.chance(0.04) ? 'nosuch0' : rng.pick(devices);
  const dev = model.refer(rng, canonicalDev);
  const multicast = rng.chance(0.07);
  let { local, length } = family === 4 ? v4Address(rng) : v6Address(rng);
  if (multicast) {
    local = family === 4 ? `239.1.0.${rng.int(1, 4)}` : `ff0e::${rng.int(1, 4)}`;
    length = family === 4 ? 32 : 128;
  }
  const address: Address = { address: `${local}/${length}`, dev };
  const before: string[] = [];
  const after: string[] = [];
  let refusedByDesign: string | undefined;
  let localArg = `${local}/${length}`;
  if (!multicast && rng.chance(0.12)) {
    // ip takes the prefix length on the peer (ip-address(8): "peer ADDRESS ... may be followed by a slash").
    const peer = family === 4 ? `10.255.0.${rng.int(1, 4)}` : `2001:db8:ff::${rng.int(1, 4)}`;
    address.peer = peer;
    localArg = local;
    before.push('peer', `${peer}/${length}`);
  }
  if (rng.chance(0.12)) {
    const broadcast = family === 4 && rng.chance(0.8) ? v4Broadcast(local, length) : family === 4 ? `192.0.2.${rng.int(200, 255)}` : '2001:db8::ff';
    address.broadcast = broadcast;
    before.push('broadcast', broadcast);
    if (family === 6) refusedByDesign = 'the kernel keeps no broadcast address on IPv6 addresses (Address.broadcast: IPv4 only)';
  }
  if (rng.chance(0.15)) {
    const label = rng.weighted([[6, `${dev}:${rng.pick(['a', 'b', 'app'])}`], [1, 'other:1'], [1, 'x'.repeat(16)]] as const);
    address.label = label;
    before.push('label', label);
    if (family === 6) refusedByDesign = 'the kernel keeps no label on IPv6 addresses (README: a label is IPv4 only)';
  }
  if (rng.chance(0.15)) {
    const scope = rng.pick(['host', 'link', 'global', 'site', 100] as const);
    address.scope = scope;
    after.push('scope', String(scope));
  }
  if (rng.chance(0.2)) {
    const metric = rng.pick([1, 100, 1024, 0xffffffff]);
    address.metric = metric;
    after.push('metric', String(metric));
  }
  if (rng.chance(0.15)) {
    const valid = rng.weighted([[5, rng.pick(LIFETIMES)], [1, undefined]] as const);
    const preferred = rng.weighted<number | undefined>([
      [3, valid === undefined ? rng.pick(LIFETIMES) : rng.pick(LIFETIMES.filter((l) => l <= valid))],
      [1, 0],
      [valid === undefined ? 0 : 1, undefined],
      [0.3, 7200], // more than any valid lifetime: refused
    ]);
    if (valid !== undefined) address.validLifetime = valid;
    if (preferred !== undefined) address.preferredLifetime = preferred;
    // routemark's valid lifetime alone is also the preferred one; ip needs both said.
    if (valid !== undefined) after.push('valid_lft', String(valid));
    if (preferred !== undefined || valid !== undefined) after.push('preferred_lft', String(preferred ?? valid));
  }
  const flags: [keyof Address, string, number][] = [
    ['home', 'home', family === 6 ? 0.1 : 0.02],
    ['mngtmpaddr', 'mngtmpaddr', family === 6 ? 0.1 : 0.02],
    ['nodad', 'nodad', family === 6 ? 0.3 : 0.02],
    ['noprefixroute', 'noprefixroute', 0.15],
    ['autojoin', 'autojoin', multicast ? 0.9 : 0.02],
  ];
  for (const [key, word, p] of flags) {
    if (rng.chance(p)) {
      (address as unknown as Record<string, unknown>)[key] = true;
      after.push(word);
      // ip only warns ("can be set only for IPv6 addresses") and leaves the flag out.
      if (family === 4 && (key === 'home' || key === 'mngtmpaddr')) refusedByDesign = `${key} is an IPv6 flag (README: IPv6 only); ip drops it with a warning`;
    }
  }
  return { family, canonicalDev, address, ip: [localArg, ...before, 'dev', dev, ...after], ...(refusedByDesign !== undefined ? { refusedByDesign } : {}) };
}

/** The fields `ip addr del` is told (and a duplicate add): the address, its peer and device, and the label sometimes. */
function deleteForm(rng: Random, address: Address, labelChance = 0.5): { address: Address; ip: string[] } {
  const [local, length] = address.address.split('/') as [string, string];
  const value: Address = { address: address.address, dev: address.dev };
  const ip: string[] = [address.peer !== undefined ? local : address.address];
  if (address.peer !== undefined) {
    value.peer = address.peer;
    ip.push('peer', `${address.peer}/${length}`);
  }
  if (address.label !== undefined && rng.chance(labelChance)) {
    value.label = address.label;
    ip.push('label', address.label);
  }
  ip.push('dev', address.dev);
  return { address: value, ip };
}

function addressStep(rng: Random, model: Model): GeneratedStep {
  const method = rng.weighted([[6, 'add'], [2, 'replace'], [2, 'delete']] as const);
  const known = model.addresses;
  if (method === 'delete') {
    if (known.length > 0 && rng.chance(0.8)) {
      const chosen = rng.pick(known);
      model.addresses = known.filter((a) => a !== chosen);
      const { address, ip } = deleteForm(rng, chosen.address);
      return { api: 'addresses', method, address, ip: ['addr', 'del', ...ip] };
    }
    // Nothing there (EADDRNOTAVAIL), or a device that is missing.
    const { address, ip } = deleteForm(rng, freshAddress(rng, model).address);
    return { api: 'addresses', method, address, ip: ['addr', 'del', ...ip] };
  }
  if (method === 'add' && known.length > 0 && rng.chance(0.1)) {
    // The same address again: EEXIST.
    const { address, ip } = deleteForm(rng, rng.pick(known).address, 0);
    return { api: 'addresses', method, address, ip: ['addr', 'add', ...ip] };
  }
  const fresh = freshAddress(rng, model);
  if (fresh.refusedByDesign === undefined && model.links.has(fresh.canonicalDev)) {
    model.addresses = model.addresses.filter((a) => a.address.address !== fresh.address.address || a.dev !== fresh.canonicalDev);
    model.addresses.push({ family: fresh.family, dev: fresh.canonicalDev, address: fresh.address });
  }
  return {
    api: 'addresses',
    method,
    address: fresh.address,
    ip: ['addr', method, ...fresh.ip],
    ...(fresh.refusedByDesign !== undefined ? { refusedByDesign: fresh.refusedByDesign } : {}),
  };
}

// ---------------------------------------------------------------------------------------------

/**
 * `count` steps for a seed. `available` names the link kinds this kernel can make: the others
 * are still tried now and then (both sides must refuse them), but not counted on.
 */
export function generateSteps(seed: number, count: number, available: ReadonlySet<GeneratedKind>): GeneratedStep[] {
  const rng = new Random(seed);
  const model = new Model();
  const steps: GeneratedStep[] = [];
  while (steps.length < count) {
    const links = model.links.size;
    const step = rng.weighted<() => GeneratedStep>([
      [links < 2 ? 6 : links < 7 ? 2 : 0.3, () => linkAdd(rng, model, available)],
      [links > 0 ? 2.5 : 0.2, () => linkChange(rng, model)],
      [links > 4 ? 1 : 0.3, () => linkDelete(rng, model)],
      [links > 0 ? 0.6 : 0, () => altnameAdd(rng, model)],
      [links > 0 ? 6 : 0.3, () => addressStep(rng, model)],
    ])();
    steps.push(step);
  }
  return steps;
}
