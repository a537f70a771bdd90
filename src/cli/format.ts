/**
 * Readable text for what the `routemark` command shows: rules and routes the way `ip rule` and
 * `ip route` print them, nf_tables the way `nft list ruleset` does, flows the way `conntrack -L`
 * does. Anything the formatter does not know is shown as JSON rather than dropped.
 */
import type { Flow, FlowTuple } from '../ct/flow.js';
import type { NftChain, NftExpression, NftListing, NftRule, NftSet, NftStatement, NftTable } from '../nft/json.js';
import type { MonitorEvent } from '../policy/monitor.js';
import type { PlanChange } from '../policy/plan.js';
import type { Address } from '../rtnl/addresses.js';
import type { Link } from '../rtnl/links.js';
import type { Neighbour } from '../rtnl/neighbours.js';
import type { RouteLookup } from '../rtnl/lookup.js';
import type { NexthopObject } from '../rtnl/nexthops.js';
import type { Route } from '../rtnl/routes.js';
import type { Rule } from '../rtnl/rules.js';

const hex = (n: number) => `0x${n.toString(16)}`;

function portRange(value: unknown): string {
  if (typeof value === 'object' && value !== null && 'start' in value && 'end' in value) {
    const { start, end } = value as { start: number; end: number };
    return start === end ? String(start) : `${start}-${end}`;
  }
  return String(value);
}

/** One rule as `ip rule` prints it: `1000:	from all fwmark 0x41 lookup 65 proto 201`. */
export function formatRule(rule: Rule): string {
  const parts: string[] = [];
  if (rule.not) parts.push('not');
  parts.push(`from ${rule.from ?? 'all'}`);
  if (rule.to !== undefined) parts.push(`to ${rule.to}`);
  if (rule.tos !== undefined) parts.push(`tos ${hex(rule.tos)}`);
  // As newer ip prints them: a value with a mask, where the mask is narrower than all ones.
  const masked = (value: unknown, mask: number | undefined) => (mask !== undefined ? `${hex(Number(value))}/${hex(mask)}` : portRange(value));
  if (rule.dscp !== undefined) parts.push(`dscp ${masked(rule.dscp, rule.dscpMask)}`);
  if (rule.flowlabel !== undefined) parts.push(`flowlabel ${hex(rule.flowlabel)}${rule.flowlabelMask !== undefined ? `/${hex(rule.flowlabelMask)}` : ''}`);
  if (rule.fwmark !== undefined) parts.push(`fwmark ${hex(rule.fwmark)}${rule.fwmask !== undefined && rule.fwmask !== 0xffffffff ? `/${hex(rule.fwmask)}` : ''}`);
  if (rule.iif !== undefined) parts.push(`iif ${rule.iif}`);
  if (rule.oif !== undefined) parts.push(`oif ${rule.oif}`);
  if (rule.uidrange !== undefined) parts.push(`uidrange ${typeof rule.uidrange === 'object' ? `${rule.uidrange.start}-${rule.uidrange.end}` : String(rule.uidrange)}`);
  if (rule.ipproto !== undefined) parts.push(`ipproto ${rule.ipproto}`);
  if (rule.sport !== undefined) parts.push(`sport ${masked(rule.sport, rule.sportMask)}`);
  if (rule.dport !== undefined) parts.push(`dport ${masked(rule.dport, rule.dportMask)}`);
  if (rule.l3mdev) parts.push('lookup [l3mdev-table]');
  const action = rule.action ?? 'lookup';
  if (action === 'lookup') {
    if (!rule.l3mdev) parts.push(`lookup ${rule.table ?? 'main'}`);
  } else if (action === 'goto') parts.push(`goto ${rule.goto}`);
  else parts.push(action);
  if (rule.suppressPrefixLength !== undefined) parts.push(`suppress_prefixlength ${rule.suppressPrefixLength}`);
  if (rule.suppressIfgroup !== undefined) parts.push(`suppress_ifgroup ${rule.suppressIfgroup}`);
  // The kernel's own rules say `proto kernel`; ip shows the protocol only of others' rules.
  if (rule.protocol !== undefined && !['unspec', 'kernel', 0, 2].includes(rule.protocol)) parts.push(`proto ${rule.protocol}`);
  return `${rule.priority ?? '?'}:\t${parts.join(' ')}`;
}

