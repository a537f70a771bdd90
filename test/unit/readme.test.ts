/**
 * The README's code is right.
 *
 * - Every ```ts block typechecks against the library's real types: each is written to a
 *   temporary directory as a module of its own, `routemark` mapped to src/index.ts with `paths`,
 *   behind a small prelude that declares only what the block takes as given (GIVEN and
 *   ASSUMPTIONS below), and compiled with tsconfig.json's strict options. Diagnostics are
 *   reported by README line. A block can opt out only with `<!-- readme-test: skip (reason) -->`
 *   on the line just above its fence.
 * - Every document the README shows is checked for real:
 *   - a ```json block is classified by a fixed rule (classifyJson): `{ "nftables": [...] }` and
 *     nothing else is an nftables document; an object of only the policy sections
 *     (schema/policy.schema.json) is a policy document; anything else (an output, a fragment
 *     such as one `raw` statement) is only required to be JSON, and is skipped;
 *   - in the ```ts blocks, every argument that a routemark function takes as its `document`
 *     parameter (`ns.nft.apply(...)`, `applyNftables`, `planPolicy`, `applyPolicy`), found with
 *     the type checker, is evaluated from the block's own constants (and those of the block it
 *     follows, see ASSUMPTIONS) and checked the same way.
 *   An nftables document must pass `nft -j -c -f` in a namespace this test makes (with the
 *   tables and chains it names but does not create added first), then be applied with routemark
 *   there, after which `nft -j list ruleset` and routemark's own listing show every object it
 *   added. A policy document must conform to the JSON Schema and pass the library's document
 *   check (checkDocument, what planPolicy runs before any I/O); then it is applied with
 *   applyPolicy in a fresh namespace that has a link (a veth end, up) for each device it names,
 *   and applied again it changes nothing.
 *
 * To see it fail without touching README.md: README_TEST_FILE=/tmp/broken-copy.md.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import vm from 'node:vm';
import t, { type Test } from 'tap';
import ts from 'typescript';
import { applyPolicy, open, type NftDocument, type PolicyDocument } from '../../src/index.js';
import { checkDocument } from '../../src/policy/document.js';
import { TableResolver, tableNamesOf } from '../../src/rtnl/tables.js';
import { addVeth, makeNetns, type TestNetns } from '../helpers/netns.js';
import { schemaErrors } from '../policy/json-schema.js';
import { REPO_ROOT } from '../helpers/paths.js';

const ROOT = resolve(REPO_ROOT);
// README_TEST_FILE: a copy to read instead (to see this test fail on a broken copy without touching README.md).
const README = process.env.README_TEST_FILE ?? join(ROOT, 'README.md');
const SRC = join(ROOT, 'src') + sep;

// ---------------------------------------------------------------------------------------------
// What the ts blocks take as given. Nothing else is in scope but what a block imports itself.

/** Declarations a block may take as given, each a name the README's text introduces. */
const GIVEN = {
  /** The handle every section uses: `const ns = await open({ netns: 'blue' })` (## Use). */
  ns: "import type { Handle as __Handle } from 'routemark';\ndeclare const ns: __Handle;",
  /** ### Bulk: the marks and host addresses to make rules and routes for, and routes listed before. */
  marks: 'declare const marks: number[];',
  hosts: 'declare const hosts: string[];',
  routes: "import type { Route as __Route } from 'routemark';\ndeclare const routes: __Route[];",
  /** ### Desired state: the caller's AbortSignal. */
  signal: 'declare const signal: AbortSignal;',
  /** ### Monitor: the caller's own reaction to a resync. */
  rebuild: "import type { NetworkSnapshot as __Snapshot } from 'routemark';\ndeclare function rebuild(snapshot: __Snapshot): void;",
  /** ### Failover: the caller's own probe. */
  myCheck: 'declare function myCheck(uplink: string, signal: AbortSignal): Promise<boolean>;',
} as const;

interface Assumption {
  /** Text that occurs in exactly one ts block: the block this applies to. */
  block: string;
  /** Names from GIVEN declared before the block. */
  given?: (keyof typeof GIVEN)[];
  /** Text that occurs in exactly one other ts block, whose code comes before this one (its constants too). */
  after?: string;
}

