/**
 * Random policy documents for the property test (properties.test.ts): for a seed, a sequence of
 * documents for one owner, each a small random edit of the one before (one to three objects
 * added, removed or changed), so that the sequence exercises updates as well as creation; and,
 * now and then, a "poisoned" edit that the kernel must refuse partway through its apply.
 *
 * Every kind of object a document holds comes up: addresses (IPv4 with label, broadcast, peer,
 * metric, noprefixroute; IPv6 with and without nodad), policy rules (both families, most
 * selectors, lookup, goto and the reject actions), routes (both families, gateway, device,
 * source, reject types, multipath, metrics, nexthop objects, an IPv4 route via an IPv6 gateway),
 * nexthop objects (single, blackhole, mpath and resilient groups), owned nf_tables tables (base
 * and regular chains, sets with and without intervals, a verdict map, comments) and sysctls
 * (with a global switch that overwrites a device key of the document).
 *
 * The documents are valid: what the README says a plan refuses by design is never generated.
 * - Each address of the pool keeps its attributes (the kernel changes none in place, so an
 *   address that "changes" is a conflict by design): a change is another address of the pool.
 *   Owned IPv4 addresses are primaries or secondaries of the plumbing's (never deleted), so no
 *   delete takes secondaries along; no route uses an owned address as source or gateway subnet.
 * - Nexthop ids keep their kind (a single and a group, or two group types, cannot replace one
 *   another; a resilient group keeps its bucket count); groups and routes use only objects the
 *   document holds (or the foreign object 50).
 * - Each rule has a priority of its own: a rule re-added by a rollback behind others of its
 *   priority is a documented limit.
 * - The kernel checks a new gateway (of a route or nexthop object) by looking it up among the
 *   routes and rules present at that moment: in the route's table, else through the policy
 *   rules (IPv6 nexthop objects always through the rules). So a document may resolve a gateway
 *   without `dev` through another device, or be refused (EHOSTUNREACH: the lookup found a route
 *   via a gateway), after documents whose routes and rules it keeps or replaces, while it
 *   applies alone. Found by this test (seed 24 before this restriction: an IPv6 rule
 *   `not from 2001:db8:20::/48 lookup 100`, table 100 holding `default via 2001:db8::3`, and a
 *   new nexthop object via 2001:db8::2 refused). The generator therefore makes no rule that
 *   such a lookup meets (none without a selector, no `not`, `oif` only with a mark) and no
 *   default route through a device alone.
 * - No IPv6 route in table main (deleting an owned IPv6 address may delete a main-table prefix
 *   route), no `disable_ipv6` (irreversible by design), no IPv6 forwarding (it changes what the
 *   kernel does with router advertisements).
 *
 * Everything comes from one seeded PRNG (test/helpers/random.ts): a seed always makes the same
 * sequence.
 */
import type { Address, NexthopObject, PolicyDocument, PolicyNftObject, Route, Rule } from '../../src/index.js';
import { Random } from '../helpers/random.js';

/** The owner id the documents are for. */
export const OWNER = 201;

/** The id of a nexthop object another tool holds (made with `ip`), which document routes may use. */
export const FOREIGN_NEXTHOP = 50;

/** The names of the nf_tables tables documents may hold, by family. */
export const OWNED_TABLES = [
  { family: 'inet', name: 'agent' },
  { family: 'ip', name: 'steer' },
] as const;

/**
 * The sysctls documents may set, with the values they pick from. `net.ipv4.ip_forward` is a
 * global switch: writing it overwrites `net.ipv4.conf.v2.forwarding` (and every device's).
 */
export const SYSCTLS: Readonly<Record<string, readonly (string | number | boolean)[]>> = {
  'net.ipv4.ip_forward': [0, 1],
  'net.ipv4.conf.v2.forwarding': [0, 1],
  'net.ipv4.conf.all.rp_filter': [0, 1, 2],
  'net.ipv4.conf.v0.rp_filter': [0, 2, '02'],
  'net.ipv4.conf.all.src_valid_mark': [true, false],
  'net.ipv4.ip_local_port_range': ['32768 60999', '40000\t50000'],
};

