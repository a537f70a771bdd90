#!/usr/bin/env node
/**
 * The `routemark` command: shows rules, routes, nf_tables and conntrack flows, asks which route
 * a packet would take, applies a policy document and watches a namespace, in the current network
 * namespace or another (`--netns`). It uses only routemark's public API; it never runs `ip`,
 * `nft` or `conntrack`.
 *
 * Exit status: 0 done, 1 the kernel or the system refused, 2 bad input (usage, values, files).
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  NetlinkError,
  open,
  ownerId,
  PolicyApplyError,
  startMonitor,
  applyPolicy,
  TableNames,
  ValidationError,
  type Address,
  type Handle,
  type MonitorEvent,
  type MonitorKind,
  type Neighbour,
  type NexthopObject,
  type PolicyDocument,
  type Route,
  type RouteQuery,
  type Rule,
  type TableRef,
} from '../index.js';
import { formatAddressesBrief, formatChange, formatEvent, formatFlow, formatLinksBrief, formatLookup, formatNeighbour, formatNexthop, formatNft, formatRoute, formatRoutes, formatRule, toJson } from './format.js';

/** A mistake in how the command was called: shown with a pointer to --help, exit status 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const OPTIONS = {
  netns: { type: 'string', short: 'n' },
  json: { type: 'boolean', short: 'j' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
  table: { type: 'string', short: 't' },
  family: { type: 'string', short: 'f' },
  mark: { type: 'string' },
  from: { type: 'string' },
  iif: { type: 'string' },
  oif: { type: 'string' },
  uid: { type: 'string' },
  ipproto: { type: 'string' },
  sport: { type: 'string' },
  dport: { type: 'string' },
  tos: { type: 'string' },
  flowlabel: { type: 'string' },
  fibmatch: { type: 'boolean' },
  owner: { type: 'string' },
  'dry-run': { type: 'boolean' },
  timeout: { type: 'string' },
  kinds: { type: 'string' },
  count: { type: 'string' },
} as const;

type OptionName = keyof typeof OPTIONS;
type Values = { [K in OptionName]?: (typeof OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

const GLOBAL: OptionName[] = ['netns', 'json', 'help'];

interface Command {
  summary: string;
  usage: string;
  options: OptionName[];
  help: string;
  run(values: Values, args: string[]): Promise<number>;
}

const SHOW_PARTS = ['links', 'addresses', 'rules', 'routes', 'nexthops', 'nft', 'flows', 'neighbours'] as const;
type ShowPart = (typeof SHOW_PARTS)[number];
/** What `show` shows when no part is named: the policy-routing state (neighbours only on request). */
const DEFAULT_SHOW_PARTS: readonly ShowPart[] = SHOW_PARTS.filter((part) => part !== 'neighbours');
const MONITOR_KINDS: readonly MonitorKind[] = ['link', 'address', 'route', 'rule', 'nexthop', 'nft'];