/** Per-block assumptions; a block not listed here gets none. Each entry must match one block. */
const ASSUMPTIONS: Assumption[] = [
  { block: "await ns.routes.get({ to: '198.51.100.7', mark: 65 });", given: ['ns'] },
  { block: 'const rules = marks.map(', given: ['ns', 'marks', 'hosts', 'routes'] },
  // The nf_tables section's helpers (ip, match, tcp, meta, ct) and its handle.
  { block: '// iptables -t mangle -A OUTPUT', after: 'const match = (left: ' },
  { block: 'const flows = await ns.conntrack.list(', given: ['ns'] },
  { block: "await ns.sysctl.setRpFilter('all', 2);", given: ['ns'] },
  { block: 'const { changed } = await applyPolicy(ns, intent);', given: ['ns', 'signal'] },
  { block: 'const monitor = await startMonitor(', given: ['ns', 'rebuild'] },
  { block: 'const failover = await startFailover(', given: ['ns', 'myCheck'] },
];

// ---------------------------------------------------------------------------------------------
// README blocks

interface Block {
  lang: string;
  /** README line (1-based) of the block's first line of code. */
  line: number;
  code: string;
  /** `skip (reason)` from a `<!-- readme-test: ... -->` just above the fence. */
  directive?: string;
}

function fencedBlocks(text: string): Block[] {
  const lines = text.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const end = lines.findIndex((line, j) => j > i && /^```\s*$/.test(line));
    if (end < 0) throw new Error(`README.md:${i + 1}: a code fence that never closes`);
    const marker = i > 0 ? /^<!--\s*readme-test:\s*(.*?)\s*-->\s*$/.exec(lines[i - 1]!) : null;
    blocks.push({ lang: open[1]!, line: i + 2, code: lines.slice(i + 1, end).join('\n'), ...(marker ? { directive: marker[1]! } : {}) });
    i = end;
  }
  return blocks;
}

const blocks = fencedBlocks(readFileSync(README, 'utf8'));
const tsBlocks = blocks.filter((b) => b.lang === 'ts' || b.lang === 'typescript');
const jsonBlocks = blocks.filter((b) => b.lang === 'json');

/** The one ts block that contains `text`. */
function blockWith(text: string): Block {
  const found = tsBlocks.filter((b) => b.code.includes(text));
  if (found.length !== 1) throw new Error(`ASSUMPTIONS: ${JSON.stringify(text)} is in ${found.length} ts blocks of README.md, not one`);
  return found[0]!;
}

/** A skip marker's reason, or undefined; an unknown or reasonless directive throws. */
function skipReason(block: Block): string | undefined {
  if (block.directive === undefined) return undefined;
  const skip = /^skip\s*\((.+)\)$/.exec(block.directive);
  if (!skip) throw new Error(`README.md:${block.line - 1}: readme-test directive ${JSON.stringify(block.directive)} is not "skip (reason)"`);
  return skip[1]!;
}

// ---------------------------------------------------------------------------------------------
// Compiling the ts blocks

interface Unit {
  block: Block;
  file: string;
  /** Lines of prelude before the block's own code. */
  preludeLines: string[];
  /** The block this one follows (its code is part of the prelude). */
  after?: Block;
}

interface Compiled {
  units: Unit[];
  program: ts.Program;
  diagnostics: Map<Unit, string[]>;
  global: string[];
}

function compilerOptions(): ts.CompilerOptions {
  const config = ts.readConfigFile(join(ROOT, 'tsconfig.json'), (path) => ts.sys.readFile(path));
  if (config.error) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
  const options: ts.CompilerOptions = {
    ...parsed.options,
    noEmit: true,
    declaration: false,
    sourceMap: false,
    // `import ... from 'routemark'` is the library's source, as a user's program sees its types.
    paths: { routemark: [join(ROOT, 'src', 'index.ts')] },
    // The blocks live outside the project: find @types/node where the project has it.
    typeRoots: [join(ROOT, 'node_modules', '@types')],
  };
  delete options.rootDir;
  delete options.outDir;
  delete options.declarationDir;
  return options;
}

function compile(units: Unit[]): Compiled {
  const program = ts.createProgram(units.map((u) => u.file), compilerOptions());
  const diagnostics = new Map<Unit, string[]>();
  for (const unit of units) {
    const source = program.getSourceFile(unit.file)!;
    const found = [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)];
    diagnostics.set(unit, found.map((d) => describe(unit, d)));
  }
  const global = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()].map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  return { units, program, diagnostics, global };
}

/** A diagnostic as README.md:LINE:COL, or as a line of the prelude. */
function describe(unit: Unit, d: ts.Diagnostic): string {
  // The first lines of the message chain say enough; the rest repeats the types.
  const message = `TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n').split('\n').slice(0, 6).join('\n')}`;
  if (d.file === undefined || d.start === undefined) return message;
  const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
  const own = line - unit.preludeLines.length;
  if (own >= 0) return `README.md:${unit.block.line + own}:${character + 1}: ${message}`;
  return `prelude line ${line + 1} (${JSON.stringify(unit.preludeLines[line])}): ${message}`;
}

function writeUnits(dir: string, skipped: Set<Block>): Unit[] {
  // A module directory of its own: ESM (top-level await), like the project.
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
  const byBlock = new Map<Block, Assumption>();
  for (const assumption of ASSUMPTIONS) {
    const block = blockWith(assumption.block);
    if (byBlock.has(block)) throw new Error(`ASSUMPTIONS: two entries for the block at README.md:${block.line}`);
    byBlock.set(block, assumption);
  }
  const units: Unit[] = [];
  for (const block of tsBlocks) {
    if (skipped.has(block)) continue;
    const assumption = byBlock.get(block);
    const after = assumption?.after === undefined ? undefined : blockWith(assumption.after);
    const prelude = [
      'export {};',
      ...(assumption?.given ?? []).flatMap((name) => GIVEN[name].split('\n')),
      ...(after ? [`// README.md:${after.line}`, ...after.code.split('\n')] : []),
    ];
    const file = join(dir, `readme-${block.line}.ts`);
    writeFileSync(file, [...prelude, block.code, ''].join('\n'));
    units.push({ block, file, preludeLines: prelude, ...(after ? { after } : {}) });
  }
  return units;
}

// ---------------------------------------------------------------------------------------------
// Documents in the ts blocks

type DocumentKind = 'nftables' | 'policy';

interface FoundDocument {
  kind: DocumentKind;
  /** Where it is: README.md:LINE and the call. */
  where: string;
  value: unknown;
}

/** The top-level constants of a source file that need no await, as JavaScript to evaluate. */
function constants(source: ts.SourceFile): string {
  const hasAwait = (node: ts.Node): boolean => ts.isAwaitExpression(node) || (!ts.isFunctionLike(node) && ts.forEachChild(node, hasAwait) === true);
  return source.statements
    .filter((s): s is ts.VariableStatement => ts.isVariableStatement(s))
    .filter((s) => !s.modifiers?.some((m) => m.kind === ts.SyntaxKind.DeclareKeyword) && !hasAwait(s))
    .map((s) => s.getText(source))
    .join('\n');
}

/** Evaluates a TypeScript expression after the given constants, without I/O or globals. */
function evaluate(constantsText: string, expression: string): unknown {
  const js = ts.transpileModule(`${constantsText}\n;(${expression});\n`, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
  }).outputText;
  return vm.runInNewContext(js, Object.create(null) as object, { timeout: 1000 });
}

