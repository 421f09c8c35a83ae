import { type OutputUnit, Validator } from '@cfworker/json-schema';

/**
 * An event type's `data` checked against its JSON Schema (draft 2020-12, formats enforced), the
 * problems told one line per failing field: `data.items.0.sku must match pattern "^[A-Z]+$"`.
 * @cfworker/json-schema interprets the schema instead of generating code: a schema costs little
 * to prepare, and the api bundle carries 23 KiB of validator where ajv and its formats were 147.
 */
export type DataCheck = (data: unknown) => string[] | null;

export function compileDataSchema(schema: Record<string, unknown>): DataCheck {
  // Not short-circuited: a publisher fixes every bad field from one answer.
  const validator = new Validator(schema, '2020-12', false);
  return (data) => {
    const result = validator.validate(data);
    if (result.valid) return null;
    return [...new Set(leaves(result.errors).map((e) => `${dottedPath(e.instanceLocation)} ${message(schema, e)}`))];
  };
}

/**
 * cfworker reports a failing subschema's parent too (`properties`, `items`, `$ref`, `allOf`...):
 * those add nothing to the field's own problem and are dropped.
 */
const WRAPPERS = new Set([
  'properties',
  'patternProperties',
  'additionalProperties',
  'unevaluatedProperties',
  'prefixItems',
  'items',
  'additionalItems',
  'unevaluatedItems',
  'allOf',
  '$ref',
  '$recursiveRef',
  'if',
  'dependentSchemas',
  'dependencies',
]);
/**
 * Under these, a subschema's failures are alternatives that did not match, not problems each:
 * the keyword's own line says it, and what failed beneath it is dropped.
 */
const ALTERNATIVES: Record<string, (keywordLocation: string) => string> = {
  anyOf: (at) => at,
  oneOf: (at) => at,
  propertyNames: (at) => at,
  contains: (at) => at,
  minContains: (at) => at.replace(/minContains$/, 'contains'),
  maxContains: (at) => at.replace(/maxContains$/, 'contains'),
};

function leaves(errors: readonly OutputUnit[]): OutputUnit[] {
  const beneath = errors.flatMap((e) => (ALTERNATIVES[e.keyword] ? [`${ALTERNATIVES[e.keyword]!(e.keywordLocation)}/`] : []));
  let previousBeneath = false;
  return errors.filter((e) => {
    // A `false` schema's failure is located at the instance, not the schema: it belongs to the
    // keyword reported just before it (`additionalProperties`, say).
    const isBeneath = e.keyword === 'false' ? previousBeneath : beneath.some((prefix) => e.keywordLocation.startsWith(prefix));
    previousBeneath = isBeneath;
    return !isBeneath && !WRAPPERS.has(e.keyword);
  });
}

/** `#/items/0/sku` (a JSON pointer, percent-encoded) as `data.items.0.sku`. */
function dottedPath(instanceLocation: string): string {
  return ['data', ...instanceLocation.split('/').slice(1).map(unescapeSegment)].join('.');
}

function unescapeSegment(segment: string): string {
  let decoded = segment;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    // Not percent-encoded after all: shown as it came.
  }
  return decoded.replaceAll('~1', '/').replaceAll('~0', '~');
}

/** The keyword's value in the schema, following local `$ref`s along the way; undefined when it cannot be found. */
function keywordValue(root: Record<string, unknown>, keywordLocation: string): unknown {
  let node: unknown = root;
  for (const segment of keywordLocation.split('/').slice(1).map(unescapeSegment)) {
    if (!node || typeof node !== 'object') return undefined;
    const here = node as Record<string, unknown>;
    if (segment === '$ref' && typeof here.$ref === 'string') {
      if (!here.$ref.startsWith('#')) return undefined;
      node = keywordValue(root, here.$ref);
    } else node = here[segment];
  }
  return node;
}

const list = (values: unknown): string =>
  Array.isArray(values) ? values.map((v) => JSON.stringify(v)).join(', ') : JSON.stringify(values);
const quoted = (error: string): string | undefined => /"(.*)"/.exec(error)?.[1];

/** How a keyword's failure reads, from the keyword's value in the schema. */
const BY_VALUE: Record<string, (v: unknown) => string> = {
  type: (v) => `must be ${Array.isArray(v) ? v.join(' or ') : v}`,
  enum: (v) => `must be one of ${list(v)}`,
  const: (v) => `must be ${JSON.stringify(v)}`,
  pattern: (v) => `must match pattern ${JSON.stringify(v)}`,
  format: (v) => `must match format ${JSON.stringify(v)}`,
  minLength: (v) => `must NOT have fewer than ${v} characters`,
  maxLength: (v) => `must NOT have more than ${v} characters`,
  minimum: (v) => `must be >= ${v}`,
  maximum: (v) => `must be <= ${v}`,
  exclusiveMinimum: (v) => `must be > ${v}`,
  exclusiveMaximum: (v) => `must be < ${v}`,
  multipleOf: (v) => `must be a multiple of ${v}`,
  minItems: (v) => `must NOT have fewer than ${v} items`,
  maxItems: (v) => `must NOT have more than ${v} items`,
  minProperties: (v) => `must NOT have fewer than ${v} properties`,
  maxProperties: (v) => `must NOT have more than ${v} properties`,
  minContains: (v) => `must contain at least ${v} items that match "contains"`,
  maxContains: (v) => `must contain at most ${v} items that match "contains"`,
};
/** How a keyword's failure reads, from cfworker's report of it. */
const BY_ERROR: Record<string, (error: string) => string> = {
  required: (error) => `must have required property '${quoted(error)}'`,
  // A `false` schema, most often `additionalProperties: false`: reported at the property itself.
  false: () => 'is not allowed',
  uniqueItems: () => 'must NOT have duplicate items',
  not: () => 'must NOT match the schema in "not"',
  anyOf: () => 'must match at least one schema in "anyOf"',
  oneOf: () => 'must match exactly one schema in "oneOf"',
  contains: () => 'must contain an item that matches "contains"',
  propertyNames: (error) => `has a property name that does not fit "propertyNames": '${quoted(error)}'`,
};

function message(schema: Record<string, unknown>, e: OutputUnit): string {
  const byError = BY_ERROR[e.keyword];
  if (byError) return byError(e.error);
  const value = keywordValue(schema, e.keywordLocation);
  const byValue = BY_VALUE[e.keyword];
  if (byValue && value !== undefined) return byValue(value);
  // Anything else reads as cfworker says it: `Instance has "a" but does not have "b".` -> `has "a" but does not have "b"`.
  const text = e.error.replace(/^Instance /, '').replace(/\.$/, '');
  return text.charAt(0).toLowerCase() + text.slice(1);
}