const COMMANDS: Record<string, Command> = {
  show: {
    summary: 'show links, addresses, rules, routes, nexthop objects, nf_tables rules, conntrack flows and neighbours',
    usage: 'routemark show [links] [addresses] [rules] [routes] [nexthops] [nft] [flows] [neighbours] [--table T] [--family inet|inet6] [--mark M] [--json] [--netns NS]',
    options: ['table', 'family', 'mark'],
    help: `Shows what the kernel holds, like \`ip -br link\`, \`ip -br addr\`, \`ip rule\`,
\`ip route show table all\`, \`ip nexthop\`, \`nft list ruleset\` and \`conntrack -L\` (all of
them unless you name some; nexthops only if any); \`neighbours\`, only when named, what
\`ip neigh show nud all\` and \`ip neigh show proxy\` show.
  --table T      rules and routes of one table only (a number or a name from rt_tables);
                 without it, routes of every table but \`local\`
  --family F     inet (IPv4) or inet6 (default: both)
  --mark M       flows with this conntrack mark only (0x41 or 65)
  --json         one JSON object: { links, addresses, rules, routes, nexthops, nftables, flows }
                 (and neighbours when named)`,
    run: show,
  },
  'route-get': {
    summary: 'ask which route a packet would take (ip route get)',
    usage: 'routemark route-get ADDRESS [--from A] [--iif DEV] [--oif DEV] [--mark M] [--uid U] [--ipproto P] [--sport N] [--dport N] [--tos N] [--flowlabel N] [--fibmatch] [--json] [--netns NS]',
    options: ['from', 'iif', 'oif', 'mark', 'uid', 'ipproto', 'sport', 'dport', 'tos', 'flowlabel', 'fibmatch'],
    help: `Asks the kernel which route a packet to ADDRESS would take, as \`ip route get\` does.
  --from A       its source address        --iif DEV   as if it came in on DEV (forwarded)
  --oif DEV      the socket is bound to DEV --mark M    its firewall mark
  --uid U        the sending socket's uid   --ipproto P tcp, udp, icmp, or a number
  --sport N, --dport N, --tos N             ports and type of service
  --flowlabel N  its IPv6 flow label (kernel 6.14)
  --fibmatch     print the matching route itself (ip route get fibmatch)`,
    run: routeGet,
  },
  apply: {
    summary: 'make the kernel hold a policy document (planPolicy/applyPolicy)',
    usage: 'routemark apply FILE --owner ID [--dry-run] [--timeout MS] [--json] [--netns NS]',
    options: ['owner', 'dry-run', 'timeout'],
    help: `Applies a policy document (JSON, schema/policy.schema.json; FILE - reads stdin) for an owner:
its rules, routes, nf_tables tables and sysctls are made to match the document, with the fewest
changes, and everything is undone if the kernel refuses one. What other owners made is never
touched. Applying the same document again changes nothing.
  --owner ID     the owner id, 200-254: the protocol number of the owner's rules and routes
  --dry-run      print the plan, change nothing
  --timeout MS   give up (and undo) after MS milliseconds`,
    run: apply,
  },
  monitor: {
    summary: 'print changes to links, addresses, routes, rules and nf_tables as they happen',
    usage: 'routemark monitor [--kinds link,address,route,rule,nexthop,nft] [--family inet|inet6] [--count N] [--json] [--netns NS]',
    options: ['kinds', 'family', 'count'],
    help: `Prints every change as it happens, like \`ip monitor\` and \`nft monitor\`, until Ctrl-C.
If the kernel drops events, it reads everything again and says so ("resync").
  --kinds K,...  what to watch (default: link,address,route,rule,nexthop,nft)
  --family F     only inet (IPv4) or inet6 addresses, routes and rules (default: both)
  --count N      stop after N events (N at least 1)
  --json         one JSON object per line`,
    run: monitor,
  },
};

function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  return `routemark: Linux policy routing, nf_tables and conntrack marks over netlink

Usage: routemark COMMAND [options]

Commands:
${Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`).join('\n')}
  ${'help'.padEnd(width)}  help for a command: routemark help show

Options for every command:
  -n, --netns NS   work in network namespace NS: a name under /run/netns, a path
                   (/proc/PID/ns/net) or a pid (default: the current namespace)
  -j, --json       print JSON instead of text
  -h, --help       show help

Examples:
  routemark show rules routes --netns blue
  routemark route-get 198.51.100.7 --mark 0x41
  routemark apply policy.json --owner 201 --dry-run
  routemark monitor --kinds route,rule --json`;
}

function commandHelp(name: string): string {
  const command = COMMANDS[name]!;
  return `Usage: ${command.usage}\n\n${command.help}\n  -n, --netns NS  the network namespace (a name, a path or a pid)`;
}

function version(): string {
  try {
    const script = realpathSync(process.argv[1] ?? '');
    const pkg = JSON.parse(readFileSync(resolve(dirname(script), '../../../package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** An unsigned number as ip reads one: decimal or 0x hex; NaN otherwise. */
function parseNumber(value: string): number {
  return /^0x[0-9a-f]+$/i.test(value) ? parseInt(value, 16) : /^\d+$/.test(value) ? Number(value) : NaN;
}

/** An unsigned integer option: decimal or 0x hex. */
function integer(value: string | undefined, option: string, max = 0xffffffff, min = 0): number | undefined {
  if (value === undefined) return undefined;
  const n = parseNumber(value);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`--${option}: expected a number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  return n;
}