/**
 * One route as `ip route` prints it (without its table, which the caller groups by). A route that
 * uses a nexthop object shows that object's gateway and device, or its group's members as
 * nexthop lines, as ip shows them, when `nexthopObjects` holds it.
 */
export function formatRoute(route: Route, nexthopObjects?: ReadonlyMap<number, NexthopObject>): string {
  const parts: string[] = [];
  if (route.type !== undefined && route.type !== 'unicast') parts.push(route.type);
  parts.push(route.dst ?? 'default');
  if (route.tos !== undefined && route.tos !== 0) parts.push(`tos ${hex(route.tos)}`);
  if (route.nexthopId !== undefined) parts.push(`nhid ${route.nexthopId}`);
  const object = route.nexthopId !== undefined ? nexthopObjects?.get(route.nexthopId) : undefined;
  const gateway = route.gateway ?? object?.gateway;
  const dev = route.dev ?? object?.dev;
  if (gateway !== undefined) parts.push(`via ${gateway}`);
  if (dev !== undefined) parts.push(`dev ${dev}`);
  if (route.protocol !== undefined) parts.push(`proto ${route.protocol}`);
  if (route.scope !== undefined && route.scope !== 'global' && route.scope !== 0) parts.push(`scope ${route.scope}`);
  if (route.src !== undefined) parts.push(`src ${route.src}`);
  if (route.metric !== undefined) parts.push(`metric ${route.metric}`);
  if (route.onlink) parts.push('onlink');
  if (route.metrics !== undefined) {
    // A locked metric is one the kernel must not change itself (e.g. the MTU from PMTU discovery).
    const locked = new Set<string>(route.metrics.lock ?? []);
    for (const [key, value] of Object.entries(route.metrics)) if (key !== 'lock') parts.push(`${key}${locked.has(key) ? ' lock' : ''} ${String(value)}`);
  }
  if (route.expires !== undefined) parts.push(`expires ${route.expires}sec`);
  if (route.pref !== undefined) parts.push(`pref ${route.pref}`);
  let text = parts.join(' ');
  const members = (object?.group ?? []).map((member) => ({ ...nexthopObjects?.get(member.id), weight: member.weight }));
  for (const nexthop of route.nexthops ?? members) {
    text += `\n\tnexthop${nexthop.gateway !== undefined ? ` via ${nexthop.gateway}` : ''}${nexthop.dev !== undefined ? ` dev ${nexthop.dev}` : ''} weight ${nexthop.weight ?? 1}${nexthop.onlink ? ' onlink' : ''}`;
  }
  return text;
}

/** A nexthop object as `ip nexthop` prints it (without the scope). */
export function formatNexthop(nexthop: NexthopObject): string {
  const parts = [`id ${nexthop.id ?? 0}`];
  if (nexthop.group !== undefined) {
    parts.push(`group ${nexthop.group.map((m) => (m.weight !== undefined && m.weight !== 1 ? `${m.id},${m.weight}` : `${m.id}`)).join('/')}`);
    if (nexthop.groupType === 'resilient') {
      parts.push('type resilient');
      const r = nexthop.resilient ?? {};
      if (r.buckets !== undefined) parts.push(`buckets ${r.buckets}`);
      if (r.idleTimer !== undefined) parts.push(`idle_timer ${r.idleTimer}`);
      if (r.unbalancedTimer !== undefined) parts.push(`unbalanced_timer ${r.unbalancedTimer}`);
    }
  }
  if (nexthop.gateway !== undefined) parts.push(`via ${nexthop.gateway}`);
  if (nexthop.dev !== undefined) parts.push(`dev ${nexthop.dev}`);
  if (nexthop.blackhole) parts.push('blackhole');
  if (nexthop.onlink) parts.push('onlink');
  if (nexthop.protocol !== undefined && nexthop.protocol !== 'unspec' && nexthop.protocol !== 0) parts.push(`proto ${nexthop.protocol}`);
  return parts.join(' ');
}

