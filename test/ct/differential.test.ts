/**
 * A seeded differential test of conntrack flows against the conntrack tool: for each seed, random
 * flows (differential-gen.ts, which spells each one as routemark's FlowSpec and as the
 * `conntrack -I` arguments that mean the same) go into namespace A through routemark and into
 * namespace B through the tool, and then:
 *
 * 1. each flow is accepted by both or refused by both (routemark before I/O with a
 *    ValidationError, or by the kernel with the errno the tool printed: EEXIST for duplicates);
 * 2. `conntrack -L -o extended` of A and B are the same, but for timeouts counting down (which
 *    must agree within a few seconds);
 * 3. the same again with A emptied and filled by createMany;
 * 4. routemark lists B as it lists A;
 * 5. for random filters, routemark's list and count in A are what `conntrack -L` with the same
 *    options shows in A;
 * 6. random mark updates (with masks) and deletes by filter, made by routemark in A and by
 *    `conntrack -U`/`-D` in B, leave the same tables.
 *
 * A mismatch in 2 fails naming the seed and the smallest flow that shows it (each flow alone, in
 * emptied namespaces). Seeds are fixed, so CI is reproducible; `ROUTEMARK_DIFF_SEED=<n>` runs one
 * seed of your choice instead, `ROUTEMARK_DIFF_SEED=<a>-<b>` a range of them.
 *
 * Tables are kept small (about 40 flows): `conntrack -U` on this kernel can stop short on large
 * tables (conntrack.test.ts records it on 10,000 flows), and a witness that misses flows would
 * make every seed fail. Also, `conntrack -U` does not reach flows whose original direction has a
 * zone (it sends the tuple without the zone; the kernel answers ENOENT, which the tool skips):
 * for those the expected mark is the man page's "zero MASK's bits, XOR MARK in", applied to the
 * flows `conntrack -L` selects with the same options.
 */
import t from 'tap';
import { NetlinkError, ValidationError, open, type Flow } from '../../src/index.js';
import { makeNetns, type TeardownHost, type TestNetns } from '../helpers/netns.js';
import { againOnToolEproto } from '../helpers/conntrack.js';
import { describeError, outcomeOf, type RoutemarkOutcome } from '../helpers/outcomes.js';
import { seedsToRun } from '../helpers/random.js';
import { runStatusScript, shellQuote, STATUS_MARK, type CommandOutcome } from '../helpers/shell.js';
import { generateFilters, generateFlows, generateOperations, type GeneratedFilter, type GeneratedFlow, type GeneratedOperation } from './differential-gen.js';

type Handle = Awaited<ReturnType<typeof open>>;