/** The same key as sysctl(8) takes it as a path, which documents may use instead. */
function pathSpelling(key: string): string {
  return key.split('.').join('/');
}

/**
 * Owned addresses: each keeps its attributes. On v0 (192.0.2.1/24, 2001:db8::1/64 are the
 * plumbing's) and v2 (198.51.100.1/24).
 */
const ADDRESS_POOL: readonly Address[] = [
  { address: '203.0.113.1/24', dev: 'v0', label: 'v0:app', broadcast: '203.0.113.255' },
  { address: '203.0.113.129/32', dev: 'v2' },
  { address: '10.9.0.1/32', peer: '10.9.0.2', dev: 'v2' },
  { address: '10.99.1.1/24', dev: 'v2', metric: 50 },
  { address: '10.99.2.1/24', dev: 'v0', noprefixroute: true },
  { address: '192.0.2.50/24', dev: 'v0' }, // a secondary of the plumbing's primary
  { address: '2001:db8:5::1/64', dev: 'v2', nodad: true, noprefixroute: true },
  { address: '2001:db8:6::1/64', dev: 'v0', nodad: true, metric: 300 },
  { address: '2001:db8::50/64', dev: 'v0', nodad: true }, // beside the plumbing's, same prefix
  { address: '2001:db8:7::1/64', dev: 'v2' },
];

/** The local addresses documents may hold (iproute2 6.1 does not print an address's protocol). */
export const OWNED_ADDRESSES: ReadonlySet<string> = new Set(ADDRESS_POOL.map((a) => a.address.split('/')[0]!));

/** Single IPv4 nexthop ids (groups use them), the blackhole, a device-only one, IPv6 ones, groups. */
const NH_V4 = [1, 2, 3, 4] as const;
const NH_BLACKHOLE = 6;
const NH_DEVICE = 8;
const NH_V6 = [5, 7] as const;
const NH_GROUPS = [10, 11] as const;
const NH_RESILIENT = 12;

/** Route slots: destinations per family, tables, metrics. */
const V4_DSTS = ['default', '10.1.0.0/16', '10.2.0.0/16', '10.3.0.0/16', '10.4.0.0/16', '10.1.2.0/24', '10.5.5.5/32'] as const;
const V6_DSTS = ['default', '2001:db8:10::/48', '2001:db8:11::/48', '2001:db8:12:1::/64'] as const;
const V4_TABLES = [100, 101, 300, 'main'] as const;
const V6_TABLES = [100, 300] as const;

/** Rule priorities (one rule each), per family. */
const V4_PRIORITIES = [1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009];
const V6_PRIORITIES = [1100, 1101, 1102, 1103, 1104];

/** The contents of one owned nf_tables table, as the model edits them. */
interface TableModel {
  family: 'inet' | 'ip';
  name: string;
  comment: string | undefined;
  policy: 'accept' | 'drop';
  hosts: string[];
  intervals: string[];
  mark: number;
  /** Ports of the verdict map (inet only; jump to chain `marked`). */
  ports: number[];
  outputChain: boolean;
  counter: boolean;
}

/** What one document holds, by identity, so that edits can add, remove or change one object. */
interface Model {
  addresses: Set<number>;
  nexthops: Map<number, NexthopObject>;
  routes: Map<string, Route>;
  rules: Map<number, Rule>;
  tables: Map<string, TableModel>;
  sysctls: Map<string, string | number | boolean>;
  /** Whether sysctl keys are written as paths in this document. */
  pathKeys: boolean;
}