/**
 * Every argument a routemark function takes as its `document` parameter. The kind follows where
 * the function is declared (src/nft or top-level/nft.ts: nftables; src/policy or top-level/policy.ts: policy).
 */
function documentsIn(compiled: Compiled, unit: Unit): FoundDocument[] {
  const checker = compiled.program.getTypeChecker();
  const source = compiled.program.getSourceFile(unit.file)!;
  const found: FoundDocument[] = [];
  const consts = constants(source);
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node)) {
      const declaration = checker.getResolvedSignature(node)?.getDeclaration();
      const file = declaration?.getSourceFile().fileName;
      if (declaration && file?.startsWith(SRC)) {
        const path = relative(SRC, file).split(sep).join('/');
        const kind: DocumentKind | undefined = /^(nft\/|top-level\/nft\.ts)/.test(path) ? 'nftables' : /^(policy\/|top-level\/policy\.ts)/.test(path) ? 'policy' : undefined;
        declaration.parameters.forEach((parameter, i) => {
          const argument = node.arguments[i];
          if (kind === undefined || argument === undefined || parameter.name.getText() !== 'document') return;
          const { line } = source.getLineAndCharacterOfPosition(argument.getStart(source));
          const where = `README.md:${unit.block.line + line - unit.preludeLines.length} (${node.expression.getText(source)})`;
          let value: unknown;
          try {
            value = evaluate(consts, argument.getText(source));
          } catch (error) {
            throw new Error(`${where}: the document ${argument.getText(source).slice(0, 60)} cannot be evaluated from the block's constants: ${String(error)}`);
          }
          found.push({ kind, where, value });
        });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

// ---------------------------------------------------------------------------------------------
// JSON blocks

const POLICY_SECTIONS = new Set(['$schema', 'addresses', 'rules', 'routes', 'nexthops', 'nftables', 'sysctls']);

/**
 * The rule for ```json blocks: an object whose only key is `nftables` (an array) is an nftables
 * document (it is also checked as a policy document when every item is a bare object such as
 * `{ "table": ... }`, the form both take); an object of policy sections only is a policy
 * document; anything else (a listing's fragment, an output) is skipped.
 */
function classifyJson(value: unknown): DocumentKind[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  const keys = Object.keys(value);
  const items = (value as { nftables?: unknown }).nftables;
  if (keys.length === 1 && keys[0] === 'nftables' && Array.isArray(items)) {
    const bare = items.every((item) => typeof item === 'object' && item !== null && ['table', 'chain', 'set', 'map', 'rule'].includes(Object.keys(item)[0] ?? ''));
    return bare ? ['nftables', 'policy'] : ['nftables'];
  }
  if (keys.length > 0 && keys.every((key) => POLICY_SECTIONS.has(key))) return ['policy'];
  return [];
}

// ---------------------------------------------------------------------------------------------
// Checking documents for real

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** What fn throws, as a message; undefined if it returns. */
function thrown(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    return messageOf(error);
  }
}

/** What a promise rejects with, as a message; undefined if it resolves. */
function rejected(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(() => undefined, messageOf);
}

const COMMANDS = ['add', 'create', 'insert', 'replace', 'delete', 'flush', 'reset', 'list', 'metainfo'];
const OBJECTS = ['table', 'chain', 'rule', 'set', 'map', 'element', 'counter', 'quota'];

/** The objects a document adds (`{ add: { rule } }`, or a bare `{ rule }` as listings write it). */
function addedObjects(items: unknown[]): { kind: string; object: Record<string, unknown> }[] {
  const out: { kind: string; object: Record<string, unknown> }[] = [];
  for (const item of items) {
    const record = item as Record<string, unknown>;
    const [command] = Object.keys(record);
    const body = (COMMANDS.includes(command!) ? record[command!] : record) as Record<string, unknown>;
    if (command !== undefined && COMMANDS.includes(command) && !['add', 'create', 'insert'].includes(command)) continue;
    for (const kind of OBJECTS) if (body[kind] !== undefined && kind !== 'element') out.push({ kind, object: body[kind] as Record<string, unknown> });
  }
  return out;
}

/** Tables and chains a document names but does not create, as commands to send first. */
function prerequisites(items: unknown[]): unknown[] {
  const added = addedObjects(items);
  const tables = new Map<string, unknown>();
  const chains = new Map<string, unknown>();
  const made = new Set(added.map(({ kind, object }) => (kind === 'table' ? `${String(object.family)} ${String(object.name)}` : kind === 'chain' ? `${String(object.family)} ${String(object.table)} ${String(object.name)}` : '')));
  for (const item of items) {
    const record = item as Record<string, unknown>;
    const body = Object.values(record)[0] as Record<string, unknown> | null;
    for (const object of Object.values(body ?? {})) {
      if (typeof object !== 'object' || object === null) continue;
      const { family, table, chain } = object as Record<string, unknown>;
      if (typeof family !== 'string' || typeof table !== 'string') continue;
      if (!made.has(`${family} ${table}`)) tables.set(`${family} ${table}`, { add: { table: { family, name: table } } });
      if (typeof chain === 'string' && !made.has(`${family} ${table} ${chain}`)) chains.set(`${family} ${table} ${chain}`, { add: { chain: { family, table, name: chain } } });
    }
  }
  return [...tables.values(), ...chains.values()];
}

/** `actual` has everything `expected` has: objects by their keys, arrays element by element. */
function contains(actual: unknown, expected: unknown): boolean {
  if (Array.isArray(expected)) return Array.isArray(actual) && actual.length === expected.length && expected.every((e, i) => contains(actual[i], e));
  if (typeof expected === 'object' && expected !== null) {
    if (typeof actual !== 'object' || actual === null) return false;
    return Object.entries(expected).every(([key, value]) => contains((actual as Record<string, unknown>)[key], value));
  }
  return Object.is(actual, expected);
}

/** What a listing should show of an added object: `rule` without its position. */
function listed(kind: string, object: Record<string, unknown>): Record<string, unknown> {
  const { handle: _handle, index: _index, ...rest } = object;
  void _handle;
  void _index;
  return kind === 'rule' ? rest : object;
}

async function checkNftDocument(t: Test, document: FoundDocument, dir: string, n: number): Promise<void> {
  const items = (document.value as { nftables: unknown[] }).nftables;
  t.ok(Array.isArray(items), `${document.where}: { nftables: [...] }`);
  const netns = makeNetns(t, 'rmreadme');
  const before = prerequisites(items);
  if (before.length > 0) {
    const file = join(dir, `prefix-${n}.json`);
    writeFileSync(file, JSON.stringify({ nftables: before }));
    netns.exec('nft', ['-j', '-f', file]);
  }
  const file = join(dir, `nft-${n}.json`);
  writeFileSync(file, JSON.stringify(document.value, null, 1));
  t.equal(thrown(() => netns.exec('nft', ['-j', '-c', '-f', file])), undefined, `${document.where}: nft -j -c -f accepts it`);
  const handle = await open({ netns: netns.name });
  try {
    const refused = await rejected(handle.nft.apply(document.value as NftDocument));
    t.equal(refused, undefined, `${document.where}: routemark applies it`);
    if (refused !== undefined) return;
    const byNft = netns.nftJson().nftables;
    const byRoutemark = (await handle.nft.list()).nftables as unknown[];
    for (const { kind, object } of addedObjects(items)) {
      const want = { [kind]: listed(kind, object) };
      t.ok(byNft.some((o) => contains(o, want)), `${document.where}: nft -j list ruleset shows ${kind} ${JSON.stringify(want[kind]).slice(0, 90)}`);
      t.ok(byRoutemark.some((o) => contains(o, want)), `${document.where}: routemark's list shows it too`);
    }
  } finally {
    handle.close();
  }
}

const schema = JSON.parse(readFileSync(join(ROOT, 'schema', 'policy.schema.json'), 'utf8')) as Record<string, unknown>;

async function checkPolicyDocument(t: Test, document: FoundDocument, netns: () => TestNetns): Promise<void> {
  t.same(schemaErrors(schema, document.value), [], `${document.where}: conforms to schema/policy.schema.json`);
  const refused = thrown(() => checkDocument(document.value, 201, new TableResolver(tableNamesOf(undefined))));
  t.equal(refused, undefined, `${document.where}: the library's document check (checkDocument, as planPolicy runs it) passes`);
  if (refused !== undefined) return;
  // Applied for real: a link (one end of a veth pair, up) for every device it names.
  const ns = netns();
  const devices = new Set<string>();
  const collect = (value: unknown, key?: string): void => {
    if (key === 'dev' && typeof value === 'string') devices.add(value);
    else if (Array.isArray(value)) value.forEach((v) => collect(v));
    else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) collect(v, k);
  };
  collect(document.value);
  let peer = 0;
  for (const dev of devices) addVeth(ns, dev, `rmpeer${++peer}`);
  const handle = await open({ netns: ns.name, owner: 201 });
  try {
    let changed: boolean | undefined;
    const refusedByApply = await rejected(applyPolicy(handle, document.value as PolicyDocument).then((r) => (changed = r.changed)));
    t.equal(refusedByApply, undefined, `${document.where}: applyPolicy applies it in a fresh namespace`);
    if (refusedByApply !== undefined) return;
    t.equal(changed, true, `${document.where}: the first apply changes something`);
    const again = await applyPolicy(handle, document.value as PolicyDocument);
    t.equal(again.changed, false, `${document.where}: applied again, nothing changes`);
  } finally {
    handle.close();
  }
}

