/**
 * Rule templates: rules of one shape that differ only in constants (the bulk case, e.g.
 * 100,000 rules `ip saddr X meta mark set Y`) are compiled once; every further rule copies the
 * compiled expression bytes and patches its own constants in. A rule's shape is its JSON with
 * every leaf masked; a template also remembers the leaves that were not constants (protocol
 * names, operators, set names), so that only truly identical rules reuse it.
 */
import { MessageWriter } from '../netlink/attributes.js';
import { compileRule, type CompiledRule, type RuleContext } from './compile.js';
import type { SlotRecorder } from './expr/index.js';
import { writeExpressions } from './messages.js';

/** The leaves of a JSON value in depth-first order, and its shape key. */
export interface Shape {
  key: string;
  leaves: unknown[];
}

function walk(value: unknown, leaves: unknown[]): string {
  if (value === null) {
    leaves.push(null);
    return 'z';
  }
  switch (typeof value) {
    case 'string':
      leaves.push(value);
      return 's';
    case 'number':
      leaves.push(value);
      return 'n';
    case 'boolean':
      leaves.push(value);
      return 'b';
    case 'object': {
      if (Array.isArray(value)) {
        let key = '[';
        for (let i = 0; i < value.length; i++) key += walk(value[i], leaves) + ',';
        return key + ']';
      }
      let key = '{';
      const object = value as Record<string, unknown>;
      for (const name in object) key += name + ':' + walk(object[name], leaves) + ',';
      return key + '}';
    }
  }
  leaves.push(value);
  return '?';
}

/** The shape of a rule's statement list. */
export function shapeOf(statements: unknown): Shape {
  const leaves: unknown[] = [];
  const key = walk(statements, leaves);
  return { key, leaves };
}

/** The paths of the leaves, in the same order as {@link shapeOf} (`[0].match.right`). */
function leafPaths(value: unknown, path: string, out: string[]): void {
  if (value !== null && typeof value === 'object') {
    if (Array.isArray(value)) value.forEach((item, i) => leafPaths(item, `${path}[${i}]`, out));
    else for (const name in value as Record<string, unknown>) leafPaths((value as Record<string, unknown>)[name], `${path}.${name}`, out);
    return;
  }
  out.push(path);
}

interface Patch {
  leaf: number;
  offset: number;
  length: number;
  reencode: (value: unknown) => Uint8Array | undefined;
}

/** One compiled shape. */
interface Template {
  /** The NFTA_RULE_EXPRESSIONS attribute, ready to copy. */
  bytes: Uint8Array;
  patches: Patch[];
  /** Leaves that must be equal for the template to apply (index -> value). */
  fixed: Map<number, unknown>;
}

/** A rule compiled through the cache: either full descriptors or template bytes. */
export type TemplateResult = { compiled: CompiledRule; bytes?: undefined } | { compiled?: undefined; bytes: Uint8Array; patches: { offset: number; bytes: Uint8Array }[] };

const MAX_SHAPES = 512;
const MAX_VARIANTS = 8;

/** Per-handle cache of rule templates. */
export class RuleTemplates {
  private readonly shapes = new Map<string, Template[]>();
  /** Rules served from a template so far (tests and benchmarks read it). */
  hits = 0;

  /**
   * Compiles `rule.expr` for a table of `context.family`, reusing a template when one fits.
   * `path` is the rule's field path for errors.
   */
  compile(rule: { expr?: unknown; comment?: unknown }, context: RuleContext, path: string): TemplateResult {
    if (!Array.isArray(rule.expr)) return { compiled: compileRule(rule, context, path) };
    const shape = shapeOf(rule.expr);
    const cacheKey = `${context.family}|${shape.key}`;
    const variants = this.shapes.get(cacheKey);
    if (variants !== undefined) {
      for (const template of variants) {
        const patched = apply(template, shape.leaves);
        if (patched !== undefined) {
          if (rule.comment !== undefined) return { compiled: compileRule(rule, context, path) };
          this.hits++;
          return { bytes: template.bytes, patches: patched };
        }
      }
    }
    const exprPath = `${path}.expr`;
    const constants: { path: string; bytes: Uint8Array; reencode: (value: unknown) => Uint8Array | undefined }[] = [];
    const compiled = compileRule(rule, context, path, {
      constant(field, bytes, reencode) {
        if (field.startsWith(exprPath)) constants.push({ path: field.slice(exprPath.length), bytes, reencode });
      },
    });
    if (compiled.anonymousSets.length === 0) this.remember(cacheKey, rule.expr, shape, compiled, constants);
    return { compiled };
  }

  private remember(cacheKey: string, statements: unknown, shape: Shape, compiled: CompiledRule, constants: { path: string; bytes: Uint8Array; reencode: (value: unknown) => Uint8Array | undefined }[]): void {
    const paths: string[] = [];
    leafPaths(statements, '', paths);
    const leafIndex = new Map(paths.map((p, i) => [p, i]));
    const slots = new Map<Uint8Array, number>();
    const slotInfo: { leaf: number; reencode: Patch['reencode']; length: number }[] = [];
    for (const constant of constants) {
      const leaf = leafIndex.get(constant.path);
      if (leaf === undefined) return; // a constant that is not one leaf: no template
      slots.set(constant.bytes, slotInfo.length);
      slotInfo.push({ leaf, reencode: constant.reencode, length: constant.bytes.length });
    }
    const recorder: SlotRecorder = { slots, written: [] };
    const writer = new MessageWriter(512);
    writeExpressions(writer, compiled.expressions, recorder);
    const patches: Patch[] = recorder.written.map(({ slot, offset }) => ({ leaf: slotInfo[slot]!.leaf, offset, length: slotInfo[slot]!.length, reencode: slotInfo[slot]!.reencode }));
    const patchedLeaves = new Set(patches.map((p) => p.leaf));
    const fixed = new Map<number, unknown>();
    shape.leaves.forEach((value, i) => {
      if (!patchedLeaves.has(i)) fixed.set(i, value);
    });
    const template: Template = { bytes: Uint8Array.from(writer.bytes()), patches, fixed };
    let variants = this.shapes.get(cacheKey);
    if (variants === undefined) {
      if (this.shapes.size >= MAX_SHAPES) this.shapes.delete(this.shapes.keys().next().value!);
      variants = [];
      this.shapes.set(cacheKey, variants);
    }
    if (variants.length >= MAX_VARIANTS) variants.shift();
    variants.push(template);
  }
}

/** The patches that turn `template` into the rule with these leaves, or undefined. */
function apply(template: Template, leaves: readonly unknown[]): { offset: number; bytes: Uint8Array }[] | undefined {
  for (const [index, value] of template.fixed) if (leaves[index] !== value) return undefined;
  const out: { offset: number; bytes: Uint8Array }[] = [];
  for (const patch of template.patches) {
    const bytes = patch.reencode(leaves[patch.leaf]);
    if (bytes === undefined || bytes.length !== patch.length) return undefined;
    out.push({ offset: patch.offset, bytes });
  }
  return out;
}
