/**
 * A seeded differential test of conntrack events against `conntrack -E`. For each seed, in one
 * namespace:
 *
 * 1. routemark's `events()` iterators are opened (one unfiltered, several with `types` and
 *    `filter`), and so are `conntrack -E -o extended` processes with the options that select the
 *    same events (events-differential-gen.ts); a start sentinel flow, made and deleted, shows
 *    that all of them listen.
 * 2. A seeded sequence of operations runs: creates, single and bulk mark updates, single and bulk
 *    deletes, each made by routemark or by the tool (-I/-U/-D), and real traffic to a second
 *    namespace. After each operation a "tick" (the mark of a marker flow set to TICK_BASE + the
 *    operation's number) goes into the event stream, so that every event can be traced to the
 *    operation that caused it. The table is emptied at the end and an end sentinel is made and
 *    deleted.
 * 3. The unfiltered streams must agree event by event (type, tuples, mark, zone and its direction,
 *    TCP/SCTP state, timeout, the status flags the tool prints). Each filtered routemark stream
 *    must be the unfiltered one narrowed in the test by the documented semantics (README
 *    "Conntrack marks", FlowFilter), and must equal what the equivalent `conntrack -E` run shows.
 *
 * A failure names the seed, the first differing event and the operation it came from. Seeds are
 * fixed; `ROUTEMARK_DIFF_SEED=<n>` (or a range, `<a>-<b>`) runs others.
 */
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { BlockList, isIPv4 } from 'node:net';
import { NetlinkError, ValidationError, open, type Flow, type FlowEvent, type FlowEvents, type FlowFilter, type FlowKey, type FlowTuple } from '../../src/index.js';
import { addVeth, makeNetns, type TeardownHost, type TestNetns } from '../helpers/netns.js';
import { seedsToRun } from '../helpers/random.js';
import { runStatusScript, shellQuote, STATUS_MARK, type CommandOutcome } from '../helpers/shell.js';
import { echo, ping, startEchoServer } from '../helpers/traffic.js';
import { flowKeyOf, generateEventScenario, toolSelectionOf, toolZoneOf, type EventOperation, type ToolRun } from './events-differential-gen.js';

type Handle = Awaited<ReturnType<typeof open>>;

const SEEDS = seedsToRun([1, 2, 3, 4, 5, 6, 7, 8]);
const FLOWS = 24;
const STREAMS = 5;
const OPERATIONS = 30;
/** How long a stream may take to show the events it is expected to show. */
const CATCH_UP_MS = 3000;
/** Ticks: the marker flow's mark is TICK_BASE + the number of the operation just done. */
const TICK_BASE = 0x7e7e0000;
const MARKER: FlowKey = { protocol: 'udp', original: { src: '203.0.113.254', dst: '203.0.113.253', sport: 9, dport: 9 } };
/** Sentinels: made and deleted, one before the operations and one after. */
const START_SENTINEL = { protocol: 'udp' as const, src: '203.0.113.250', dst: '203.0.113.251', sport: 1, dport: 1, timeout: 60 };
const END_SENTINEL = { ...START_SENTINEL, sport: 2 };
const PEER_V4 = '192.0.2.2';
const PEER_V6 = '2001:db8:ff::2';
const ECHO_PORT = 7;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const until = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > until) return false;
    await sleep(5);
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// One event, as the tool prints it and as routemark gives it, in one comparable spelling

/** An event reduced to what both sides show, with what the comparisons need besides. */
interface Shown {
  /** The comparable spelling: type, family, protocol, timeout, state, tuples, flags, mark, zone. */
  text: string;
  /** Whether the event carried a mark (the tool prints mark= only then). */
  hasMark: boolean;
  zone: number;
  zoneDirection: 'original' | 'reply' | undefined;
  /** The status flags the tool prints. */
  flags: string[];
}

const PROTOCOL_NUMBERS: Readonly<Record<string, number>> = { icmp: 1, tcp: 6, udp: 17, dccp: 33, gre: 47, icmpv6: 58, sctp: 132, udplite: 136 };
const TUPLE_KEYS = new Set(['src', 'dst', 'sport', 'dport', 'type', 'code', 'id', 'packets', 'bytes']);
/** The flags libnetfilter_conntrack prints (snprintf_default.c): [UNREPLIED], [ASSURED], [OFFLOAD], [HW_OFFLOAD]. */
const PRINTED_FLAGS = new Set(['UNREPLIED', 'ASSURED', 'OFFLOAD', 'HW_OFFLOAD']);