/** Routes grouped under a `table NAME:` heading per table, in the order first seen (`nexthopObjects` as for {@link formatRoute}). */
export function formatRoutes(routes: Route[], nexthopObjects?: ReadonlyMap<number, NexthopObject>): string[] {
  const tables = new Map<string, Route[]>();
  for (const route of routes) {
    const table = String(route.table ?? 'main');
    const list = tables.get(table) ?? [];
    list.push(route);
    tables.set(table, list);
  }
  const lines: string[] = [];
  for (const [table, list] of tables) {
    lines.push(`table ${table}:`);
    for (const route of list) lines.push(...formatRoute(route, nexthopObjects).split('\n').map((line) => `  ${line}`));
  }
  return lines;
}

/** What `ip route get` prints for a lookup. */
export function formatLookup(lookup: RouteLookup): string {
  const parts: string[] = [];
  if (lookup.type !== 'unicast') parts.push(String(lookup.type));
  parts.push(lookup.dst);
  if (lookup.from !== undefined) parts.push(`from ${lookup.from}`);
  if (lookup.gateway !== undefined) parts.push(`via ${lookup.gateway}`);
  if (lookup.dev !== undefined) parts.push(`dev ${lookup.dev}`);
  parts.push(`table ${lookup.table}`);
  if (lookup.src !== undefined) parts.push(`src ${lookup.src}`);
  if (lookup.iif !== undefined) parts.push(`iif ${lookup.iif}`);
  if (lookup.mark !== undefined) parts.push(`mark ${hex(lookup.mark)}`);
  if (lookup.uid !== undefined) parts.push(`uid ${lookup.uid}`);
  if (lookup.metric !== undefined) parts.push(`metric ${lookup.metric}`);
  return parts.join(' ');
}

/** Meta keys nft prints without `meta` in front. */
const UNQUALIFIED_META = new Set(['iif', 'oif', 'iifname', 'oifname']);

/** An expression in nft syntax (`tcp dport`, `{ 465, 587 }`, `10.0.0.0/8`, `@pick`). */
export function formatExpression(expression: NftExpression | undefined | null): string {
  if (expression === undefined || expression === null) return '';
  if (typeof expression === 'string') return /^[@$]|^[\w.:/-]+$/.test(expression) ? expression : JSON.stringify(expression);
  if (typeof expression === 'number' || typeof expression === 'boolean') return String(expression);
  if (Array.isArray(expression)) return expression.map(formatExpression).join(', ');
  const e = expression;
  if (e.payload) return 'protocol' in e.payload ? `${e.payload.protocol} ${e.payload.field}` : `@${e.payload.base},${e.payload.offset},${e.payload.len}`;
  if (e.meta) return UNQUALIFIED_META.has(e.meta.key) ? e.meta.key : `meta ${e.meta.key}`;
  if (e.ct) return `ct${e.ct.dir ? ` ${e.ct.dir}` : ''} ${e.ct.key}`;
  if (e.prefix) return `${formatExpression(e.prefix.addr)}/${e.prefix.len}`;
  if (e.range) return `${formatExpression(e.range[0])}-${formatExpression(e.range[1])}`;
  if (e.set !== undefined) return `{ ${(Array.isArray(e.set) ? e.set : [e.set]).map(formatElement).join(', ')} }`;
  if (e.map) return `${formatExpression(e.map.key)} map ${formatExpression(e.map.data)}`;
  if (e.concat) return e.concat.map(formatExpression).join(' . ');
  if (e.elem) return formatExpression(e.elem.val);
  for (const op of ['&', '|', '^'] as const) {
    const operands = e[op];
    if (operands) return `${formatOperand(operands[0], op)} ${op} ${formatOperand(operands[1], op)}`;
  }
  return JSON.stringify(expression);
}

const BINARY_OPS = ['&', '|', '^'] as const;

/** The binary operator of an expression, if it is a binary operation. */
function binaryOp(expression: NftExpression | undefined | null): (typeof BINARY_OPS)[number] | undefined {
  if (typeof expression !== 'object' || expression === null || Array.isArray(expression)) return undefined;
  return BINARY_OPS.find((op) => expression[op] !== undefined);
}