const SEEDS = seedsToRun([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
const FLOWS = 40;
const FILTERS = 14;
const OPERATIONS = 5;
/** How far apart two timeouts of one flow may be: the namespaces are filled a moment apart. */
const TIMEOUT_SLACK = 5;

// ---------------------------------------------------------------------------------------------
// The conntrack tool, run as the witness

/** Runs `conntrack` commands one after another in one shell inside `ns`; what each did. */
function runTool(ns: TestNetns, commands: readonly string[][]): CommandOutcome[] {
  if (commands.length === 0) return [];
  // stderr goes after stdout, not into it: the tool's summary line would split a listed flow.
  const lines = commands.map((command) => `conntrack ${command.map(shellQuote).join(' ')} 2>"$err"; s=$?; cat "$err"; echo "${STATUS_MARK} $s"`);
  return runStatusScript(['ip', 'netns', 'exec', ns.name], ['err=$(mktemp)', ...lines, 'rm -f "$err"'], commands.length, 'conntrack');
}

/** One `conntrack -L -o extended` line, split into what must agree and the timeout. */
interface ToolLine {
  /** The line without the timeout and use count: tuples, state, flags, mark, zones. */
  text: string;
  timeout: number;
  /** The original tuple and the zone of the original direction: which flow it is. */
  identity: string;
  /** The mark, and the zone of the original direction (0: none). */
  mark: number;
  originalZone: number;
  /** The zone id, whichever directions it applies to (0: none). */
  zone: number;
}

/** Parses `conntrack -L -o extended` output (other lines, such as the summary, are skipped). */
function parseToolLines(text: string): ToolLine[] {
  const lines: ToolLine[] = [];
  for (const line of text.split('\n')) {
    const tokens = line.trim().split(/\s+/);
    if (tokens.length < 5 || !/^ipv[46]$/.test(tokens[0]!)) continue;
    // ipv4 2 udp 17 TIMEOUT rest...
    const timeout = Number(tokens[4]);
    const rest = tokens.slice(5).filter((token) => !token.startsWith('use='));
    let mark = 0;
    let originalZone = 0;
    let zone = 0;
    const original: string[] = [];
    let sources = 0;
    for (const token of rest) {
      if (token.startsWith('src=')) sources++;
      if (sources === 1 && /^(src|dst|sport|dport|type|code|id|srckey|dstkey)=/.test(token)) original.push(token.replace(/=0x([0-9a-f]+)$/, (_, hex: string) => `=${parseInt(hex, 16)}`));
      if (token.startsWith('mark=')) mark = Number(token.slice(5));
      if (token.startsWith('zone=') || token.startsWith('zone-orig=')) originalZone = zone = Number(token.split('=')[1]);
      if (token.startsWith('zone-reply=')) zone = Number(token.split('=')[1]);
    }
    lines.push({ text: [tokens[0], tokens[3], ...rest].join(' '), timeout, identity: `${tokens[0]} ${tokens[3]} ${original.join(' ')} z${originalZone}`, mark, originalZone, zone });
  }
  return lines;
}

/** `conntrack -L -o extended` of both families (or those given), with extra options. */
function toolList(ns: TestNetns, options: string[] = [], families: readonly (4 | 6)[] = [4, 6]): ToolLine[] {
  const outcomes = runTool(ns, families.map((family) => ['-L', '-f', family === 4 ? 'ipv4' : 'ipv6', '-o', 'extended', ...options]));
  return outcomes.flatMap((outcome, i) => {
    if (outcome.status !== 0) throw new Error(`conntrack -L -f ipv${families[i]} ${options.join(' ')} failed: ${outcome.output}`);
    return parseToolLines(outcome.output);
  });
}

/**
 * How two listings differ (lines only one has, timeouts further apart than the slack), or
 * undefined if they agree.
 */
function listingDifference(a: readonly ToolLine[], b: readonly ToolLine[], aName = 'A', bName = 'B'): string | undefined {
  const byText = (lines: readonly ToolLine[]) => new Map(lines.map((line) => [line.text, line]));
  const left = byText(a);
  const right = byText(b);
  const problems: string[] = [];
  const onlyLeft = [...left.keys()].filter((text) => !right.has(text));
  const onlyRight = [...right.keys()].filter((text) => !left.has(text));
  if (onlyLeft.length > 0 || onlyRight.length > 0) problems.push(`only in ${aName}:\n  ${onlyLeft.sort().join('\n  ') || '(none)'}\nonly in ${bName}:\n  ${onlyRight.sort().join('\n  ') || '(none)'}`);
  for (const [text, line] of left) {
    const other = right.get(text);
    if (other && Math.abs(other.timeout - line.timeout) > TIMEOUT_SLACK) problems.push(`timeout ${line.timeout} in ${aName}, ${other.timeout} in ${bName}: ${text}`);
  }
  return problems.length === 0 ? undefined : problems.join('\n');
}

function flush(ns: TestNetns): void {
  runTool(ns, [['-F', '-f', 'ipv4'], ['-F', '-f', 'ipv6']]);
}

// ---------------------------------------------------------------------------------------------
// Outcomes compared

/** The tool's messages (conntrack.c err2str, else strerror), by errno name. */
const TOOL_ERRORS: readonly (readonly [RegExp, string])[] = [
  [/Such conntrack exists/, 'EEXIST'],
  [/such conntrack doesn't exist|No such file or directory/, 'ENOENT'],
  [/Invalid argument/, 'EINVAL'],
  [/Operation not supported/, 'EOPNOTSUPP'],
  [/Device or resource busy/, 'EBUSY'],
  [/Operation not permitted/, 'EPERM'],
  [/Numerical result out of range/, 'ERANGE'],
  [/Protocol not supported/, 'EPROTONOSUPPORT'],
];

/** Why routemark's outcome disagrees with the tool's, or undefined if they agree. */
function disagreement(tool: CommandOutcome, routemark: RoutemarkOutcome): string | undefined {
  const text = tool.output.trim().split('\n').pop() || '(no output)';
  if (tool.status === 0 && routemark.ok) return undefined;
  if (tool.status === 0 && !routemark.ok) return `the tool accepted it, routemark refused it: ${describeError(routemark.error)}`;
  if (routemark.ok) return `the tool refused it (${text}), routemark accepted it`;
  const error = routemark.error;
  if (error instanceof ValidationError) return undefined;
  if (!(error instanceof NetlinkError)) return `routemark refused it with neither a ValidationError nor a NetlinkError: ${describeError(error)} (tool: ${text})`;
  // Exit 2: the tool refused its arguments before asking the kernel.
  if (tool.status === 2) return undefined;
  const code = TOOL_ERRORS.find(([pattern]) => pattern.test(text))?.[1];
  return code === undefined || code === error.code ? undefined : `both refused it, but the tool says ${code} (${text}) and routemark ${describeError(error)}`;
}

function describeFlow(flow: GeneratedFlow): string {
  return `create(${JSON.stringify(flow.spec)}) / conntrack -I ${flow.tool.join(' ')}`;
}

// ---------------------------------------------------------------------------------------------
// routemark's listings

const PROTOCOL_NUMBERS: Readonly<Record<string, number>> = { icmp: 1, tcp: 6, udp: 17, dccp: 33, gre: 47, icmpv6: 58, sctp: 132, udplite: 136 };

/** The identity ToolLine gives a flow, from what routemark lists. */
function flowIdentity(flow: Flow): string {
  const o = flow.original;
  const number = typeof flow.protocol === 'number' ? flow.protocol : PROTOCOL_NUMBERS[flow.protocol]!;
  const parts = [`src=${o.src}`, `dst=${o.dst}`];
  if (flow.protocol === 'gre') parts.push(`srckey=${o.sport ?? 0}`, `dstkey=${o.dport ?? 0}`);
  else if (o.sport !== undefined) parts.push(`sport=${o.sport}`, `dport=${o.dport}`);
  if (o.icmpType !== undefined) parts.push(`type=${o.icmpType}`, `code=${o.icmpCode}`, `id=${o.icmpId}`);
  const originalZone = flow.zoneDirection === 'reply' ? 0 : (flow.zone ?? 0);
  return `${flow.family === 'inet' ? 'ipv4' : 'ipv6'} ${number} ${parts.join(' ')} z${originalZone}`;
}

/** A listed flow without what differs between two namespaces filled alike (id, timeout). */
function comparable(flow: Flow): string {
  const { id: _id, timeout: _timeout, use: _use, ...rest } = flow;
  return JSON.stringify(rest);
}

// ---------------------------------------------------------------------------------------------
// The namespaces

interface Pair {
  /**
   * Marks B's flows should have but do not, by identity: those `conntrack -U` could not reach
   * (a zone in the original direction), with the mark the man page's arithmetic gives them.
   * Kept across the operations of a seed, emptied with the tables.
   */
  marks: Map<string, number>;
  a: TestNetns;
  b: TestNetns;
  handleA: Handle;
  handleB: Handle;
}

async function freshPair(t: TeardownHost): Promise<Pair> {
  const a = makeNetns(t, 'rmcA');
  const b = makeNetns(t, 'rmcB');
  const handleA = await open({ netns: a.name });
  t.teardown(() => handleA.close());
  const handleB = await open({ netns: b.name });
  t.teardown(() => handleB.close());
  return { marks: new Map(), a, b, handleA, handleB };
}

/** Each flow alone in emptied namespaces: the first that differs, or a note that none does alone. */
async function smallestDifference(pair: Pair, flows: readonly GeneratedFlow[]): Promise<string> {
  for (const flow of flows) {
    flush(pair.a);
    flush(pair.b);
    await outcomeOf(() => pair.handleA.conntrack.create(flow.spec));
    runTool(pair.b, [['-I', ...flow.tool]]);
    const difference = listingDifference(toolList(pair.a), toolList(pair.b));
    if (difference !== undefined) return `the smallest flow that differs, alone: ${describeFlow(flow)}\n${difference}`;
  }
  return 'created alone, no flow differs (the difference needs the others)';
}

// ---------------------------------------------------------------------------------------------
// Filters and operations

/** What `conntrack -L` shows in `ns` for a generated filter (narrowed by zone id where the tool cannot). */
function toolSelection(ns: TestNetns, filter: GeneratedFilter): ToolLine[] {
  const lines = toolList(ns, filter.tool, filter.families);
  return filter.zone === undefined ? lines : lines.filter((line) => line.zone === filter.zone);
}

async function compareFilters(pair: Pair, filters: readonly GeneratedFilter[]): Promise<string[]> {
  const failures: string[] = [];
  for (const [i, filter] of filters.entries()) {
    const where = `filter #${i} list(${JSON.stringify(filter.filter)}) / conntrack -L ${filter.tool.join(' ')}${filter.zone !== undefined ? ` (zone id ${filter.zone})` : ''}`;
    const theirs = toolSelection(pair.a, filter).map((line) => line.identity).sort();
    const listed = await outcomeOf(async () => {
      const ours = (await pair.handleA.conntrack.list(filter.filter)).map(flowIdentity).sort();
      if (JSON.stringify(ours) !== JSON.stringify(theirs)) {
        failures.push(`${where}: only routemark lists ${JSON.stringify(ours.filter((x) => !theirs.includes(x)))}, only the tool ${JSON.stringify(theirs.filter((x) => !ours.includes(x)))}`);
      }
      const count = await pair.handleA.conntrack.count(filter.filter);
      if (count !== theirs.length) failures.push(`${where}: count says ${count}, the tool lists ${theirs.length}`);
    });
    if (!listed.ok) failures.push(`${where}: routemark refused it: ${describeError(listed.error)}`);
  }
  return failures;
}

/** Runs the tool's update or delete commands (idempotent), each again on the tool's own EPROTO. */
function runToolAgainOnEproto(ns: TestNetns, commands: readonly string[][]): CommandOutcome[] {
  return commands.map((command) => againOnToolEproto(() => runTool(ns, [command])[0]!, (outcome) => outcome.output));
}

/** Applies one operation: routemark in A, the tool in B. A description of what went wrong, if anything. */
async function applyOperation(pair: Pair, operation: GeneratedOperation): Promise<string | undefined> {
  if (operation.kind === 'update') {
    const selected = toolList(pair.b, operation.selection, [operation.family]);
    const [outcome] = runToolAgainOnEproto(pair.b, [operation.tool]);
    // 1: nothing needed changing ("0 flow entries have been updated").
    if (outcome!.status !== 0 && !/ 0 flow entries have been updated/.test(outcome!.output)) return `conntrack ${operation.tool.join(' ')} failed: ${outcome!.output}`;
    const result = await outcomeOf(() => pair.handleA.conntrack.updateMarkWhere(operation.filter, operation.mark, operation.mask !== undefined ? { mask: operation.mask } : {}));
    if (!result.ok) return `updateMarkWhere refused it: ${describeError(result.error)}`;
    // Flows the tool cannot reach (a zone in the original direction): the man page's arithmetic.
    const keep = operation.mask === undefined ? 0 : ~operation.mask;
    for (const line of selected) {
      if (line.originalZone !== 0) pair.marks.set(line.identity, (((pair.marks.get(line.identity) ?? line.mark) & keep) ^ operation.mark) >>> 0);
    }
    return compareAfter(pair, pair.marks);
  }
  const outcomes = runToolAgainOnEproto(pair.b, operation.tool);
  for (const [i, outcome] of outcomes.entries()) {
    if (outcome.status !== 0 && !/ 0 flow entries have been deleted/.test(outcome.output)) return `conntrack ${operation.tool[i]!.join(' ')} failed: ${outcome.output}`;
  }
  const result = await outcomeOf(() => pair.handleA.conntrack.deleteWhere(operation.filter));
  if (!result.ok) return `deleteWhere refused it: ${describeError(result.error)}`;
  return compareAfter(pair, pair.marks);
}

/** A and B after an operation, with B's marks overridden where the tool could not act. */
function compareAfter(pair: Pair, marks: ReadonlyMap<string, number>): string | undefined {
  const b = toolList(pair.b).map((line) => {
    const mark = marks.get(line.identity);
    return mark === undefined ? line : { ...line, text: line.text.replace(/ mark=\d+/, ` mark=${mark}`) };
  });
  return listingDifference(toolList(pair.a), b);
}

function describeOperation(operation: GeneratedOperation): string {
  if (operation.kind === 'update') {
    return `updateMarkWhere(${JSON.stringify(operation.filter)}, ${operation.mark}${operation.mask !== undefined ? `, { mask: ${operation.mask} }` : ''}) / conntrack ${operation.tool.join(' ')}`;
  }
  return `deleteWhere(${JSON.stringify(operation.filter)}) / ${operation.tool.map((c) => `conntrack ${c.join(' ')}`).join('; ')}`;
}

// ---------------------------------------------------------------------------------------------
// One seed

interface SeedResult {
  failures: string[];
  counts: { flows: number; refused: number; filters: number; operations: number };
}

async function runSeed(pair: Pair, seed: number): Promise<SeedResult> {
  const flows = generateFlows(seed, FLOWS);
  const failures: string[] = [];
  const fail = (text: string) => failures.push(`seed ${seed}: ${text}`);
  flush(pair.a);
  flush(pair.b);
  pair.marks.clear();

  // 1. One by one: the same flows accepted, the same refused.
  const toolOutcomes = runTool(pair.b, flows.map((flow) => ['-I', ...flow.tool]));
  const refusedBeforeIo = new Set<number>();
  for (const [i, flow] of flows.entries()) {
    const outcome = await outcomeOf(() => pair.handleA.conntrack.create(flow.spec));
    if (!outcome.ok && outcome.error instanceof ValidationError) refusedBeforeIo.add(i);
    const why = disagreement(toolOutcomes[i]!, outcome);
    if (why !== undefined) fail(`flow #${i} ${describeFlow(flow)}: ${why}`);
  }
  const refused = toolOutcomes.filter((outcome) => outcome.status !== 0).length;
  const counts = { flows: flows.length, refused, filters: 0, operations: 0 };
  // 2. The tool shows A and B alike.
  let difference = listingDifference(toolList(pair.a), toolList(pair.b));
  if (difference !== undefined) {
    fail(`created one by one, conntrack -L shows A (routemark) and B (the tool) differently:\n${difference}\n${await smallestDifference(pair, flows)}`);
    return { failures, counts };
  }

  // 3. In bulk: what routemark refuses before I/O would refuse the whole call, so it is left out.
  flush(pair.a);
  const bulkIndexes = flows.flatMap((_, i) => (refusedBeforeIo.has(i) ? [] : [i]));
  const bulk = await outcomeOf(async () => {
    const result = await pair.handleA.conntrack.createMany(bulkIndexes.map((i) => flows[i]!.spec));
    result.errors.forEach((error, k) => {
      const i = bulkIndexes[k]!;
      const why = disagreement(toolOutcomes[i]!, error === undefined ? { ok: true } : { ok: false, error });
      if (why !== undefined) fail(`flow #${i} in createMany ${describeFlow(flows[i]!)}: ${why}`);
    });
  });
  if (!bulk.ok) fail(`createMany refused the flows it accepted one by one: ${describeError(bulk.error)}`);
  difference = listingDifference(toolList(pair.a), toolList(pair.b));
  if (difference !== undefined) {
    fail(`created with createMany, conntrack -L shows A (routemark) and B (the tool) differently:\n${difference}`);
    return { failures, counts };
  }

  // 4. routemark lists B as it lists A (timeouts within the slack).
  const [listedA, listedB] = [await pair.handleA.conntrack.list(), await pair.handleB.conntrack.list()];
  const mapA = new Map(listedA.map((flow) => [comparable(flow), flow]));
  const mapB = new Map(listedB.map((flow) => [comparable(flow), flow]));
  const onlyA = [...mapA.keys()].filter((key) => !mapB.has(key));
  const onlyB = [...mapB.keys()].filter((key) => !mapA.has(key));
  if (onlyA.length > 0 || onlyB.length > 0) fail(`routemark lists A and B differently: only in A ${onlyA.join(' ')}; only in B ${onlyB.join(' ')}`);
  for (const [key, flow] of mapA) {
    const other = mapB.get(key);
    if (other && Math.abs((other.timeout ?? 0) - (flow.timeout ?? 0)) > TIMEOUT_SLACK) fail(`routemark lists timeout ${flow.timeout} in A, ${other.timeout} in B: ${key}`);
  }

  // 5. Filters: routemark's list and count against conntrack -L, in A.
  const filters = generateFilters(seed, FILTERS, flows);
  for (const failure of await compareFilters(pair, filters)) fail(failure);
  counts.filters = filters.length;

  // 6. Mark updates and deletes: routemark in A, the tool in B.
  for (const [i, operation] of generateOperations(seed, OPERATIONS, flows).entries()) {
    const why = await applyOperation(pair, operation);
    counts.operations++;
    if (why !== undefined) {
      fail(`operation #${i} ${describeOperation(operation)}:\n${why}`);
      break;
    }
  }
  return { failures, counts };
}

t.test('conntrack flows, filters, mark updates and deletes: routemark and the conntrack tool agree, seed by seed', async (t) => {
  const pair = await freshPair(t);
  const totals = { flows: 0, refused: 0, filters: 0, operations: 0 };
  for (const seed of SEEDS) {
    const started = performance.now();
    const result = await runSeed(pair, seed);
    t.comment(`seed ${seed}: ${Math.round(performance.now() - started)} ms`);
    for (const key of Object.keys(totals) as (keyof typeof totals)[]) totals[key] += result.counts[key];
    t.same(result.failures, [], `seed ${seed}: the conntrack tool and routemark agree`);
  }
  t.comment(`${SEEDS.length} seeds, ${totals.flows} flows (${totals.refused} refused by the tool), ${totals.filters} filters, ${totals.operations} operations`);
  t.ok(totals.refused > 0 && totals.refused < totals.flows / 4, 'the generator is mostly valid, and some flows are refused by both');
});