/** One step of a sequence: the document to apply, and perhaps a poisoned one tried first. */
export interface GeneratedStep {
  document: PolicyDocument;
  /** A document the kernel refuses partway (applied before `document`, and undone). */
  poisoned?: { document: PolicyDocument; why: string };
  /** The edits that made `document` from the one before, for failure messages. */
  edits: string[];
}

// ---------------------------------------------------------------------------------------------
// Objects

function randomRule(random: Random, family: 4 | 6, priority: number): Rule {
  const rule: Rule = { priority };
  if (family === 6) rule.family = 'inet6';
  // Every rule has a selector that the kernel's own gateway checks (a lookup of the gateway
  // without mark, source, uid or tos, through the gateway's device) never meet: see the head.
  const selectors = random.sample(family === 4 ? ['fwmark', 'from', 'to', 'iif', 'oif', 'uidrange', 'dport', 'tos'] : ['fwmark', 'from', 'to', 'iif', 'uidrange'], random.int(1, 2));
  for (const selector of selectors) {
    switch (selector) {
      case 'fwmark':
        rule.fwmark = random.int(1, 200);
        if (random.chance(0.3)) rule.fwmask = 0xff;
        break;
      case 'from':
        rule.from = family === 4 ? random.pick(['192.0.2.0/24', '10.20.0.0/16', '10.21.3.0/24']) : random.pick(['2001:db8:20::/48', '2001:db8::/64']);
        break;
      case 'to':
        rule.to = family === 4 ? random.pick(['10.1.0.0/16', '198.51.100.128/25']) : '2001:db8:10::/48';
        break;
      case 'iif':
        rule.iif = random.pick(['v0', 'lo']);
        break;
      case 'oif':
        rule.oif = 'v2';
        rule.fwmark ??= random.int(1, 200);
        break;
      case 'uidrange': {
        const start = random.int(100, 2000);
        rule.uidrange = `${start}-${start + random.int(0, 50)}`;
        break;
      }
      case 'dport':
        rule.ipproto = 'tcp';
        rule.dport = random.chance(0.5) ? random.pick([465, 25, 443]) : { start: 8000, end: 8000 + random.int(1, 100) };
        break;
      case 'tos':
        rule.tos = random.pick([0x10, 0x08]);
        break;
    }
  }
  const action = random.weighted([
    [6, 'lookup'],
    [1, 'goto'],
    [1, 'reject'],
  ] as const);
  if (action === 'lookup') {
    rule.table = random.pick(family === 4 ? [100, 101, 300, 'main'] : [100, 300]);
    if (rule.table === 'main' && random.chance(0.5)) rule.suppressPrefixLength = 0;
  } else if (action === 'goto') {
    // The kernel takes a goto only to a later priority; one no rule holds yet is "unresolved".
    rule.action = 'goto';
    rule.goto = priority + random.int(1, 3);
  } else {
    rule.action = random.pick(['unreachable', 'prohibit', 'blackhole']);
  }
  return rule;
}

function metrics(random: Random, family: 4 | 6): Route['metrics'] {
  return random.chance(0.25) ? { mtu: family === 4 ? random.int(1200, 1500) : random.int(1280, 1500) } : undefined;
}

/** The nexthop ids a route of the family may use, in the model. */
function usableNexthops(model: Model, family: 4 | 6): number[] {
  const ids = [...model.nexthops.keys()].filter((id) => (family === 4 ? !(NH_V6 as readonly number[]).includes(id) : (NH_V6 as readonly number[]).includes(id)));
  return family === 4 ? [...ids, FOREIGN_NEXTHOP] : ids;
}