/**
 * An operand of a binary operation. A list of flags there is their bitwise or, `(syn | ack)`:
 * joined with commas, nft would not parse it and a reader would take it for two values. Nested
 * operations of another operator are parenthesized, since the JSON nesting, not nft's
 * precedence, decides what applies first.
 */
function formatOperand(operand: NftExpression, parent: (typeof BINARY_OPS)[number]): string {
  if (Array.isArray(operand)) return operand.length === 1 ? formatExpression(operand[0]) : `(${operand.map(formatExpression).join(' | ')})`;
  const op = binaryOp(operand);
  return op !== undefined && op !== parent ? `(${formatExpression(operand)})` : formatExpression(operand);
}

function formatElement(element: NftExpression): string {
  // A map element is [key, value].
  if (Array.isArray(element) && element.length === 2) return `${formatExpression(element[0])} : ${formatVerdictOrExpression(element[1]!)}`;
  return formatExpression(element);
}

/** The element of a set or map statement, with its timeout as nft prints it. */
function formatElementKey(element: NftExpression): string {
  const wrapped = typeof element === 'object' && element !== null && !Array.isArray(element) ? element.elem : undefined;
  if (wrapped === undefined) return formatExpression(element);
  return `${formatExpression(wrapped.val)}${wrapped.timeout !== undefined ? ` timeout ${wrapped.timeout}s` : ''}`;
}

function formatVerdictOrExpression(value: NftExpression): string {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const verdict of ['accept', 'drop', 'continue', 'return'] as const) if (verdict in value) return verdict;
    if (value.jump) return `jump ${value.jump.target}`;
    if (value.goto) return `goto ${value.goto.target}`;
  }
  return formatExpression(value);
}

function natTarget(nat: { addr?: NftExpression; port?: NftExpression } | null | undefined): string {
  if (!nat) return '';
  const address = nat.addr !== undefined ? formatExpression(nat.addr) : '';
  const port = nat.port !== undefined ? `:${formatExpression(nat.port)}` : '';
  return address || port ? ` to ${address}${port}` : '';
}

