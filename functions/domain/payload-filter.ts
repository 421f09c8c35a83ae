import type { FieldProblem } from './errors.js';

/**
 * Payload filters: beyond its event types, a subscription may filter on its events' `data` with a
 * subset of EventBridge's event patterns, and with their semantics ("Content filtering in Amazon
 * EventBridge event patterns",
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html,
 * and the operator table at .../eb-create-pattern-operators.html):
 *
 * - A filter is an object of `data` fields; a field's value is either an object of nested fields
 *   or an array of matchers. Fields AND, the matchers of one field OR.
 * - A matcher is an exact value (string, number, boolean, null), `{"prefix": "..."}` (strings
 *   only), `{"numeric": [">", 0, "<=", 5]}` (numbers only; one comparison, or a lower bound then
 *   an upper bound), `{"exists": true|false}`, or `{"anything-but": v}` with a string, a number, a
 *   list of strings or of numbers, or `{"prefix": "..."}`.
 * - A field whose value in the event is an array matches when any of its elements does.
 * - A missing field matches nothing but `{"exists": false}` (nested fields under a missing
 *   object are missing too). As in EventBridge, `exists` looks at leaf values: a field holding an
 *   object neither exists (`true`) nor fails `false`.
 *
 * Everything here is plain functions: the API validates with `checkPayloadFilter`, the fan-out
 * evaluates with `payloadMatches` before it makes any delivery.
 */

/** Levels of nested fields a filter may have: `{"a": ["x"]}` is 1, `{"a": {"b": ["x"]}}` is 2. */
export const MAX_FILTER_DEPTH = 10;
/**
 * The largest filter, as compact JSON (UTF-8 bytes). EventBridge's own patterns are bounded the
 * same way; it keeps the subscription's item (filter stored as a JSON string) far below
 * DynamoDB's 400 KB and the fan-out's per-event work small.
 */
export const MAX_FILTER_BYTES = 4096;

export type ExactValue = string | number | boolean | null;
export type Matcher =
  | ExactValue
  | { prefix: string }
  | { numeric: (string | number)[] }
  | { exists: boolean }
  | { 'anything-but': string | number | string[] | number[] | { prefix: string } };
export interface PayloadFilter {
  [field: string]: Matcher[] | PayloadFilter;
}

const LOWER = new Set(['>', '>=']);
const UPPER = new Set(['<', '<=']);
const OPERATORS = new Set([...LOWER, ...UPPER, '=']);
const MATCHER_KEYS = ['prefix', 'numeric', 'exists', 'anything-but'];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isExact = (v: unknown): v is ExactValue =>
  v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));

/**
 * Every problem of a filter, each named by its dotted path under `field` (as `filter.card.brand.0`).
 * Empty means the filter is valid; the fan-out may then trust its shape.
 */
export function checkPayloadFilter(field: string, filter: unknown): FieldProblem[] {
  if (!isObject(filter)) return [{ field, message: 'must be a JSON object of data fields, as {"amount": [{"numeric": [">", 100]}]}' }];
  if (Object.keys(filter).length === 0) return [{ field, message: 'must name at least one data field; send null to remove the filter' }];
  const bytes = Buffer.byteLength(JSON.stringify(filter));
  if (bytes > MAX_FILTER_BYTES) return [{ field, message: `is ${bytes} bytes as JSON; a filter may be at most ${MAX_FILTER_BYTES}` }];
  const problems: FieldProblem[] = [];
  checkFields(field, filter, 1, problems);
  return problems;
}

function checkFields(at: string, fields: Record<string, unknown>, depth: number, problems: FieldProblem[]): void {
  if (depth > MAX_FILTER_DEPTH) {
    problems.push({ field: at, message: `nests deeper than ${MAX_FILTER_DEPTH} levels of fields` });
    return;
  }
  for (const [key, value] of Object.entries(fields)) {
    const path = `${at}.${key}`;
    if (key === '') problems.push({ field: at, message: 'has an empty field name' });
    else if (Array.isArray(value)) {
      if (value.length === 0) problems.push({ field: path, message: 'must list at least one value or matcher' });
      value.forEach((m, i) => {
        const problem = matcherProblem(m);
        if (problem) problems.push({ field: `${path}.${i}`, message: problem });
      });
    } else if (isObject(value)) {
      if (Object.keys(value).length === 0) problems.push({ field: path, message: 'must name at least one nested field' });
      else checkFields(path, value, depth + 1, problems);
    } else {
      problems.push({ field: path, message: 'must be an array of values or matchers (as ["visa"]) or an object of nested fields' });
    }
  }
}