function randomRouteBody(random: Random, model: Model, family: 4 | 6, dst: string): Route {
  // A default route through a device alone would resolve gateways without a device of routes
  // added after it in its table (see the head).
  const devWeight = dst === 'default' ? 0 : 2;
  if (family === 4) {
    const kind = random.weighted([
      [3, 'gateway'],
      [devWeight, 'dev'],
      [1, 'reject'],
      [2, 'multipath'],
      [2, 'nexthop'],
      [1, 'via6'],
    ] as const);
    switch (kind) {
      case 'gateway':
        return random.chance(0.5) ? { gateway: random.pick(['192.0.2.2', '192.0.2.3']), metrics: metrics(random, 4) } : { gateway: '198.51.100.2', dev: 'v2', metrics: metrics(random, 4) };
      case 'dev':
        return { dev: random.pick(['v0', 'v2']), ...(random.chance(0.3) ? { src: '192.0.2.1', dev: 'v0' } : {}), metrics: metrics(random, 4) };
      case 'reject':
        return { type: random.pick(['blackhole', 'unreachable', 'prohibit', 'throw'] as const) };
      case 'multipath': {
        const hops = [
          { gateway: '192.0.2.2', dev: 'v0', weight: random.int(1, 4) },
          { gateway: '198.51.100.2', dev: 'v2', ...(random.chance(0.5) ? { weight: random.int(1, 4) } : {}) },
        ];
        if (random.chance(0.3)) hops.push({ gateway: '192.0.2.3', dev: 'v0', weight: 1 });
        return { nexthops: random.sample(hops, hops.length) };
      }
      case 'nexthop':
        return { nexthopId: random.pick(usableNexthops(model, 4)) };
      case 'via6':
        // An IPv4 route through an IPv6 gateway (RTA_VIA).
        return { gateway: 'fe80::1', dev: 'v2' };
    }
  }
  const kind = random.weighted([
    [3, 'gateway'],
    [devWeight, 'dev'],
    [1, 'reject'],
    [2, 'multipath'],
    [1, 'nexthop'],
  ] as const);
  const nexthops = usableNexthops(model, 6);
  switch (kind) {
    case 'gateway':
      return random.chance(0.5)
        ? { gateway: random.pick(['2001:db8::2', '2001:db8::3']), ...(random.chance(0.5) ? { dev: 'v0' } : {}), metrics: metrics(random, 6) }
        : { gateway: 'fe80::1', dev: 'v2', ...(random.chance(0.3) ? { src: '2001:db8::1' } : {}) };
    case 'dev':
      return { dev: random.pick(['v0', 'v2']), metrics: metrics(random, 6) };
    case 'reject':
      return { type: random.pick(['blackhole', 'unreachable', 'prohibit'] as const) };
    case 'multipath':
      return {
        nexthops: random.sample(
          [
            { gateway: '2001:db8::2', dev: 'v0' },
            { gateway: 'fe80::1', dev: 'v2' },
          ],
          2,
        ),
      };
    case 'nexthop':
      return nexthops.length === 0 ? { dev: 'v2' } : { nexthopId: random.pick(nexthops) };
  }
}

/** A route for a slot key (`4|table|dst|metric`). */
function routeFor(slot: string, body: Route): Route {
  const [family, table, dst, metric] = slot.split('|');
  const route: Route = { dst: dst!, ...withoutUndefined(body), table: table === 'main' ? 'main' : Number(table) };
  if (metric !== '') route.metric = Number(metric);
  // A default route's family is not in its destination (an IPv4 route may have an IPv6 gateway).
  if (dst === 'default') route.family = family === '6' ? 'inet6' : 'inet';
  return route;
}

function randomSlot(random: Random, family: 4 | 6): string {
  const dst = random.pick(family === 4 ? V4_DSTS : V6_DSTS);
  const table = random.pick(family === 4 ? V4_TABLES : V6_TABLES);
  const metric = random.pick(['', '20']);
  return `${family}|${table}|${dst}|${metric}`;
}

function slotDst(slot: string): string {
  return slot.split('|')[2]!;
}

function slotFamily(slot: string): 4 | 6 {
  return slot.startsWith('6|') ? 6 : 4;
}