// ---------------------------------------------------------------------------------------------

const dir = mkdtempSync(join(tmpdir(), 'routemark-readme-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const skipped = new Set(tsBlocks.filter((b) => skipReason(b) !== undefined));
const units = writeUnits(dir, skipped);
const compiled = compile(units);

t.test('the README has the blocks this test reads', async (t) => {
  t.ok(tsBlocks.length >= 10, `${tsBlocks.length} ts blocks`);
  for (const block of blocks) if (block.directive !== undefined && !skipped.has(block)) t.fail(`README.md:${block.line - 1}: a readme-test marker above a ${block.lang} block: only ts blocks can be skipped`);
  for (const block of skipped) t.comment(`skipped: the ts block at README.md:${block.line} (${skipReason(block)})`);
  t.ok(skipped.size <= 2, 'at most two ts blocks are skipped');
});

t.test('every ts block typechecks against the library', async (t) => {
  t.same(compiled.global, [], 'the compiler options are sound');
  for (const unit of units) {
    const diagnostics = compiled.diagnostics.get(unit)!;
    t.same(diagnostics, [], `the ts block at README.md:${unit.block.line}${unit.after ? ` (after README.md:${unit.after.line})` : ''} typechecks`);
  }
});

const documents: FoundDocument[] = [];
// Only from blocks that typecheck: in a call with a type error the argument for `document` is a guess.
for (const unit of units) if (compiled.diagnostics.get(unit)!.length === 0) documents.push(...documentsIn(compiled, unit));
for (const block of jsonBlocks) {
  let value: unknown;
  try {
    value = JSON.parse(block.code);
  } catch (error) {
    t.fail(`README.md:${block.line}: a json block that is not JSON: ${String(error)}`);
    continue;
  }
  const kinds = classifyJson(value);
  if (kinds.length === 0) t.comment(`README.md:${block.line}: a json block that is neither an nftables nor a policy document (an output or a fragment): only parsed`);
  for (const kind of kinds) documents.push({ kind, where: `README.md:${block.line} (json)`, value });
}

t.test('the README shows documents, and each is found', async (t) => {
  t.ok(documents.some((d) => d.kind === 'nftables'), 'an nftables document');
  t.ok(documents.some((d) => d.kind === 'policy'), 'a policy document');
});

// The same document shown several times (applyPolicy(ns, intent) and planPolicy(ns, intent)) is checked once.
const distinct = new Map<string, FoundDocument>();
for (const document of documents) {
  const key = `${document.kind} ${JSON.stringify(document.value)}`;
  if (!distinct.has(key)) distinct.set(key, document);
}

let n = 0;
for (const document of distinct.values()) {
  const index = ++n;
  t.test(`${document.kind} document at ${document.where}`, async (t) => {
    if (document.kind === 'nftables') await checkNftDocument(t, document, dir, index);
    else await checkPolicyDocument(t, document, () => makeNetns(t, 'rmreadme'));
  });
}
