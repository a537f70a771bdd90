/**
 * Holds documents against the published JSON Schema (schema/policy.schema.json) with ajv, a
 * full draft 2020-12 validator, so that the tests compare the schema with the library's own checks.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';

// strictRequired would refuse `not: { anyOf: [{ required: [...] }] }`, a legal way to say "not both".
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
const compiled = new WeakMap<object, ReturnType<typeof ajv.compile>>();

/** The places where `value` breaks `schema` (empty when it conforms). */
export function schemaErrors(schema: Record<string, unknown>, value: unknown): string[] {
  let validate = compiled.get(schema);
  if (validate === undefined) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  if (validate(value)) return [];
  return (validate.errors ?? []).map((error) => `${error.instancePath || '/'}: ${error.message ?? error.keyword}`);
}