function randomNexthop(random: Random, id: number, model: Model): NexthopObject | undefined {
  if ((NH_V4 as readonly number[]).includes(id)) {
    return random.chance(0.5) ? { id, gateway: random.pick(['192.0.2.2', '192.0.2.3']), dev: 'v0' } : { id, gateway: random.pick(['198.51.100.2', '198.51.100.3']), dev: 'v2' };
  }
  if ((NH_V6 as readonly number[]).includes(id)) return random.chance(0.6) ? { id, gateway: random.pick(['2001:db8::2', '2001:db8::3']), dev: 'v0' } : { id, gateway: 'fe80::1', dev: 'v2' };
  if (id === NH_BLACKHOLE) return { id, blackhole: true };
  if (id === NH_DEVICE) return { id, dev: random.pick(['v0', 'v2']) };
  const singles = NH_V4.filter((n) => model.nexthops.has(n));
  if (singles.length === 0) return undefined;
  const group = random.sample(singles, random.int(1, singles.length)).map((member) => (random.chance(0.5) ? { id: member, weight: random.int(1, 5) } : { id: member }));
  if (id === NH_RESILIENT) return { id, group, groupType: 'resilient', resilient: { buckets: 16, ...(random.chance(0.5) ? { idleTimer: random.pick([60, 120]) } : {}) } };
  return { id, group };
}

function randomTable(random: Random, which: (typeof OWNED_TABLES)[number]): TableModel {
  return {
    family: which.family,
    name: which.name,
    comment: random.chance(0.3) ? random.pick(['steering', 'agent rules']) : undefined,
    policy: random.chance(0.8) ? 'accept' : 'drop',
    hosts: random.sample(['192.0.2.7', '192.0.2.8', '192.0.2.9', '198.51.100.20'], random.int(0, 3)),
    intervals: random.sample(['192.0.2.0/28', '192.0.2.64/26', '198.51.100.128/25', '203.0.113.0/24'], random.int(0, 2)),
    mark: random.int(1, 100),
    ports: which.family === 'inet' ? random.sample([22, 80, 443, 465, 8080], random.int(0, 2)) : [],
    outputChain: random.chance(0.5),
    counter: random.chance(0.4),
  };
}

function editTable(random: Random, table: TableModel): string {
  const field = random.pick(['hosts', 'intervals', 'mark', 'ports', 'outputChain', 'counter', 'comment', 'policy'] as const);
  const fresh = randomTable(random, { family: table.family, name: table.name } as (typeof OWNED_TABLES)[number]);
  (table as unknown as Record<string, unknown>)[field] = fresh[field];
  return `table ${table.family} ${table.name}: ${field}`;
}

/** The table's objects as `nft -j list table` prints them. */
function renderTable(table: TableModel): PolicyNftObject[] {
  const { family, name } = table;
  const mark = (value: number) => ({ mangle: { key: { meta: { key: 'mark' } }, value } });
  const objects: Record<string, unknown>[] = [
    { table: { family, name, ...(table.comment === undefined ? {} : { comment: table.comment }) } },
    { chain: { family, table: name, name: 'pre', type: 'filter', hook: 'prerouting', prio: -150, policy: table.policy } },
  ];
  if (table.outputChain) objects.push({ chain: { family, table: name, name: 'out', type: 'route', hook: 'output', prio: -150, policy: 'accept' } });
  if (table.ports.length > 0) {
    objects.push({ chain: { family, table: name, name: 'marked' } });
    objects.push({ rule: { family, table: name, chain: 'marked', expr: [mark(table.mark + 1)] } });
  }
  objects.push({ set: { family, table: name, name: 'hosts', type: 'ipv4_addr', ...(table.hosts.length > 0 ? { elem: table.hosts } : {}) } });
  objects.push({ set: { family, table: name, name: 'nets', type: 'ipv4_addr', flags: ['interval'], ...(table.intervals.length > 0 ? { elem: table.intervals } : {}) } });
  if (table.ports.length > 0) {
    objects.push({ map: { family, table: name, name: 'ports', type: 'inet_service', map: 'verdict', elem: table.ports.map((port) => [port, { jump: { target: 'marked' } }]) } });
    objects.push({ rule: { family, table: name, chain: 'pre', expr: [{ vmap: { key: { payload: { protocol: 'tcp', field: 'dport' } }, data: '@ports' } }] } });
  }
  const saddr = { payload: { protocol: 'ip', field: 'saddr' } };
  objects.push({ rule: { family, table: name, chain: 'pre', expr: [{ match: { op: '==', left: saddr, right: '@hosts' } }, mark(table.mark), ...(table.counter ? [{ counter: null }] : [])] } });
  objects.push({ rule: { family, table: name, chain: 'pre', expr: [{ match: { op: '==', left: saddr, right: '@nets' } }, { accept: null }] } });
  if (table.outputChain) {
    objects.push({ rule: { family, table: name, chain: 'out', expr: [{ match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: 465 } }, mark(65)] } });
  }
  return objects as PolicyNftObject[];
}