function matcherProblem(m: unknown): string | undefined {
  if (isExact(m)) return undefined;
  if (typeof m === 'number') return 'must be a finite number';
  if (!isObject(m)) return 'must be a value (string, number, boolean, null) or a matcher object';
  const keys = Object.keys(m);
  if (keys.length !== 1 || !MATCHER_KEYS.includes(keys[0]!))
    return `must be a value or an object with exactly one of ${MATCHER_KEYS.map((k) => `"${k}"`).join(', ')}`;
  const [key] = keys as [string];
  const arg = m[key];
  switch (key) {
    case 'prefix':
      return typeof arg === 'string' ? undefined : '"prefix" takes a string';
    case 'exists':
      return typeof arg === 'boolean' ? undefined : '"exists" takes true or false';
    case 'numeric':
      return numericProblem(arg);
    default:
      return anythingButProblem(arg);
  }
}

function numericProblem(arg: unknown): string | undefined {
  const shape = '"numeric" takes one comparison or a lower then an upper bound, as [">", 0, "<=", 5]';
  if (!Array.isArray(arg) || (arg.length !== 2 && arg.length !== 4)) return shape;
  for (let i = 0; i < arg.length; i += 2) {
    if (typeof arg[i] !== 'string' || !OPERATORS.has(arg[i])) return `${shape}; operators are <, <=, =, >=, >`;
    if (typeof arg[i + 1] !== 'number' || !Number.isFinite(arg[i + 1])) return `${shape}; each operator is followed by a number`;
  }
  if (arg.length === 4) {
    if (!LOWER.has(arg[0]) || !UPPER.has(arg[2])) return shape;
    if (arg[1] >= arg[3]) return `"numeric" range [${arg.join(', ')}] matches no number: the lower bound must be below the upper`;
  }
  return undefined;
}

function anythingButProblem(arg: unknown): string | undefined {
  if (typeof arg === 'string' || (typeof arg === 'number' && Number.isFinite(arg))) return undefined;
  if (isObject(arg)) {
    const keys = Object.keys(arg);
    return keys.length === 1 && keys[0] === 'prefix' && typeof arg.prefix === 'string'
      ? undefined
      : '"anything-but" takes a string, a number, a list of either, or {"prefix": "..."}';
  }
  if (Array.isArray(arg) && arg.length > 0) {
    if (arg.every((v) => typeof v === 'string') || arg.every((v) => typeof v === 'number' && Number.isFinite(v))) return undefined;
    return '"anything-but" takes a list of strings only or of numbers only';
  }
  return '"anything-but" takes a string, a number, a non-empty list of either, or {"prefix": "..."}';
}

/** Whether an event's data passes a subscription's filter; no filter passes everything. */
export function payloadMatches(filter: PayloadFilter | undefined, data: unknown): boolean {
  return filter === undefined || fieldsMatch(filter, [data]);
}

/** The values of `key` in each of `nodes` that has it, arrays flattened (an array matches if any element does). */
function valuesAt(nodes: readonly unknown[], key: string): unknown[] {
  const out: unknown[] = [];
  const add = (v: unknown) => {
    if (Array.isArray(v)) for (const e of v) add(e);
    else out.push(v);
  };
  for (const n of nodes) if (isObject(n) && Object.hasOwn(n, key)) add(n[key]);
  return out;
}

function fieldsMatch(fields: PayloadFilter, nodes: readonly unknown[]): boolean {
  for (const [key, pattern] of Object.entries(fields)) {
    const values = valuesAt(nodes, key);
    if (Array.isArray(pattern)) {
      const leaves = values.filter((v) => !isObject(v));
      if (!pattern.some((m) => matcherMatches(m, leaves))) return false;
    } else if (!fieldsMatch(pattern, values)) return false;
  }
  return true;
}

function matcherMatches(m: Matcher, leaves: readonly unknown[]): boolean {
  if (isObject(m) && 'exists' in m) return m.exists ? leaves.length > 0 : leaves.length === 0;
  return leaves.some((v) => valueMatches(m, v));
}

function valueMatches(m: Matcher, v: unknown): boolean {
  if (!isObject(m)) return v === m;
  if ('prefix' in m) return typeof v === 'string' && v.startsWith(m.prefix);
  if ('numeric' in m) return typeof v === 'number' && inRange(m.numeric, v);
  if ('anything-but' in m) {
    const but = m['anything-but'];
    if (isObject(but)) return typeof v === 'string' && !v.startsWith(but.prefix);
    const list: unknown[] = Array.isArray(but) ? but : [but];
    return !list.includes(v);
  }
  return false;
}

function inRange(comparisons: readonly (string | number)[], v: number): boolean {
  for (let i = 0; i < comparisons.length; i += 2) {
    const bound = comparisons[i + 1] as number;
    const ok =
      comparisons[i] === '>'
        ? v > bound
        : comparisons[i] === '>='
          ? v >= bound
          : comparisons[i] === '<'
            ? v < bound
            : comparisons[i] === '<='
              ? v <= bound
              : v === bound;
    if (!ok) return false;
  }
  return true;
}