/** One statement of a rule in nft syntax. */
export function formatStatement(statement: NftStatement): string {
  const s = statement;
  if (s.match) {
    const left = s.match.left;
    // nft leaves out `==`, but after `tcp flags & (syn | ack)` the value reads as one more operand.
    const implicit = (s.match.op === '==' && binaryOp(left) === undefined) || s.match.op === 'in';
    const op = implicit ? '' : ` ${s.match.op}`;
    // nft quotes interface names (`iifname "lan0"`), not other words (`ct state new`).
    const named = typeof left === 'object' && left !== null && !Array.isArray(left) && left.meta !== undefined && /ifname$/.test(left.meta.key);
    const right = named && typeof s.match.right === 'string' ? JSON.stringify(s.match.right) : formatExpression(s.match.right);
    return `${formatExpression(left)}${op} ${right}`;
  }
  if (s.mangle) return `${formatExpression(s.mangle.key)} set ${formatExpression(s.mangle.value)}`;
  if ('counter' in s) {
    if (typeof s.counter === 'string') return `counter name ${JSON.stringify(s.counter)}`;
    if (typeof s.counter === 'object' && s.counter?.map !== undefined) return `counter name ${formatExpression(s.counter.map.key)} map ${formatExpression(s.counter.map.data)}`;
    return s.counter ? `counter packets ${s.counter.packets ?? 0} bytes ${s.counter.bytes ?? 0}` : 'counter';
  }
  if (typeof s.quota === 'string') return `quota name ${JSON.stringify(s.quota)}`;
  if (typeof s.quota === 'object' && s.quota.map !== undefined) return `quota name ${formatExpression(s.quota.map.key)} map ${formatExpression(s.quota.map.data)}`;
  if (s['ct count']) return `ct count ${s['ct count'].inv ? 'over ' : ''}${s['ct count'].val}`;
  if (s.dup) return `dup to ${formatExpression(s.dup.addr)}${s.dup.dev !== undefined ? ` device ${JSON.stringify(s.dup.dev)}` : ''}`;
  if (s.set) return `${s.set.op} ${s.set.set} { ${formatElementKey(s.set.elem)} }`;
  if (s.map) return `${s.map.op} ${s.map.map} { ${formatElementKey(s.map.elem)} : ${formatExpression(s.map.data)} }`;
  if ('snat' in s) return `snat${natTarget(s.snat)}`;
  if ('dnat' in s) return `dnat${natTarget(s.dnat)}`;
  if ('masquerade' in s) return `masquerade${natTarget(s.masquerade)}`;
  if ('redirect' in s) return `redirect${natTarget(s.redirect)}`;
  if ('log' in s) return `log${s.log?.prefix !== undefined ? ` prefix ${JSON.stringify(s.log.prefix)}` : ''}${s.log?.level ? ` level ${s.log.level}` : ''}${s.log?.group !== undefined ? ` group ${s.log.group}` : ''}`;
  if (s.limit) {
    const l = s.limit;
    // Without its unit a byte rate reads as packets. nft lists no burst at its default: 5 packets, 0 bytes.
    const burstUnit = l.burst_unit ?? 'packets';
    const defaultBurst = burstUnit === 'packets' ? 5 : 0;
    const burst = l.burst !== undefined && l.burst !== defaultBurst ? ` burst ${l.burst} ${burstUnit}` : '';
    return `limit rate ${l.inv ? 'over ' : ''}${l.rate}${l.rate_unit !== undefined && l.rate_unit !== 'packets' ? ` ${l.rate_unit}` : ''}/${l.per ?? 'second'}${burst}`;
  }
  if ('reject' in s) return `reject${s.reject?.type ? ` with ${s.reject.type}${s.reject.expr !== undefined ? ` ${formatExpression(s.reject.expr)}` : ''}` : ''}`;
  if (s.vmap) return `${formatExpression(s.vmap.key)} vmap ${formatExpression(s.vmap.data)}`;
  if (s.raw) return `<not decoded: ${s.raw.map((r) => r.expr).join(' ')}>`;
  const verdict = formatVerdictOrExpression(s as NftExpression);
  return verdict.startsWith('{') ? JSON.stringify(s) : verdict;
}