// ---------------------------------------------------------------------------------------------
// The model: adds, removes, changes

function withoutUndefined<T extends object>(object: T): T {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as T;
}

/**
 * Keeps the model valid after an edit: groups hold only single objects the model holds (a group
 * left empty goes), and routes use only objects it holds (else they get another body).
 */
function repair(random: Random, model: Model): void {
  for (const id of [...NH_GROUPS, NH_RESILIENT]) {
    const group = model.nexthops.get(id);
    if (group === undefined) continue;
    const members = group.group!.filter((m) => model.nexthops.has(m.id));
    if (members.length === 0) model.nexthops.delete(id);
    else model.nexthops.set(id, { ...group, group: members });
  }
  for (const [slot, route] of model.routes) {
    if (route.nexthopId !== undefined && route.nexthopId !== FOREIGN_NEXTHOP && !model.nexthops.has(route.nexthopId)) {
      const family = slotFamily(slot);
      let body = randomRouteBody(random, model, family, slotDst(slot));
      while (body.nexthopId !== undefined && body.nexthopId !== FOREIGN_NEXTHOP && !model.nexthops.has(body.nexthopId)) body = randomRouteBody(random, model, family, slotDst(slot));
      model.routes.set(slot, routeFor(slot, body));
    }
  }
}

const ALL_NEXTHOP_IDS = [...NH_V4, NH_BLACKHOLE, NH_DEVICE, ...NH_V6, ...NH_GROUPS, NH_RESILIENT];