/** A table id (decimal or 0x hex, as ip and rt_tables take it) or a name; the library checks both. */
function table(value: string | undefined): TableRef | undefined {
  if (value === undefined) return undefined;
  const n = parseNumber(value);
  return Number.isNaN(n) ? value : n;
}

function family(value: string | undefined): 'inet' | 'inet6' | undefined {
  if (value === undefined) return undefined;
  const known: Record<string, 'inet' | 'inet6'> = { inet: 'inet', inet6: 'inet6', ipv4: 'inet', ipv6: 'inet6', '4': 'inet', '6': 'inet6' };
  const found = known[value];
  if (!found) throw new UsageError(`--family: expected inet or inet6, got ${JSON.stringify(value)}`);
  return found;
}

function netnsOption(value: string | undefined): string | number | undefined {
  if (value === undefined) return undefined;
  if (value === '') throw new UsageError('--netns: expected a namespace name, a path or a pid');
  // As `ip -n` does, a namespace named with digits is found by its name, not taken for a pid.
  if (/^\d+$/.test(value) && !existsSync(`/run/netns/${value}`)) return Number(value);
  return value;
}

async function withHandle<T>(values: Values, body: (handle: Handle) => Promise<T>, owner?: number): Promise<T> {
  const handle = await open({ netns: netnsOption(values.netns), owner });
  try {
    return await body(handle);
  } finally {
    handle.close();
  }
}

