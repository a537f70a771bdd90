/**
 * Rule templates: rules of one shape that differ only in constants (the bulk case, e.g.
 * 100,000 rules `ip saddr X meta mark set Y`) are compiled once; every further rule is matched
 * against the template's skeleton, its constants are written into a copy of the compiled
 * expression bytes, and that copy goes into the batch. A template remembers which JSON leaves
 * were constants and which were not (protocol names, operators, set names): those must be
 * equal for the template to apply, so only truly alike rules share it.
 */
import { MessageWriter } from '../netlink/attributes.js';
import { compileRule, type CompiledRule, type ConstantWriter, type RuleContext } from './compile.js';
import type { SlotRecorder } from './expr/index.js';
import { writeExpressions } from './messages.js';
import { keepShape } from '../shapes.js';

/** A node of a template's skeleton: the JSON shape of the rule that made it. */
type Skeleton =
  | { kind: 'leaf'; type: string; fixed: boolean; value: unknown; slot: number }
  | { kind: 'array'; items: Skeleton[] }
  | { kind: 'object'; keys: string[]; values: Skeleton[] };

/**
 * Checks a rule against a skeleton's structure and collects its constants into `slots`; `fixed`
 * holds the skeleton's fixed values.
 */
type MatcherCode = (statements: unknown, slots: unknown[], fixed: readonly unknown[]) => boolean;

/**
 * Generated matchers by their code: templates of one JSON structure (the same keys, whatever
 * their fixed values) share one function, which the JIT has optimized already.
 */
const MATCHER_CODE = new Map<string, MatcherCode>();
const MAX_MATCHER_CODE = 1024;

function typeOf(value: unknown): string {
  return value === null ? 'null' : typeof value;
}

/** Builds the skeleton of `value`; leaves at paths in `slotOf` are constants (by slot). */
function skeleton(value: unknown, path: string, slotOf: ReadonlyMap<string, number>): Skeleton {
  if (Array.isArray(value)) return { kind: 'array', items: value.map((item, i) => skeleton(item, `${path}[${i}]`, slotOf)) };
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value);
    return { kind: 'object', keys, values: keys.map((key) => skeleton((value as Record<string, unknown>)[key], `${path}.${key}`, slotOf)) };
  }
  const slot = slotOf.get(path);
  return { kind: 'leaf', type: typeOf(value), fixed: slot === undefined, value: slot === undefined ? value : undefined, slot: slot ?? -1 };
}

/** A skeleton compiled: its shared generated code and its own fixed values. */
interface Matcher {
  readonly code: MatcherCode;
  readonly fixed: readonly unknown[];
}

/**
 * Compiles a skeleton into a matcher. Matching is the per-rule cost of a bulk apply,
 * and a generic tree walk is several times slower than straight-line property checks, so the
 * checks are generated as code. Only JSON.stringify'd key names and indexes into `fixed` go into
 * the code; the rule's values never do.
 */