/** One random edit of the model; returns what it did. */
function edit(random: Random, model: Model): string {
  const kind = random.weighted([
    [3, 'rule'],
    [4, 'route'],
    [3, 'nexthop'],
    [2, 'address'],
    [2, 'table'],
    [2, 'sysctl'],
  ] as const);
  const action = random.weighted([
    [2, 'add'],
    [1, 'remove'],
    [2, 'change'],
  ] as const);
  switch (kind) {
    case 'rule': {
      const family = random.chance(0.75) ? 4 : 6;
      const priorities = family === 4 ? V4_PRIORITIES : V6_PRIORITIES;
      const held = priorities.filter((p) => model.rules.has(p));
      const free = priorities.filter((p) => !model.rules.has(p));
      if ((action === 'add' || held.length === 0) && free.length > 0) {
        const priority = random.pick(free);
        model.rules.set(priority, randomRule(random, family, priority));
        return `add rule ${priority}`;
      }
      if (held.length === 0) return 'nothing';
      const priority = random.pick(held);
      if (action === 'remove') {
        model.rules.delete(priority);
        return `remove rule ${priority}`;
      }
      model.rules.set(priority, randomRule(random, family, priority));
      return `change rule ${priority}`;
    }
    case 'route': {
      const family = random.chance(0.7) ? 4 : 6;
      const held = [...model.routes.keys()].filter((slot) => slotFamily(slot) === family);
      if (action === 'add' || held.length === 0) {
        const slot = randomSlot(random, family);
        const verb = model.routes.has(slot) ? 'change' : 'add';
        model.routes.set(slot, routeFor(slot, randomRouteBody(random, model, family, slotDst(slot))));
        return `${verb} route ${slot}`;
      }
      const slot = random.pick(held);
      if (action === 'remove') {
        model.routes.delete(slot);
        return `remove route ${slot}`;
      }
      model.routes.set(slot, routeFor(slot, randomRouteBody(random, model, family, slotDst(slot))));
      return `change route ${slot}`;
    }
    case 'nexthop': {
      const id = random.pick(action === 'add' ? ALL_NEXTHOP_IDS.filter((n) => !model.nexthops.has(n)).concat(-1) : [...model.nexthops.keys(), -1]);
      if (id === -1) return 'nothing';
      if (action === 'remove') {
        model.nexthops.delete(id);
        repair(random, model);
        return `remove nexthop ${id}`;
      }
      const nexthop = randomNexthop(random, id, model);
      if (nexthop === undefined) return 'nothing';
      const verb = model.nexthops.has(id) ? 'change' : 'add';
      model.nexthops.set(id, nexthop);
      return `${verb} nexthop ${id}`;
    }
    case 'address': {
      const held = [...model.addresses];
      const free = ADDRESS_POOL.map((_, i) => i).filter((i) => !model.addresses.has(i));
      if ((action !== 'remove' || held.length === 0) && free.length > 0) {
        const index = random.pick(free);
        // A "change" is another address of the pool instead: attributes never change in place.
        if (action === 'change' && held.length > 0) model.addresses.delete(random.pick(held));
        model.addresses.add(index);
        return `${action === 'change' ? 'swap for' : 'add'} address ${ADDRESS_POOL[index]!.address}`;
      }
      if (held.length === 0) return 'nothing';
      const index = random.pick(held);
      model.addresses.delete(index);
      return `remove address ${ADDRESS_POOL[index]!.address}`;
    }
    case 'table': {
      const which = random.pick(OWNED_TABLES);
      const key = `${which.family}|${which.name}`;
      const held = model.tables.get(key);
      if (held === undefined) {
        model.tables.set(key, randomTable(random, which));
        return `add table ${which.family} ${which.name}`;
      }
      if (action === 'remove') {
        model.tables.delete(key);
        return `remove table ${which.family} ${which.name}`;
      }
      return editTable(random, held);
    }
    case 'sysctl': {
      const key = random.pick(Object.keys(SYSCTLS));
      if (action === 'remove' && model.sysctls.has(key)) {
        model.sysctls.delete(key);
        return `leave sysctl ${key} alone`;
      }
      const value = random.pick(SYSCTLS[key]!);
      model.sysctls.set(key, value);
      if (random.chance(0.2)) model.pathKeys = !model.pathKeys;
      return `sysctl ${key} = ${JSON.stringify(value)}`;
    }
  }
}

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function cloneModel(model: Model): Model {
  return {
    addresses: new Set(model.addresses),
    nexthops: new Map(clone([...model.nexthops])),
    routes: new Map(clone([...model.routes])),
    rules: new Map(clone([...model.rules])),
    tables: new Map(clone([...model.tables])),
    sysctls: new Map(model.sysctls),
    pathKeys: model.pathKeys,
  };
}