function spell(parts: { type: string; family: string; protocol: number; timeout: string; state: string; original: string[]; reply: string[]; flags: string[]; mark: number; zone: string; extra: string[] }): string {
  return [parts.type, parts.family, parts.protocol, `timeout=${parts.timeout}`, parts.state, '|', ...parts.original, '|', ...parts.reply, '|', ...[...parts.flags].sort().map((f) => `[${f}]`), `mark=${parts.mark}`, parts.zone, ...parts.extra].join(' ');
}

/** Parses one `conntrack -E -o extended` line; undefined for other lines. */
function parseToolEvent(line: string): Shown | undefined {
  const match = /^\s*\[(NEW|UPDATE|DESTROY)\]\s+(.*)$/.exec(line);
  if (!match) return undefined;
  const tokens = match[2]!.trim().split(/\s+/);
  // ipv4 2 udp 17 [TIMEOUT] [STATE] key=value... [FLAG]...
  const [family, , , protocolNumber] = tokens;
  let at = 4;
  const timeout = /^\d+$/.test(tokens[at] ?? '') ? tokens[at++]! : '-';
  const state = tokens[at] !== undefined && !tokens[at]!.includes('=') && !tokens[at]!.startsWith('[') ? tokens[at++]! : '-';
  const original: string[] = [];
  const reply: string[] = [];
  const flags: string[] = [];
  const extra: string[] = [];
  let direction = original;
  let sources = 0;
  let mark: number | undefined;
  let zone = 0;
  let zoneDirection: Shown['zoneDirection'];
  let zoneText = 'zone=-';
  for (const token of tokens.slice(at)) {
    // Who caused the event (a user-space request, its port id and program): routemark's
    // events do not say, so it is not compared.
    if (token === '[USERSPACE]' || token.startsWith('portid=') || token.startsWith('progname=')) continue;
    if (token.startsWith('[') && token.endsWith(']')) {
      const flag = token.slice(1, -1);
      if (PRINTED_FLAGS.has(flag)) flags.push(flag);
      else extra.push(token);
      continue;
    }
    const eq = token.indexOf('=');
    const key = token.slice(0, eq);
    const value = token.slice(eq + 1);
    if (key === 'src' && ++sources === 2) direction = reply;
    // GRE keys are printed in hex (srckey=0x5): routemark gives them as the ports, in decimal.
    if (key === 'srckey' || key === 'dstkey') direction.push(`${key === 'srckey' ? 'sport' : 'dport'}=${parseInt(value, 16)}`);
    else if (TUPLE_KEYS.has(key)) direction.push(token);
    else if (key === 'zone-orig' || key === 'zone-reply') {
      zone = Number(value);
      zoneDirection = key === 'zone-orig' ? 'original' : 'reply';
      zoneText = `${key}=${value}`;
    } else if (key === 'zone') {
      zone = Number(value);
      zoneText = token;
    } else if (key === 'mark') mark = Number(value);
    else extra.push(token);
  }
  return {
    // The tool prints a mark only when the event carries one; routemark says 0 then (README
    // "Conntrack marks": the kernel leaves a zero mark out of events).
    text: spell({ type: match[1]!, family: family!, protocol: Number(protocolNumber), timeout, state, original, reply, flags, mark: mark ?? 0, zone: zoneText, extra }),
    hasMark: mark !== undefined,
    zone,
    zoneDirection,
    flags,
  };
}

function tupleParts(tuple: FlowTuple, protocol: Flow['protocol']): string[] {
  const parts = [`src=${tuple.src}`, `dst=${tuple.dst}`];
  if (tuple.sport !== undefined) parts.push(`sport=${tuple.sport}`);
  if (tuple.dport !== undefined) parts.push(`dport=${tuple.dport}`);
  // A GRE flow without keys: routemark gives none, the tool prints srckey=0x0 dstkey=0x0 (its keys are 0).
  if (protocol === 'gre' && tuple.sport === undefined) parts.push('sport=0', 'dport=0');
  if (tuple.icmpType !== undefined) parts.push(`type=${tuple.icmpType}`, `code=${tuple.icmpCode}`, `id=${tuple.icmpId}`);
  return parts;
}