function compileMatcher(root: Skeleton): Matcher {
  const fixed: unknown[] = [];
  const lines: string[] = [];
  let variables = 0;
  const visit = (node: Skeleton, name: string): void => {
    switch (node.kind) {
      case 'leaf':
        if (node.fixed) {
          fixed.push(node.value);
          lines.push(`if (${name} !== fixed[${fixed.length - 1}]) return false;`);
        } else {
          lines.push(node.type === 'null' ? `if (${name} !== null) return false;` : `if (typeof ${name} !== ${JSON.stringify(node.type)}) return false;`);
          lines.push(`slots[${node.slot}] = ${name};`);
        }
        return;
      case 'array':
        lines.push(`if (!Array.isArray(${name}) || ${name}.length !== ${node.items.length}) return false;`);
        node.items.forEach((item, i) => {
          const child = `v${variables++}`;
          lines.push(`const ${child} = ${name}[${i}];`);
          visit(item, child);
        });
        return;
      case 'object': {
        lines.push(`if (typeof ${name} !== 'object' || ${name} === null || Array.isArray(${name})) return false;`);
        // Same key count and every key present: the same key set (extra keys could make a
        // full compile refuse the rule, so they must not slip through).
        const count = `n${variables++}`;
        lines.push(`let ${count} = 0; for (const k in ${name}) ${count}++; if (${count} !== ${node.keys.length}) return false;`);
        node.keys.forEach((key, i) => {
          const child = `v${variables++}`;
          lines.push(`const ${child} = ${name}[${JSON.stringify(key)}];`);
          if (node.values[i]!.kind !== 'leaf' || !(node.values[i] as { fixed: boolean }).fixed || (node.values[i] as { value: unknown }).value === undefined) {
            lines.push(`if (${child} === undefined && !(${JSON.stringify(key)} in ${name})) return false;`);
          }
          visit(node.values[i]!, child);
        });
        return;
      }
    }
  };
  visit(root, 'statements');
  lines.push('return true;');
  const body = lines.join('\n');
  let code = MATCHER_CODE.get(body);
  if (code === undefined) {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    code = new Function('statements', 'slots', 'fixed', body) as MatcherCode;
    if (MATCHER_CODE.size >= MAX_MATCHER_CODE) MATCHER_CODE.delete(MATCHER_CODE.keys().next().value!);
    MATCHER_CODE.set(body, code);
  }
  // No closure over `fixed`: callers call the shared code, whose optimized form then serves every
  // template and handle of this structure (see shapes.ts).
  return { code, fixed };
}

/** The shape key of a value: its JSON with every leaf replaced by its type. */
function shapeKey(value: unknown): string {
  if (Array.isArray(value)) {
    let key = '[';
    for (const item of value) key += shapeKey(item) + ',';
    return key + ']';
  }
  if (typeof value === 'object' && value !== null) {
    let key = '{';
    for (const name in value as Record<string, unknown>) key += name + ':' + shapeKey((value as Record<string, unknown>)[name]) + ',';
    return key + '}';
  }
  return typeOf(value);
}

interface Patch {
  slot: number;
  offset: number;
  length: number;
  write: ConstantWriter;
}

/** One compiled shape. */
export interface Template {
  readonly family: number;
  readonly matcher: Matcher;
  readonly patches: Patch[];
  /**
   * What goes into the batch: `head` (the caller's message prefix) then the
   * NFTA_RULE_EXPRESSIONS attribute; after a successful match it holds that rule's constants.
   */
  buffer: Buffer;
  head: Uint8Array;
}

/** The expression bytes of a template (its buffer without the head), as a view. */
export function templateExpressions(template: Template): Buffer {
  return template.buffer.subarray(template.head.length);
}

/** A rule compiled through the cache: a template holding its bytes, or full descriptors. */
export type TemplateResult = { template: Template; compiled?: undefined } | { template?: undefined; compiled: CompiledRule };

const EMPTY = new Uint8Array(0);
const MAX_SHAPES = 512;
const MAX_VARIANTS = 8;

/** Per-handle cache of rule templates. */
export class RuleTemplates {
  private readonly shapes = new Map<string, Template[]>();
  private last: Template | undefined;
  private readonly slots: unknown[] = [];
  /** Rules served from a template so far (tests and benchmarks read it). */
  hits = 0;