/** The model as a document, sections in random order within (the plan must not care). */
function render(random: Random, model: Model): PolicyDocument {
  const document: PolicyDocument = {};
  const shuffled = <T>(items: T[]) => random.sample(items, items.length);
  if (model.addresses.size > 0 || random.chance(0.5)) document.addresses = shuffled([...model.addresses].map((i) => clone(ADDRESS_POOL[i]!)));
  if (model.rules.size > 0 || random.chance(0.5)) document.rules = shuffled(clone([...model.rules.values()]));
  if (model.routes.size > 0 || random.chance(0.5)) document.routes = shuffled(clone([...model.routes.values()]));
  if (model.nexthops.size > 0 || random.chance(0.5)) document.nexthops = shuffled(clone([...model.nexthops.values()]));
  if (model.tables.size > 0 || random.chance(0.5)) document.nftables = [...model.tables.values()].flatMap(renderTable);
  if (model.sysctls.size > 0) {
    document.sysctls = Object.fromEntries([...model.sysctls].map(([key, value]) => [model.pathKeys ? pathSpelling(key) : key, value]));
  }
  return document;
}

/**
 * Poisons a document so that the kernel refuses it partway, after (or before) other changes of
 * the same apply succeeded; plans accept it.
 */
function poison(random: Random, document: PolicyDocument): { document: PolicyDocument; why: string } {
  const poisoned = clone(document);
  const which = random.pick(['route', 'rule', 'nexthop', 'sysctl'] as const);
  switch (which) {
    case 'route':
      // No address's subnet holds the gateway: ENETUNREACH, among the route adds.
      poisoned.routes = [...(poisoned.routes ?? []), { dst: '10.66.0.0/16', gateway: '10.250.0.1', table: 100 }];
      return { document: poisoned, why: 'a route via a gateway no subnet holds' };
    case 'rule':
      // A goto to an earlier priority: EINVAL, among the rule adds.
      poisoned.rules = [...(poisoned.rules ?? []), { priority: 1050, action: 'goto', goto: 1000 }];
      return { document: poisoned, why: 'a rule that goes to an earlier priority' };
    case 'nexthop':
      poisoned.nexthops = [...(poisoned.nexthops ?? []), { id: 40, gateway: '10.250.0.1', dev: 'v0' }];
      return { document: poisoned, why: 'a nexthop object via a gateway no subnet holds' };
    case 'sysctl':
      // min above max: EINVAL, the very last write, after the nf_tables transaction committed.
      poisoned.sysctls = { ...(poisoned.sysctls ?? {}), 'net.ipv4.ip_local_port_range': '50000 40000' };
      delete poisoned.sysctls['net/ipv4/ip_local_port_range'];
      return { document: poisoned, why: 'a sysctl value the kernel refuses' };
  }
}

/**
 * The documents of one seed: a random first document, then `steps - 1` edits of one to three
 * objects each (now and then everything removed at once); about a third of the steps first try
 * a poisoned edit.
 */
export function generateSequence(seed: number, steps: number): GeneratedStep[] {
  const random = new Random(seed);
  const model: Model = { addresses: new Set(), nexthops: new Map(), routes: new Map(), rules: new Map(), tables: new Map(), sysctls: new Map(), pathKeys: false };
  const out: GeneratedStep[] = [];
  const first: string[] = [];
  for (let i = random.int(6, 14); i > 0; i--) first.push(edit(random, model));
  // Creation alone at first, then updates.
  for (let step = 0; step < steps; step++) {
    const edits = step === 0 ? first : [];
    if (step > 0) {
      if (random.chance(0.03)) {
        const sysctls = model.sysctls;
        Object.assign(model, { addresses: new Set(), nexthops: new Map(), routes: new Map(), rules: new Map(), tables: new Map() });
        model.sysctls = sysctls;
        edits.push('remove everything');
      } else {
        for (let i = random.int(1, 3); i > 0; i--) edits.push(edit(random, model));
      }
    }
    repair(random, model);
    let poisoned: GeneratedStep['poisoned'];
    if (step > 0 && random.chance(0.35)) {
      const scratch = cloneModel(model);
      edit(random, scratch);
      repair(random, scratch);
      poisoned = poison(random, render(random, scratch));
    }
    out.push({ document: render(random, model), edits: edits.filter((e) => e !== 'nothing'), ...(poisoned ? { poisoned } : {}) });
  }
  return out;
}