/** The same spelling, of a routemark event. */
function shownOf(event: FlowEvent): Shown {
  if (event.type === 'overrun') return { text: `OVERRUN lost=${event.lost ?? '?'}`, hasMark: false, zone: 0, zoneDirection: undefined, flags: [] };
  const flow = event.flow;
  const status = flow.status;
  const flags: string[] = [];
  // The tool prints [UNREPLIED] for a flow without SEEN_REPLY, and of the other flags only these.
  if (status !== undefined && !status.includes('SEEN_REPLY')) flags.push('UNREPLIED');
  if (status?.includes('ASSURED')) flags.push('ASSURED');
  if (status?.includes('HW_OFFLOAD')) flags.push('HW_OFFLOAD');
  else if (status?.includes('OFFLOAD')) flags.push('OFFLOAD');
  const original = tupleParts(flow.original, flow.protocol);
  const reply = tupleParts(flow.reply, flow.protocol);
  for (const [direction, parts] of [['original', original], ['reply', reply]] as const) {
    const counters = flow.counters?.[direction];
    if (counters) parts.push(`packets=${counters.packets}`, `bytes=${counters.bytes}`);
  }
  let zoneText = 'zone=-';
  if (flow.zone !== undefined) zoneText = flow.zoneDirection === undefined ? `zone=${flow.zone}` : `zone-${flow.zoneDirection === 'original' ? 'orig' : 'reply'}=${flow.zone}`;
  // TCP state 9 (SYN_SENT2) is LISTEN in libnetfilter_conntrack's names.
  const state = flow.tcpState === ('SYN_SENT2' as never) ? 'LISTEN' : (flow.tcpState ?? flow.sctpState ?? '-');
  return {
    text: spell({
      type: event.type.toUpperCase(),
      family: flow.family === 'inet' ? 'ipv4' : 'ipv6',
      protocol: typeof flow.protocol === 'number' ? flow.protocol : PROTOCOL_NUMBERS[flow.protocol]!,
      timeout: flow.timeout === undefined ? '-' : String(flow.timeout),
      state,
      original,
      reply,
      flags,
      // Not defaulted: an event's flow must say its mark, 0 included (README "Conntrack marks").
      mark: flow.mark as number,
      zone: zoneText,
      extra: [],
    }),
    hasMark: flow.mark !== undefined,
    zone: flow.zone ?? 0,
    zoneDirection: flow.zoneDirection,
    flags,
  };
}

// ---------------------------------------------------------------------------------------------
// What a filter selects, as documented: written here from README/FlowFilter, not from src/ct

function inPrefix(address: string, prefix: string): boolean {
  const [network, length] = prefix.split('/');
  const type = isIPv4(network!) ? 'ipv4' : 'ipv6';
  if (isIPv4(address) !== (type === 'ipv4')) return false;
  const list = new BlockList();
  list.addSubnet(network!, Number(length ?? (type === 'ipv4' ? 32 : 128)), type);
  return list.check(address, type);
}