  /**
   * Compiles `rule.expr` for a table of `context.family`, from a template when one fits.
   * `source.path` is the rule's field path for errors (read only when compiling in full).
   * Rules with comments are compiled in full.
   */
  compile(rule: { expr?: unknown; comment?: unknown }, context: RuleContext, source: { readonly path: string }, head: Uint8Array): TemplateResult {
    const statements = rule.expr;
    if (!Array.isArray(statements) || rule.comment !== undefined) return { compiled: compileRule(rule, context, source.path) };
    const last = this.last;
    if (last !== undefined && last.family === context.family && this.fill(last, statements, context, head)) {
      this.hits++;
      return { template: last };
    }
    const cacheKey = `${context.family}|${shapeKey(statements)}`;
    for (const template of this.shapes.get(cacheKey) ?? []) {
      if (this.fill(template, statements, context, head)) {
        this.last = template;
        this.hits++;
        return { template };
      }
    }
    const rulePath = source.path;
    const exprPath = `${rulePath}.expr`;
    const constants: { path: string; bytes: Uint8Array; write: ConstantWriter }[] = [];
    const compiled = compileRule(rule, context, rulePath, {
      constant(field, bytes, write) {
        if (field.startsWith(exprPath)) constants.push({ path: field.slice(exprPath.length), bytes, write });
      },
    });
    // A rule compiled against named sets' definitions (one that writes to them, or looks
    // host-order keys up in them), which may differ
    // for the next rule of its shape (another transaction, the set replaced): compiled each time.
    if (compiled.anonymousSets.length === 0 && compiled.setsConsulted.length === 0) this.remember(cacheKey, context.family, statements, compiled, constants);
    return { compiled };
  }

  /**
   * The bulk fast path: fills `template` (the one the previous rule used) with `statements`.
   * False if they do not fit it; then compile them with {@link compile}.
   */
  refill(template: Template, statements: unknown, context: RuleContext, head: Uint8Array): boolean {
    if (!this.fill(template, statements, context, head)) return false;
    this.hits++;
    return true;
  }

  /** Writes the rule's constants into the template's buffer; false if the rule does not fit. */
  private fill(template: Template, statements: unknown, context: RuleContext, head: Uint8Array): boolean {
    const slots = this.slots;
    const matcher = template.matcher;
    if (!matcher.code(statements, slots, matcher.fixed)) return false;
    if (template.head !== head) {
      const expressions = templateExpressions(template);
      const buffer = Buffer.allocUnsafe(head.length + expressions.length);
      buffer.set(head, 0);
      buffer.set(expressions, head.length);
      template.buffer = buffer;
      template.head = head;
    }
    const base = head.length;
    const buffer = template.buffer;
    for (const patch of template.patches) {
      if (!patch.write(slots[patch.slot], buffer, base + patch.offset, context)) return false;
    }
    return true;
  }

  private remember(cacheKey: string, family: number, statements: unknown, compiled: CompiledRule, constants: { path: string; bytes: Uint8Array; write: ConstantWriter }[]): void {
    // A rule without statements has no expression nest (as libnftnl writes it): nothing to patch.
    if (compiled.expressions.length === 0) return;
    const slotOfPath = new Map<string, number>();
    const slots = new Map<Uint8Array, number>();
    const writers: { slot: number; write: ConstantWriter; length: number }[] = [];
    for (const constant of constants) {
      let slot = slotOfPath.get(constant.path);
      if (slot === undefined) {
        slot = slotOfPath.size;
        slotOfPath.set(constant.path, slot);
      }
      slots.set(constant.bytes, writers.length);
      writers.push({ slot, write: constant.write, length: constant.bytes.length });
    }
    const recorder: SlotRecorder = { slots, written: [] };
    const writer = new MessageWriter(512);
    writeExpressions(writer, compiled.expressions, recorder);
    const patches: Patch[] = recorder.written.map(({ slot, offset }) => ({ slot: writers[slot]!.slot, offset, length: writers[slot]!.length, write: writers[slot]!.write }));
    // Every constant must have landed in the bytes exactly once, or the template could not
    // reproduce the rule.
    if (patches.length !== writers.length) return;
    const template: Template = { family, matcher: compileMatcher(skeleton(statements, '', slotOfPath)), patches, buffer: Buffer.from(writer.bytes()), head: EMPTY };
    let variants = this.shapes.get(cacheKey);
    if (variants === undefined) {
      if (this.shapes.size >= MAX_SHAPES) this.shapes.delete(this.shapes.keys().next().value!);
      variants = [];
      this.shapes.set(cacheKey, variants);
    }
    if (variants.length >= MAX_VARIANTS) variants.shift();
    variants.push(template);
    this.last = template;
  }
}

keepShape(new RuleTemplates());