function write(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

async function show(values: Values, args: string[]): Promise<number> {
  for (const arg of args) {
    if (!(SHOW_PARTS as readonly string[]).includes(arg)) throw new UsageError(`show: unknown part ${JSON.stringify(arg)} (expected ${SHOW_PARTS.join(', ')})`);
  }
  const parts = new Set<ShowPart>(args.length ? (args as ShowPart[]) : DEFAULT_SHOW_PARTS);
  const tableFilter = table(values.table);
  const familyFilter = family(values.family);
  const mark = integer(values.mark, 'mark');
  return withHandle(values, async (handle) => {
    const result: Record<string, unknown> = {};
    // Addresses are shown per link, so the text needs the links either way.
    const links = parts.has('links') || parts.has('addresses') ? await handle.links.list() : [];
    if (parts.has('links')) result.links = links;
    if (parts.has('addresses')) result.addresses = await handle.addresses.list({ family: familyFilter });
    if (parts.has('rules')) {
      result.rules = await handle.rules.list({ family: familyFilter, table: tableFilter, tableNames: true });
    }
    if (parts.has('routes')) {
      const routes = await handle.routes.list({ table: tableFilter ?? 'all', family: familyFilter, tableNames: true });
      result.routes = tableFilter === undefined ? routes.filter((r) => r.table !== 'local' && r.table !== 255) : routes;
    }
    // Every object, not only the family's: routes of either family use groups, which have none.
    const allNexthops = parts.has('nexthops') ? await handle.nexthops.list() : undefined;
    if (allNexthops) result.nexthops = familyFilter === undefined ? allNexthops : allNexthops.filter((n) => n.family === familyFilter);
    if (parts.has('nft')) result.nftables = (await handle.nft.list()).nftables;
    if (parts.has('flows')) result.flows = await handle.conntrack.list({ family: familyFilter, mark });
    if (parts.has('neighbours')) {
      result.neighbours = [...(await handle.neighbours.list({ family: familyFilter })), ...(await handle.neighbours.list({ family: familyFilter, proxy: true }))];
    }
    if (values.json) {
      write(toJson(result));
      return 0;
    }
    const sections: string[] = [];
    const nexthopObjects = await nexthopsOfRoutes(handle, result.routes as Route[] | undefined, allNexthops);
    if (result.links) sections.push(['Links (ip -br link):', ...formatLinksBrief(links).map((l) => `  ${l}`)].join('\n'));
    if (result.addresses) sections.push(['Addresses (ip -br addr):', ...formatAddressesBrief(links, result.addresses as Address[]).map((l) => `  ${l}`)].join('\n'));
    // IPv4 and IPv6 apart, as `ip` and `ip -6` show them.
    for (const [inet, ip] of [['inet', 'ip'], ['inet6', 'ip -6']] as const) {
      const rules = (result.rules as Rule[] | undefined)?.filter((r) => (r.family ?? 'inet') === inet);
      if (rules?.length) sections.push([`Rules (${ip} rule):`, ...rules.map((r) => `  ${formatRule(r)}`)].join('\n'));
    }
    for (const [inet, ip] of [['inet', 'ip'], ['inet6', 'ip -6']] as const) {
      const routes = (result.routes as Route[] | undefined)?.filter((r) => (r.family ?? 'inet') === inet);
      if (routes?.length) sections.push([`Routes (${ip} route show table ${tableFilter ?? 'all'}):`, ...formatRoutes(routes, nexthopObjects).map((l) => `  ${l}`)].join('\n'));
    }
    const nexthops = result.nexthops as NexthopObject[] | undefined;
    if (nexthops?.length) sections.push(['Nexthop objects (ip nexthop):', ...nexthops.map((n) => `  ${formatNexthop(n)}`)].join('\n'));
    if (result.nftables) {
      const lines = formatNft({ nftables: result.nftables as Parameters<typeof formatNft>[0]['nftables'] });
      sections.push(['nf_tables (nft list ruleset):', ...(lines.length ? lines.map((l) => `  ${l}`) : ['  (empty)'])].join('\n'));
    }
    if (result.flows) {
      const flows = result.flows as Parameters<typeof formatFlow>[0][];
      sections.push([`Flows (conntrack -L): ${flows.length}`, ...flows.map((f) => `  ${formatFlow(f)}`)].join('\n'));
    }
    if (result.neighbours) {
      const neighbours = result.neighbours as Neighbour[];
      sections.push(['Neighbours (ip neigh show nud all; ip neigh show proxy):', ...(neighbours.length ? neighbours.map((n) => `  ${formatNeighbour(n)}`) : ['  (none)'])].join('\n'));
    }
    write(sections.join('\n\n'));
    return 0;
  });
}

/**
 * The nexthop objects routes use, by id, for printing them as ip does (`nhid 5 via 192.0.2.1 dev
 * v0`); listed only when a route uses one, and only if `listed` (every object, already listed
 * for the same output) is not given: one listing, so that the routes and the nexthop section
 * show the same objects. All of them: a group has no family, so a family filter would drop the
 * groups that IPv4 or IPv6 routes use.
 */
async function nexthopsOfRoutes(handle: Handle, routes: readonly Route[] | undefined, listed?: readonly NexthopObject[]): Promise<Map<number, NexthopObject> | undefined> {
  if (!routes?.some((route) => route.nexthopId !== undefined)) return undefined;
  const objects = listed ?? (await handle.nexthops.list());
  return new Map(objects.filter((n) => n.id !== undefined).map((n) => [n.id!, n]));
}

async function routeGet(values: Values, args: string[]): Promise<number> {
  if (args.length !== 1) throw new UsageError(`route-get: expected one destination address, got ${args.length ? args.join(' ') : 'none'}`);
  const query: RouteQuery = { to: args[0]! };
  if (values.from !== undefined) query.from = values.from;
  if (values.iif !== undefined) query.iif = values.iif;
  if (values.oif !== undefined) query.oif = values.oif;
  query.mark = integer(values.mark, 'mark');
  query.uid = integer(values.uid, 'uid');
  query.sport = integer(values.sport, 'sport', 65535);
  query.dport = integer(values.dport, 'dport', 65535);
  query.tos = integer(values.tos, 'tos', 255);
  query.flowlabel = integer(values.flowlabel, 'flowlabel', 0xfffff);
  if (values.ipproto !== undefined) query.ipproto = (/^\d+$/.test(values.ipproto) ? Number(values.ipproto) : values.ipproto) as RouteQuery['ipproto'];
  for (const key of Object.keys(query) as (keyof RouteQuery)[]) if (query[key] === undefined) delete query[key];
  return withHandle(values, async (handle) => {
    if (values.fibmatch) {
      const route = await handle.routes.match(query, { tableNames: true });
      // ip puts the table on the route's line, above a multipath route's nexthops.
      const [first, ...nexthops] = formatRoute(route, await nexthopsOfRoutes(handle, [route])).split('\n');
      write(values.json ? toJson(route) : [`${first} table ${route.table ?? 'main'}`, ...nexthops].join('\n'));
    } else {
      const lookup = await handle.routes.get(query, { tableNames: true });
      write(values.json ? toJson(lookup) : formatLookup(lookup));
    }
    return 0;
  });
}

function readDocument(file: string): PolicyDocument {
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    throw new UsageError(`apply: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  try {
    const document = JSON.parse(text) as unknown;
    if (typeof document !== 'object' || document === null || Array.isArray(document)) throw new Error('expected a JSON object');
    return document as PolicyDocument;
  } catch (error) {
    throw new UsageError(`apply: ${file} is not a policy document: ${(error as Error).message}`);
  }
}

async function apply(values: Values, args: string[]): Promise<number> {
  if (args.length !== 1) throw new UsageError(`apply: expected one FILE (or - for stdin), got ${args.length ? args.join(' ') : 'none'}`);
  if (values.owner === undefined) throw new UsageError('apply: --owner ID is required (200-254): the owner of what the document makes');
  const parsed = parseNumber(values.owner);
  // The library's own check, so that the message gives the range the help gives (200-254).
  const owner = ownerId(Number.isNaN(parsed) ? values.owner : parsed, '--owner');
  const timeoutMs = integer(values.timeout, 'timeout');
  const document = readDocument(args[0]!);
  return withHandle(values, async (handle) => {
    const { plan, changed } = await applyPolicy(handle, document, { dryRun: values['dry-run'] ?? false, timeoutMs });
    if (values.json) {
      write(toJson({ changed, dryRun: values['dry-run'] ?? false, owner: plan.owner, summary: plan.summary, changes: plan.changes }));
      return 0;
    }
    const { add, replace, delete: deleted, set } = plan.summary;
    const counts = `${add} to add, ${replace} to replace, ${deleted} to delete, ${set} sysctls to set`;
    if (plan.empty) write(`owner ${plan.owner}: the kernel already holds the document; nothing to change`);
    else write([`owner ${plan.owner}: ${values['dry-run'] ? 'would change' : 'changed'}: ${counts}`, ...plan.changes.map((c) => `  ${formatChange(c)}`)].join('\n'));
    return 0;
  }, owner);
}

/** How long monitor trusts the rt_tables files it read: edits show within this time. */
const TABLE_NAMES_MAX_AGE_MS = 1000;

/**
 * Names tables for monitor's events. The files are read again once they are a second old, not per
 * event: a burst of route events would otherwise cost a few synchronous file reads each.
 */
function tableNamer(): (id: number) => TableRef {
  let names: ReadonlyMap<number, string> | undefined;
  let loadedAt = 0;
  return (id) => {
    const now = performance.now();
    if (names === undefined || now - loadedAt >= TABLE_NAMES_MAX_AGE_MS) {
      names = new TableNames().load().names;
      loadedAt = now;
    }
    return names.get(id) ?? id;
  };
}

/** A route or rule event with its table named from rt_tables, as show names them (and ip monitor). */
function withTableNames(event: MonitorEvent, name: (id: number) => TableRef): MonitorEvent {
  const display = (table: TableRef | undefined) => (typeof table === 'number' ? name(table) : table);
  if (event.type === 'route' && event.route.table !== undefined) return { ...event, route: { ...event.route, table: display(event.route.table) } };
  if (event.type === 'rule' && event.rule.table !== undefined) return { ...event, rule: { ...event.rule, table: display(event.rule.table) } };
  return event;
}

async function monitor(values: Values, args: string[]): Promise<number> {
  if (args.length) throw new UsageError(`monitor: unexpected argument ${JSON.stringify(args[0])}`);
  const kinds = values.kinds?.split(',').map((k) => k.trim()) ?? [...MONITOR_KINDS];
  for (const kind of kinds) {
    if (!(MONITOR_KINDS as readonly string[]).includes(kind)) throw new UsageError(`--kinds: unknown kind ${JSON.stringify(kind)} (expected ${MONITOR_KINDS.join(', ')})`);
  }
  // 0 is refused: some tools read it as "no limit", the help as "none", so either guess surprises someone.
  const count = integer(values.count, 'count', 0xffffffff, 1);
  const familyFilter = family(values.family);
  return withHandle(values, async (handle) => {
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const watcher = await startMonitor(handle, { kinds: kinds as MonitorKind[], family: familyFilter, signal: stop.signal });
      process.stderr.write(`routemark: watching ${kinds.join(', ')}${values.netns ? ` in ${values.netns}` : ''} (Ctrl-C to stop)\n`);
      let seen = 0;
      const nameTable = tableNamer();
      for await (const raw of watcher) {
        const event = withTableNames(raw, nameTable);
        write(values.json ? toJson(event.type === 'resync' ? { type: 'resync', reason: event.reason } : event, 0) : formatEvent(event));
        if (count !== undefined && ++seen >= count) break;
      }
      watcher.close();
      return 0;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  });
}

/** Runs the command line `argv` (without node and the script); resolves with the exit status. */
export async function main(argv: string[]): Promise<number> {
  try {
    let parsed;
    try {
      parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
    } catch (error) {
      throw new UsageError((error as Error).message.split('\n')[0]!.replace(/\. To specify a positional argument.*$/, ''));
    }
    const values = parsed.values as Values;
    const [name, ...args] = parsed.positionals;
    if (values.version) {
      write(version());
      return 0;
    }
    if (name === undefined || name === 'help') {
      const topic = args[0];
      if (topic !== undefined && !COMMANDS[topic]) throw new UsageError(`help: no command ${JSON.stringify(topic)}`);
      if (name === undefined && !values.help) {
        // No command at all: the usage goes to stderr, and the status says it was a mistake.
        process.stderr.write(`${mainHelp()}\n`);
        return 2;
      }
      write(topic ? commandHelp(topic) : mainHelp());
      return 0;
    }
    const command = COMMANDS[name];
    if (!command) throw new UsageError(`unknown command ${JSON.stringify(name)} (expected ${Object.keys(COMMANDS).join(', ')})`);
    if (values.help) {
      write(commandHelp(name));
      return 0;
    }
    for (const option of Object.keys(values) as OptionName[]) {
      if (!GLOBAL.includes(option) && !command.options.includes(option)) throw new UsageError(`${name}: option --${option} does not apply`);
    }
    return await command.run(values, args);
  } catch (error) {
    const first = (text: string) => text.split('\n')[0]!;
    if (error instanceof UsageError) {
      process.stderr.write(`routemark: ${first(error.message)} (routemark --help for usage)\n`);
      return 2;
    }
    if (error instanceof ValidationError) {
      process.stderr.write(`routemark: bad input: ${first(error.message)}\n`);
      return 2;
    }
    if (error instanceof PolicyApplyError) {
      process.stderr.write(`routemark: ${first(error.message)}${error.rolledBack ? ' (everything applied before it was undone)' : ''}\n`);
      return 1;
    }
    if (error instanceof NetlinkError) {
      process.stderr.write(`routemark: ${first(error.message)}\n`);
      return 1;
    }
    process.stderr.write(`routemark: ${first(error instanceof Error ? error.message : String(error))}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (status) => {
    process.exitCode = status;
  },
  (error: unknown) => {
    process.stderr.write(`routemark: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
