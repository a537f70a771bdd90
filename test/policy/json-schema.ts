/**
 * A small JSON Schema (2020-12) checker for the keywords schema/policy.schema.json uses, so that
 * the tests can hold the published schema against the library's own validation. (A package such
 * as ajv would do this fully; it is not a dependency yet.)
 */
type Schema = boolean | Record<string, unknown>;

const typeOf = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : typeof value;

/** The paths where `value` breaks `schema` (empty when it conforms). */
export function schemaErrors(root: Record<string, unknown>, value: unknown, schema: Schema = root, path = ''): string[] {
  if (schema === true) return [];
  if (schema === false) return [`${path}: not allowed`];
  const s = schema;
  const errors: string[] = [];
  const sub = (v: unknown, sch: unknown, p: string) => schemaErrors(root, v, sch as Schema, p);
  if (typeof s.$ref === 'string') {
    const target = (s.$ref as string).replace(/^#\//, '').split('/').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], root);
    errors.push(...sub(value, target, path));
  }
  if (s.type !== undefined) {
    const t = typeOf(value);
    const types = Array.isArray(s.type) ? s.type : [s.type];
    if (!types.includes(t) && !(t === 'integer' && types.includes('number'))) return [`${path}: expected ${types.join('|')}`];
  }
  if (Array.isArray(s.enum) && !s.enum.includes(value)) errors.push(`${path}: not one of ${s.enum.join(', ')}`);
  if (typeof value === 'number') {
    if (typeof s.minimum === 'number' && value < s.minimum) errors.push(`${path}: below ${s.minimum}`);
    if (typeof s.maximum === 'number' && value > s.maximum) errors.push(`${path}: above ${s.maximum}`);
  }
  if (typeof value === 'string') {
    if (typeof s.minLength === 'number' && value.length < s.minLength) errors.push(`${path}: too short`);
    if (typeof s.maxLength === 'number' && value.length > s.maxLength) errors.push(`${path}: too long`);
    if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(value)) errors.push(`${path}: does not match ${s.pattern}`);
  }
  if (Array.isArray(value)) {
    if (typeof s.minItems === 'number' && value.length < s.minItems) errors.push(`${path}: too few items`);
    if (s.items !== undefined) value.forEach((item, i) => errors.push(...sub(item, s.items, `${path}[${i}]`)));
  }
  if (typeOf(value) === 'object') {
    const object = value as Record<string, unknown>;
    const keys = Object.keys(object);
    const properties = (s.properties ?? {}) as Record<string, unknown>;
    for (const key of (s.required as string[] | undefined) ?? []) if (!(key in object)) errors.push(`${path}.${key}: required`);
    if (typeof s.minProperties === 'number' && keys.length < s.minProperties) errors.push(`${path}: too few properties`);
    if (typeof s.maxProperties === 'number' && keys.length > s.maxProperties) errors.push(`${path}: too many properties`);
    for (const key of keys) {
      if (key in properties) errors.push(...sub(object[key], properties[key], `${path}.${key}`));
      else if (s.additionalProperties !== undefined) errors.push(...sub(object[key], s.additionalProperties, `${path}.${key}`));
      if (s.propertyNames !== undefined) errors.push(...sub(key, s.propertyNames, `${path}[${JSON.stringify(key)}]`));
    }
  }
  if (Array.isArray(s.oneOf)) {
    const passing = s.oneOf.filter((o) => sub(value, o, path).length === 0).length;
    if (passing !== 1) errors.push(`${path}: matches ${passing} of oneOf`);
  }
  if (Array.isArray(s.anyOf) && !s.anyOf.some((o) => sub(value, o, path).length === 0)) errors.push(`${path}: matches none of anyOf`);
  if (s.not !== undefined && sub(value, s.not, path).length === 0) errors.push(`${path}: matches not`);
  return errors;
}