/** A listing the way `nft list ruleset` prints it (rule handles as comments). */
export function formatNft(listing: NftListing): string[] {
  const lines: string[] = [];
  const tables = new Map<string, { table: NftTable; body: string[] }>();
  const chains = new Map<string, string[]>();
  const key = (family: string, table: string) => `${family} ${table}`;
  for (const item of listing.nftables) {
    if ('table' in item) tables.set(key(item.table.family, item.table.name), { table: item.table, body: [] });
  }
  const bodyOf = (family: string, table: string) => tables.get(key(family, table))?.body ?? lines;
  for (const item of listing.nftables) {
    if ('chain' in item) {
      const chain: NftChain = item.chain;
      const rules: string[] = [];
      chains.set(`${key(chain.family, chain.table)} ${chain.name}`, rules);
      const base = chain.hook !== undefined ? [`    type ${chain.type ?? 'filter'} hook ${chain.hook}${chain.dev ? ` device ${chain.dev}` : ''} priority ${chain.prio ?? 0}; policy ${chain.policy ?? 'accept'};`] : [];
      bodyOf(chain.family, chain.table).push(`  chain ${chain.name} {`, ...base, '\u0000' + `${key(chain.family, chain.table)} ${chain.name}`, '  }');
    } else if ('set' in item || 'map' in item) {
      const set: NftSet & { map?: string } = 'set' in item ? item.set : item.map;
      const type = Array.isArray(set.type) ? set.type.join(' . ') : set.type ?? '?';
      const parts = [`type ${type}${set.map ? ` : ${set.map}` : ''};`];
      if (set.flags?.length) parts.push(`flags ${set.flags.join(',')};`);
      if (set.elem?.length) parts.push(`elements = { ${set.elem.map(formatElement).join(', ')} }`);
      bodyOf(set.family, set.table).push(`  ${'map' in item ? 'map' : 'set'} ${set.name} { ${parts.join(' ')} }`);
    } else if ('counter' in item) {
      const counter = item.counter;
      bodyOf(counter.family, counter.table).push(`  counter ${counter.name} { packets ${counter.packets ?? 0} bytes ${counter.bytes ?? 0} }`);
    } else if ('quota' in item) {
      const quota = item.quota;
      bodyOf(quota.family, quota.table).push(`  quota ${quota.name} { ${quota.inv ? 'over ' : ''}${quota.bytes} bytes${quota.used ? ` used ${quota.used} bytes` : ''} }`);
    } else if ('rule' in item) {
      const rule: NftRule = item.rule;
      const text = `    ${(rule.expr ?? []).map(formatStatement).join(' ')}${rule.comment ? ` comment ${JSON.stringify(rule.comment)}` : ''} # handle ${rule.handle ?? '?'}`;
      const list = chains.get(`${key(rule.family, rule.table)} ${rule.chain}`);
      if (list) list.push(text);
      else bodyOf(rule.family, rule.table).push(text);
    }
  }
  for (const { table, body } of tables.values()) {
    const flags = table.flags === undefined ? [] : Array.isArray(table.flags) ? table.flags : [table.flags];
    lines.push(`table ${table.family} ${table.name} {${table.comment ? ` # ${table.comment}` : ''}`);
    if (flags.length) lines.push(`  flags ${flags.join(',')}`);
    for (const line of body) {
      if (line.startsWith('\u0000')) lines.push(...(chains.get(line.slice(1)) ?? []));
      else lines.push(line);
    }
    lines.push('}');
  }
  return lines;
}

function tuple(t: FlowTuple): string {
  const parts = [`src=${t.src}`, `dst=${t.dst}`];
  if (t.sport !== undefined) parts.push(`sport=${t.sport}`);
  if (t.dport !== undefined) parts.push(`dport=${t.dport}`);
  if (t.icmpType !== undefined) parts.push(`type=${t.icmpType}`, `code=${t.icmpCode ?? 0}`, `id=${t.icmpId ?? 0}`);
  return parts.join(' ');
}

/** One flow as `conntrack -L` prints it. */
export function formatFlow(flow: Flow): string {
  const parts: string[] = [String(flow.protocol)];
  if (flow.timeout !== undefined) parts.push(String(flow.timeout));
  if (flow.tcpState !== undefined) parts.push(flow.tcpState);
  parts.push(tuple(flow.original));
  if (!flow.status?.includes('SEEN_REPLY')) parts.push('[UNREPLIED]');
  parts.push(tuple(flow.reply));
  if (flow.status?.includes('ASSURED')) parts.push('[ASSURED]');
  parts.push(`mark=${flow.mark ?? 0}`);
  if (flow.zone !== undefined && flow.zone !== 0) parts.push(`zone=${flow.zone}`);
  return parts.join(' ');
}

/** A link's name as `ip -br` prints it: `v0@v1` when it sits on a link of this namespace. */
function briefName(link: Link): string {
  return link.link !== undefined ? `${link.name}@${link.link}` : link.name;
}

/** The width of the name column, as ip -br pads it (16, or more for a longer name). */
function briefNameWidth(links: Link[]): number {
  return Math.max(16, ...links.map((l) => briefName(l).length + 1));
}

/**
 * Links as `ip -br link` prints them (name, state, hardware address), followed by what `-br`
 * leaves out and routemark knows: mtu, kind, master, a tun device's mode.
 */
export function formatLinksBrief(links: Link[]): string[] {
  const width = briefNameWidth(links);
  return links.map((link) => {
    const extra = [`mtu ${link.mtu}`];
    if (link.kind !== undefined) extra.push(link.tun !== undefined ? `${link.kind} (${link.tun.mode})` : link.kind);
    if (link.master !== undefined) extra.push(`master ${link.master}`);
    return `${briefName(link).padEnd(width)} ${link.operstate.padEnd(14)} ${(link.address ?? '').padEnd(17)} ${extra.join(' ')}`.trimEnd();
  });
}

/**
 * One neighbour entry as `ip neigh show nud all` (or `ip neigh show proxy`) prints it:
 * `192.0.2.1 dev v0 lladdr 02:00:00:00:00:01 router STALE proto static`.
 */
export function formatNeighbour(neighbour: Neighbour): string {
  const parts = [neighbour.address, 'dev', neighbour.dev];
  if (neighbour.lladdr !== undefined) parts.push('lladdr', neighbour.lladdr);
  if (neighbour.router) parts.push('router');
  if (neighbour.proxy) parts.push('proxy');
  if (neighbour.externLearn) parts.push('extern_learn');
  // Proxy entries have no state; ip prints none for NUD_NONE either.
  if (!neighbour.proxy && neighbour.state !== 'NONE') parts.push(neighbour.state);
  if (neighbour.protocol !== undefined) parts.push('proto', String(neighbour.protocol));
  return parts.join(' ');
}

/** Addresses as `ip -br addr` prints them: one line per link, its addresses IPv4 first. */
export function formatAddressesBrief(links: Link[], addresses: Address[]): string[] {
  const width = briefNameWidth(links);
  return links.map((link) => {
    // A point-to-point address as ip prints it: `10.9.0.2 peer 10.9.0.1/32`, the length on the peer.
    const own = addresses.filter((a) => a.dev === link.name).map((a) => (a.peer !== undefined ? a.address.replace(/\/(\d+)$/, ` peer ${a.peer}/$1`) : a.address));
    return `${briefName(link).padEnd(width)} ${link.operstate.padEnd(14)} ${own.join(' ')}`.trimEnd();
  });
}

function formatLink(link: Link): string {
  return `${link.index}: ${link.name}${link.kind ? ` (${link.kind})` : ''} ${link.up ? 'up' : 'down'} ${link.operstate}${link.master ? ` master ${link.master}` : ''} mtu ${link.mtu}`;
}

function formatAddress(address: Address): string {
  return `${address.address}${address.peer ? ` peer ${address.peer}` : ''} dev ${address.dev}`;
}

/** One monitor event as a line, like `ip monitor` prints them. */
export function formatEvent(event: MonitorEvent): string {
  const verb = (action: 'new' | 'delete') => (action === 'new' ? 'new' : 'deleted');
  switch (event.type) {
    case 'link':
      return `link ${verb(event.action)}: ${formatLink(event.link)}`;
    case 'address':
      return `address ${verb(event.action)}: ${formatAddress(event.address)}`;
    case 'route':
      return `route ${verb(event.action)}: ${formatRoute(event.route).replace(/\n\t/g, ' ')} table ${event.route.table ?? 'main'}`;
    case 'rule':
      return `rule ${verb(event.action)}: ${formatRule(event.rule).replace('\t', ' ')}`;
    case 'nexthop':
      return `nexthop ${verb(event.action)}: ${formatNexthop(event.nexthop)}`;
    case 'nft':
      return `nft generation ${event.generation}: ${event.changes
        .map((c) => `${c.action} ${c.object} ${c.family} ${c.table}${c.chain ? ` ${c.chain}` : ''}${c.set ? ` ${c.set}` : ''}${c.handle !== undefined ? ` handle ${c.handle}` : ''}`)
        .join('; ')}`;
    case 'resync':
      return `resync (${event.reason}): events were lost; the state was read again`;
  }
}

/** One change of a policy plan, as a line. */
export function formatChange(change: PlanChange): string {
  switch (change.object) {
    case 'address':
      return `${change.action} address ${formatAddress(change.address)}`;
    case 'route':
      return `${change.action} route ${formatRoute(change.route).replace(/\n\t/g, ' ')} table ${change.route.table ?? 'main'}`;
    case 'rule':
      return `${change.action} rule ${formatRule(change.rule).replace('\t', ' ')}`;
    case 'nexthop':
      return `${change.action} nexthop ${formatNexthop(change.nexthop)}`;
    case 'nftTable':
      return `${change.action} nft table ${change.family} ${change.name}`;
    case 'sysctl':
      return `set ${change.key} = ${change.value} (was ${change.previous})`;
  }
}

/** JSON for output: bigints (flow counters) as numbers, two-space indent. */
export function toJson(value: unknown, indent = 2): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? Number(v) : v), indent);
}