function documentedMatch(filter: FlowFilter | undefined, flow: Flow): boolean {
  if (filter === undefined) return true;
  const f = filter;
  if (f.family !== undefined && flow.family !== f.family) return false;
  if (f.mark !== undefined && (((flow.mark ?? 0) & (f.markMask ?? 0xffffffff)) >>> 0) !== f.mark) return false;
  // The zone id, whichever directions it applies to; no zone is zone 0.
  if (f.zone !== undefined && (flow.zone ?? 0) !== f.zone) return false;
  if (f.protocol !== undefined && flow.protocol !== f.protocol) return false;
  if (f.src !== undefined && !inPrefix(flow.original.src, f.src)) return false;
  if (f.dst !== undefined && !inPrefix(flow.original.dst, f.dst)) return false;
  if (f.replySrc !== undefined && !inPrefix(flow.reply.src, f.replySrc)) return false;
  if (f.replyDst !== undefined && !inPrefix(flow.reply.dst, f.replyDst)) return false;
  if (f.sport !== undefined && flow.original.sport !== f.sport) return false;
  if (f.dport !== undefined && flow.original.dport !== f.dport) return false;
  if (f.status !== undefined && !f.status.every((s) => flow.status?.includes(s))) return false;
  if (f.tcpState !== undefined && flow.tcpState !== f.tcpState) return false;
  if (f.sctpState !== undefined && flow.sctpState !== f.sctpState) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// The streams

/** A routemark iterator, read into an array as events come. */
class RoutemarkStream {
  readonly events: FlowEvent[] = [];
  private readonly done: Promise<unknown>;
  error: unknown;

  constructor(readonly source: FlowEvents) {
    this.done = (async () => {
      for await (const event of source) this.events.push(event);
    })().catch((error) => {
      this.error = error;
    });
  }

  async close(): Promise<void> {
    this.source.close();
    await this.done;
  }
}

/** A `conntrack -E -o extended` process in the namespace, its events read as they come. */
class ToolStream {
  readonly lines: string[] = [];
  readonly events: Shown[] = [];
  private readonly child: ChildProcess;
  private partial = '';
  private stderr = '';
  private readonly exited: Promise<number | null>;

  constructor(ns: TestNetns, readonly args: readonly string[]) {
    this.child = spawn('ip', ['netns', 'exec', ns.name, 'conntrack', '-E', '-o', 'extended', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (this.partial + chunk).split('\n');
      this.partial = lines.pop()!;
      for (const line of lines) {
        const shown = parseToolEvent(line);
        if (shown) {
          this.lines.push(line);
          this.events.push(shown);
        }
      }
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Whether it left before it was told to (bad options: the tool says why on stderr). */
  get failed(): string | undefined {
    return this.child.exitCode !== null ? `conntrack -E ${this.args.join(' ')} exited (${this.child.exitCode}): ${this.stderr.trim()}` : undefined;
  }

  /**
   * Whether one of its netlink sockets has joined conntrack groups: /proc/PID/net/netlink lists
   * the namespace's sockets with their groups and inodes, /proc/PID/fd names its sockets' inodes.
   * (The tool's event socket has a port id of the kernel's choosing, not its pid.)
   */
  listening(): boolean {
    if (this.child.exitCode !== null) return true;
    try {
      const inodes = new Set(readdirSync(`/proc/${this.pid}/fd`).map((fd) => /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${this.pid}/fd/${fd}`))?.[1]));
      return readFileSync(`/proc/${this.pid}/net/netlink`, 'utf8').split('\n').some((line) => {
        const fields = line.trim().split(/\s+/);
        return fields[1] === '12' && parseInt(fields[3] ?? '0', 16) !== 0 && inodes.has(fields[9]);
      });
    } catch {
      return false;
    }
  }

  /** Ends the process (by its pid) and waits for it. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
    await this.exited;
  }
}

// ---------------------------------------------------------------------------------------------
// The conntrack tool's commands

function runTool(ns: TestNetns, commands: readonly string[][]): CommandOutcome[] {
  if (commands.length === 0) return [];
  const lines = commands.map((command) => `conntrack ${command.map(shellQuote).join(' ')} 2>&1; echo "${STATUS_MARK} $?"`);
  return runStatusScript(['ip', 'netns', 'exec', ns.name], lines, commands.length, 'conntrack');
}

function describeError(error: unknown): string {
  if (error instanceof NetlinkError) return `NetlinkError ${error.code}`;
  if (error instanceof ValidationError) return `ValidationError on ${error.field}`;
  return String(error);
}

function describeOperation(operation: EventOperation | undefined): string {
  if (operation === undefined) return 'the end: deleteWhere({}) and the end sentinel';
  switch (operation.kind) {
    case 'create':
      return operation.by === 'routemark' ? `create(${JSON.stringify(operation.flow.spec)})` : `conntrack -I ${operation.flow.tool.join(' ')}`;
    case 'createMany':
      return `createMany(${JSON.stringify(operation.flows.map((flow) => flow.spec))})`;
    case 'updateMark':
      return operation.by === 'routemark'
        ? `updateMark(${JSON.stringify(flowKeyOf(operation.flow))}, ${operation.mark}${operation.mask !== undefined ? `, { mask: ${operation.mask} }` : ''})`
        : `conntrack -U ${[...toolSelectionOf(operation.flow), '-m', operation.mask !== undefined ? `${operation.mark}/${operation.mask}` : String(operation.mark)].join(' ')}`;
    case 'delete':
      return operation.by === 'routemark' ? `delete(${JSON.stringify(flowKeyOf(operation.flow))})` : `conntrack -D ${[...toolSelectionOf(operation.flow), ...toolZoneOf(operation.flow)].join(' ')}`;
    case 'updateMarkWhere':
      return operation.by === 'routemark'
        ? `updateMarkWhere(${JSON.stringify(operation.filter)}, ${operation.mark}${operation.mask !== undefined ? `, { mask: ${operation.mask} }` : ''})`
        : `conntrack ${operation.tool.join(' ')}`;
    case 'deleteWhere':
      return operation.by === 'routemark' ? `deleteWhere(${JSON.stringify(operation.filter)})` : operation.tool.map((command) => `conntrack ${command.join(' ')}`).join('; ');
    case 'traffic':
      return `traffic: ${operation.protocol} over IPv${operation.family} to the peer namespace`;
  }
}

// ---------------------------------------------------------------------------------------------
// The namespaces

interface Setup {
  ns: TestNetns;
  peer: TestNetns;
  handle: Handle;
}

async function setUp(t: TeardownHost): Promise<Setup> {
  const ns = makeNetns(t, 'rmev');
  const peer = makeNetns(t, 'rmevp');
  addVeth(ns, 'ev0', 'ev1', { address: '192.0.2.1/24', peerNetns: peer, peerAddress: `${PEER_V4}/24` });
  ns.ip('addr', 'add', '2001:db8:ff::1/64', 'dev', 'ev0', 'nodad');
  peer.ip('addr', 'add', `${PEER_V6}/64`, 'dev', 'ev1', 'nodad');
  // Counters, so that destroy events carry them (compared too).
  ns.exec('sysctl', ['-q', '-w', 'net.netfilter.nf_conntrack_acct=1']);
  // Conntrack is only active in a namespace where a rule needs it: this makes traffic tracked.
  ns.exec('nft', ['-f', '-'], `table inet evtrack {
    chain in { type filter hook input priority 0; ct state new,established,related counter; }
    chain out { type filter hook output priority 0; ct state new,established,related counter; }
  }`);
  await startEchoServer(t, peer, 'udp', ECHO_PORT, '::');
  await startEchoServer(t, peer, 'tcp', ECHO_PORT, '::');
  const handle = await open({ netns: ns.name });
  t.teardown(() => handle.close());
  return { ns, peer, handle };
}

async function runOperation(setup: Setup, operation: EventOperation): Promise<string> {
  const { ns, handle } = setup;
  const attempt = async (work: () => Promise<unknown>) => {
    try {
      await work();
      return 'ok';
    } catch (error) {
      return describeError(error);
    }
  };
  const tool = (commands: string[][]) =>
    runTool(ns, commands)
      .map((outcome) => `exit ${outcome.status}`)
      .join(', ');
  switch (operation.kind) {
    case 'create':
      return operation.by === 'routemark' ? attempt(() => handle.conntrack.create(operation.flow.spec)) : tool([['-I', ...operation.flow.tool]]);
    case 'createMany':
      return attempt(async () => {
        const result = await handle.conntrack.createMany(operation.flows.map((flow) => flow.spec));
        if (result.failed > 0) throw new Error(`${result.failed} failed`);
      });
    case 'updateMark':
      if (operation.by === 'routemark') return attempt(() => handle.conntrack.updateMark(flowKeyOf(operation.flow), operation.mark, operation.mask !== undefined ? { mask: operation.mask } : {}));
      return tool([['-U', ...toolSelectionOf(operation.flow), '-m', operation.mask !== undefined ? `${operation.mark}/${operation.mask}` : String(operation.mark)]]);
    case 'delete':
      if (operation.by === 'routemark') return attempt(() => handle.conntrack.delete(flowKeyOf(operation.flow)));
      return tool([['-D', ...toolSelectionOf(operation.flow), ...toolZoneOf(operation.flow)]]);
    case 'updateMarkWhere':
      if (operation.by === 'routemark') return attempt(() => handle.conntrack.updateMarkWhere(operation.filter, operation.mark, operation.mask !== undefined ? { mask: operation.mask } : {}));
      return tool([operation.tool]);
    case 'deleteWhere':
      if (operation.by === 'routemark') return attempt(() => handle.conntrack.deleteWhere(operation.filter));
      return tool(operation.tool);
    case 'traffic': {
      const host = operation.family === 4 ? PEER_V4 : PEER_V6;
      const answered = operation.protocol === 'icmp' ? ping(ns, host) : echo(ns, operation.protocol, host, ECHO_PORT);
      // The last packets of the exchange (a TCP close) may still be on their way: let them
      // land before the next operation, so that events follow operations in one order.
      await sleep(30);
      return answered ? 'answered' : 'no answer';
    }
  }
}

/** Marks the end of operation `n` in the event stream (see TICK_BASE). */
async function tick(handle: Handle, n: number): Promise<void> {
  try {
    await handle.conntrack.updateMark(MARKER, TICK_BASE + n);
  } catch (error) {
    // A bulk delete took the marker: it comes back, with the tick as its mark.
    if (!(error instanceof NetlinkError && error.code === 'ENOENT')) throw error;
    await handle.conntrack.create({ protocol: 'udp', src: MARKER.original.src, dst: MARKER.original.dst, sport: 9, dport: 9, mark: TICK_BASE + n, timeout: 600 });
  }
}

function isFlowOf(event: FlowEvent, spec: { src: string; dst: string; sport: number }): boolean {
  return event.type !== 'overrun' && event.flow.original.src === spec.src && event.flow.original.dst === spec.dst && event.flow.original.sport === spec.sport;
}

// ---------------------------------------------------------------------------------------------
// One seed

interface SeedResult {
  failures: string[];
  counts: { events: number; filtered: number; toolRuns: number };
}

/** The events of a stream after the start sentinel (the streams began listening at different moments before it). */
function afterStart<T>(events: readonly T[], isStart: (event: T) => boolean): T[] {
  let last = -1;
  events.forEach((event, i) => {
    if (isStart(event)) last = i;
  });
  return events.slice(last + 1);
}

async function runSeed(setup: Setup, seed: number): Promise<SeedResult> {
  const { ns, handle } = setup;
  const failures: string[] = [];
  const fail = (text: string) => failures.push(`seed ${seed}: ${text}`);
  const counts = { events: 0, filtered: 0, toolRuns: 0 };
  runTool(ns, [['-F', '-f', 'ipv4'], ['-F', '-f', 'ipv6']]);
  const scenario = generateEventScenario(seed, FLOWS, STREAMS, OPERATIONS);

  // 1. Listen: routemark's iterators (subscribed when events() returns), then the tool.
  const all = new RoutemarkStream(handle.conntrack.events());
  const filtered = scenario.streams.map((stream) => new RoutemarkStream(handle.conntrack.events({ ...(stream.types ? { types: stream.types } : {}), ...(stream.filter ? { filter: stream.filter } : {}) })));
  const toolAll = new ToolStream(ns, []);
  const toolRuns = scenario.streams.map((stream) => stream.tool.map((run) => new ToolStream(ns, run.args)));
  const tools = [toolAll, ...toolRuns.flat()];
  const cleanUp = async () => {
    await Promise.all([all, ...filtered].map((stream) => stream.close()));
    await Promise.all(tools.map((tool) => tool.stop()));
  };
  try {
    if (!(await waitFor(() => tools.every((tool) => tool.listening()), 5000))) {
      fail(`conntrack -E did not start listening: ${tools.filter((tool) => !tool.listening()).map((tool) => tool.args.join(' ')).join('; ')}`);
      return { failures, counts };
    }
    const broken = tools.map((tool) => tool.failed).filter((why) => why !== undefined);
    if (broken.length > 0) {
      fail(broken.join('\n'));
      return { failures, counts };
    }
    await handle.conntrack.create(START_SENTINEL);
    await handle.conntrack.delete({ protocol: 'udp', original: START_SENTINEL });
    const sawStart = (events: readonly FlowEvent[]) => events.some((event) => event.type === 'destroy' && isFlowOf(event, START_SENTINEL));
    if (!(await waitFor(() => sawStart(all.events) && toolAll.lines.some((line) => line.startsWith('[DESTROY]') && line.includes(`src=${START_SENTINEL.src}`)), 3000))) {
      fail('the start sentinel did not reach both unfiltered streams');
      return { failures, counts };
    }

    // 2. The operations, each followed by its tick; then the end.
    const outcomes: string[] = [];
    for (const [n, operation] of scenario.operations.entries()) {
      outcomes.push(await runOperation(setup, operation));
      await tick(handle, n);
    }
    await handle.conntrack.deleteWhere({});
    await handle.conntrack.create(END_SENTINEL);
    await handle.conntrack.delete({ protocol: 'udp', original: END_SENTINEL });
    const sawEnd = () => all.events.some((event) => event.type === 'destroy' && isFlowOf(event, END_SENTINEL)) && toolAll.lines.some((line) => line.startsWith('[DESTROY]') && line.includes(`src=${END_SENTINEL.src}`) && line.includes('sport=2 '));
    if (!(await waitFor(sawEnd, CATCH_UP_MS))) fail('the end sentinel did not reach both unfiltered streams');

    // 3. Compare. Every event is traced to its operation by the ticks before it.
    const isStartFlow = (event: FlowEvent) => isFlowOf(event, START_SENTINEL);
    const ours = afterStart(all.events, isStartFlow);
    const theirs = afterStart(toolAll.events, (shown) => shown.text.includes(`src=${START_SENTINEL.src} dst=${START_SENTINEL.dst} sport=1 `));
    counts.events = ours.length;
    const operationAt: number[] = [];
    let current = 0;
    for (const event of ours) {
      operationAt.push(current);
      if (event.type !== 'destroy' && event.type !== 'overrun' && isFlowOf(event, { ...MARKER.original, sport: 9 }) && event.flow.mark !== undefined && event.flow.mark >= TICK_BASE && event.flow.mark < TICK_BASE + scenario.operations.length) current = event.flow.mark - TICK_BASE + 1;
    }
    const where = (i: number) => {
      const n = operationAt[i] ?? scenario.operations.length;
      return `operation #${n} ${describeOperation(scenario.operations[n])}${scenario.operations[n] ? ` (${outcomes[n]})` : ''}`;
    };
    const oursShown = ours.map(shownOf);
    /** Where an event a stream showed came from: the same event in the unfiltered stream, after index `after`. */
    const origin = (text: string | undefined, after: number) => {
      if (text === undefined) return '';
      const i = oursShown.findIndex((shown, k) => k > after && shown.text === text);
      return i < 0 ? '\n            (not in the unfiltered stream)' : `\n            from ${where(i)}`;
    };
    const overruns = ours.filter((event) => event.type === 'overrun').length;
    if (overruns > 0) fail(`routemark reported ${overruns} overruns`);
    const firstDifference = (a: readonly string[], b: readonly string[]) => {
      const length = Math.max(a.length, b.length);
      for (let i = 0; i < length; i++) if (a[i] !== b[i]) return i;
      return -1;
    };
    const unfiltered = firstDifference(oursShown.map((s) => s.text), theirs.map((s) => s.text));
    if (unfiltered >= 0) {
      fail(`unfiltered: events() and conntrack -E differ at event #${unfiltered} of ${oursShown.length}/${theirs.length}, from ${where(unfiltered)}:\n  routemark: ${oursShown[unfiltered]?.text ?? '(none)'}\n  the tool:  ${theirs[unfiltered]?.text ?? '(none)'}`);
      await cleanUp();
      return { failures, counts };
    }

    // Each filtered stream: the indexes (into the unfiltered streams) it must show.
    const expected = scenario.streams.map((stream) =>
      ours.flatMap((event, i) => (event.type !== 'overrun' && (stream.types ?? ['new', 'update', 'destroy']).includes(event.type) && documentedMatch(stream.filter, event.flow) ? [i] : [])),
    );
    const toolExpected = scenario.streams.map((stream, s) => stream.tool.map((run) => expected[s]!.filter((i) => toolShows(run, oursShown[i]!, theirs[i]!))));
    await waitFor(
      () =>
        filtered.every((stream, s) => afterStart(stream.events, isStartFlow).length >= expected[s]!.length) &&
        toolRuns.every((runs, s) => runs.every((run, r) => narrowed(scenario.streams[s]!.tool[r]!, run.events).length >= toolExpected[s]![r]!.length)),
      CATCH_UP_MS,
    );
    // Anything a stream shows beyond what it should would come within this.
    await sleep(100);
    await cleanUp();

    for (const [s, stream] of scenario.streams.entries()) {
      const name = `stream #${s} events(${JSON.stringify({ types: stream.types, filter: stream.filter })})`;
      const got = afterStart(filtered[s]!.events, isStartFlow).map(shownOf);
      const want = expected[s]!.map((i) => oursShown[i]!);
      counts.filtered += got.length;
      const at = firstDifference(got.map((e) => e.text), want.map((e) => e.text));
      if (at >= 0) {
        const after = at > 0 ? expected[s]![at - 1]! : -1;
        fail(`${name} differs from the unfiltered stream narrowed by its filter at its event #${at} (${got.length} shown, ${want.length} expected):\n  shown:    ${got[at]?.text ?? '(none)'}${origin(got[at]?.text, after)}\n  expected: ${want[at]?.text ?? '(none)'}${expected[s]![at] !== undefined ? `\n            from ${where(expected[s]![at]!)}` : ''}`);
        continue;
      }
      for (const [r, run] of stream.tool.entries()) {
        counts.toolRuns++;
        const shown = narrowed(run, afterStart(toolRuns[s]![r]!.events, (e) => e.text.includes(`src=${START_SENTINEL.src} dst=${START_SENTINEL.dst} sport=1 `)));
        const indexes = toolExpected[s]![r]!;
        const wanted = indexes.map((i) => oursShown[i]!.text);
        const differs = firstDifference(shown.map((e) => e.text), wanted);
        if (differs >= 0) {
          const after = differs > 0 ? indexes[differs - 1]! : -1;
          fail(`${name} and conntrack -E ${run.args.join(' ')} (${run.part === 'any' ? 'all of it' : `its flows zoned in ${run.part === 'both' ? 'both directions' : `the ${run.part} direction`}`}) differ at event #${differs} (${shown.length} shown by the tool, ${wanted.length} by routemark):\n  the tool:  ${shown[differs]?.text ?? '(none)'}${origin(shown[differs]?.text, after)}\n  routemark: ${wanted[differs] ?? '(none)'}${indexes[differs] !== undefined ? `\n             from ${where(indexes[differs]!)}` : ''}`);
        }
      }
    }
    return { failures, counts };
  } finally {
    await cleanUp();
  }
}

/**
 * Whether a tool run shows the routemark stream's event `ours` (tool line `theirs`): the part of
 * the zone filter it covers, and a mark filter sees only events that carry a mark.
 */
function toolShows(run: ToolRun, ours: Shown, theirs: Shown): boolean {
  if (run.part !== 'any' && (run.part === 'both' ? ours.zoneDirection !== undefined : ours.zoneDirection !== run.part)) return false;
  // conntrack -E -m compares the mark only of events that carry one: it never shows an event
  // without CTA_MARK (a zero mark left out, ctnetlink_dump_mark), where routemark says mark 0
  // and its filter sees 0 (README "Conntrack marks").
  if (run.args.includes('-m') && !theirs.hasMark) return false;
  return true;
}

/**
 * A tool run's output, narrowed where the tool cannot filter: by the status flags it prints
 * (`conntrack -E` refuses -u), and, for `-w 0`, without the flows zoned in one direction (they
 * carry no CTA_ZONE, so the tool counts them in zone 0; their zone id is never 0).
 */
function narrowed(run: ToolRun, events: readonly Shown[]): Shown[] {
  return events.filter((event) => {
    if (run.dropOneDirectionZones && event.zoneDirection !== undefined) return false;
    if (run.status.includes('ASSURED') && !event.flags.includes('ASSURED')) return false;
    if (run.status.includes('SEEN_REPLY') && event.flags.includes('UNREPLIED')) return false;
    return true;
  });
}

t.test('conntrack events: routemark events() and conntrack -E agree, unfiltered and filtered, seed by seed', async (t) => {
  const setup = await setUp(t);
  const totals = { events: 0, filtered: 0, toolRuns: 0 };
  for (const seed of SEEDS) {
    const started = performance.now();
    const result = await runSeed(setup, seed);
    t.comment(`seed ${seed}: ${Math.round(performance.now() - started)} ms, ${result.counts.events} events, ${result.counts.filtered} in filtered streams, ${result.counts.toolRuns} tool runs compared`);
    for (const key of Object.keys(totals) as (keyof typeof totals)[]) totals[key] += result.counts[key];
    t.same(result.failures, [], `seed ${seed}: the event streams agree`);
  }
  t.ok(totals.filtered > 0 && totals.filtered < totals.events, `the filtered streams showed some events and not all (${totals.filtered} of ${totals.events} per stream summed)`);
});

