import { describe, expect, it } from 'vitest';
import {
  checkPayloadFilter,
  MAX_FILTER_BYTES,
  MAX_FILTER_DEPTH,
  type PayloadFilter,
  payloadMatches,
} from '../../functions/domain/payload-filter.js';

/** `{"l1": {"l2": ... {"l<n>": leaf}}}`: a filter whose field sits `n` levels deep. */
function nested(n: number, leaf: unknown): Record<string, unknown> {
  let f: unknown = leaf;
  for (let i = n; i >= 1; i--) f = { [`l${i}`]: f };
  return f as Record<string, unknown>;
}

const card = { brand: 'visa', amount: 100, country: 'DE', tags: ['gold', 'travel'], holder: { name: 'Ada', kyc: { level: 2 } } };

describe('payload filter matching (EventBridge semantics)', () => {
  it.each<[string, PayloadFilter, unknown, boolean]>([
    // exact values: strings, numbers, booleans, null; a list ORs
    ['exact string', { brand: ['visa'] }, card, true],
    ['exact string, other value', { brand: ['mastercard'] }, card, false],
    ['a list of values ORs', { brand: ['mastercard', 'visa'] }, card, true],
    ['exact number', { amount: [100] }, card, true],
    ['a number is not its string', { amount: ['100'] }, card, false],
    ['a string is not its number', { n: [5] }, { n: '5' }, false],
    ['boolean', { live: [true] }, { live: true }, true],
    ['boolean, other', { live: [true] }, { live: false }, false],
    ['null matches null', { x: [null] }, { x: null }, true],
    ['null does not match a missing field', { x: [null] }, {}, false],
    // fields AND
    ['fields AND, both match', { brand: ['visa'], country: ['DE'] }, card, true],
    ['fields AND, one fails', { brand: ['visa'], country: ['FR'] }, card, false],
    // arrays in the event: any element
    ['an array matches if any element does', { tags: ['travel'] }, card, true],
    ['an array, no element matches', { tags: ['business'] }, card, false],
    ['an empty array matches no value', { tags: ['gold'] }, { tags: [] }, false],
    ['arrays of objects: any element', { items: { sku: ['b'] } }, { items: [{ sku: 'a' }, { sku: 'b' }] }, true],
    // prefix: strings only
    ['prefix', { country: [{ prefix: 'D' }] }, card, true],
    ['prefix, other', { country: [{ prefix: 'F' }] }, card, false],
    ['prefix on a number never matches', { amount: [{ prefix: '1' }] }, card, false],
    ['prefix on an array element', { tags: [{ prefix: 'tra' }] }, card, true],
    // numeric ranges at their edges
    ['> excludes its bound', { amount: [{ numeric: ['>', 100] }] }, card, false],
    ['>= includes its bound', { amount: [{ numeric: ['>=', 100] }] }, card, true],
    ['< excludes its bound', { amount: [{ numeric: ['<', 100] }] }, card, false],
    ['<= includes its bound', { amount: [{ numeric: ['<=', 100] }] }, card, true],
    ['= its value', { amount: [{ numeric: ['=', 100] }] }, card, true],
    ['range (0, 5] at 5', { n: [{ numeric: ['>', 0, '<=', 5] }] }, { n: 5 }, true],
    ['range (0, 5] at 0', { n: [{ numeric: ['>', 0, '<=', 5] }] }, { n: 0 }, false],
    ['range (0, 5] just above 0', { n: [{ numeric: ['>', 0, '<=', 5] }] }, { n: 1e-9 }, true],
    ['range (0, 5] just above 5', { n: [{ numeric: ['>', 0, '<=', 5] }] }, { n: 5.000001 }, false],
    ['range [0, 5) at 0', { n: [{ numeric: ['>=', 0, '<', 5] }] }, { n: 0 }, true],
    ['range [0, 5) at 5', { n: [{ numeric: ['>=', 0, '<', 5] }] }, { n: 5 }, false],
    ['negative range', { n: [{ numeric: ['>=', -10, '<', -1] }] }, { n: -10 }, true],
    ['numeric on a numeric string never matches', { n: [{ numeric: ['>', 0] }] }, { n: '5' }, false],
    ['numeric over an array: any element', { n: [{ numeric: ['>', 10] }] }, { n: [1, 2, 30] }, true],
    // exists
    ['exists: true, present', { brand: [{ exists: true }] }, card, true],
    ['exists: true, missing', { cvv: [{ exists: true }] }, card, false],
    ['exists: false, missing', { cvv: [{ exists: false }] }, card, true],
    ['exists: false, present', { brand: [{ exists: false }] }, card, false],
    ['exists: true, null is a value', { x: [{ exists: true }] }, { x: null }, true],
    ['exists: false under a missing object', { billing: { zip: [{ exists: false }] } }, card, true],
    ['exists looks at leaves: an object field', { holder: [{ exists: true }] }, card, false],
    // missing fields match nothing else
    ['a missing field', { cvv: ['123'] }, card, false],
    ['anything-but on a missing field', { cvv: [{ 'anything-but': '123' }] }, card, false],
    ['a nested field under a missing object', { billing: { zip: ['10115'] } }, card, false],
    ['a nested field under a value that is not an object', { brand: { name: ['visa'] } }, card, false],
    ['OR with exists: false matches the missing field', { cvv: ['123', { exists: false }] }, card, true],
    // anything-but
    ['anything-but a string', { brand: [{ 'anything-but': 'mastercard' }] }, card, true],
    ['anything-but its own value', { brand: [{ 'anything-but': 'visa' }] }, card, false],
    ['anything-but a list', { country: [{ 'anything-but': ['FR', 'DE'] }] }, card, false],
    ['anything-but a list, other value', { country: [{ 'anything-but': ['FR', 'IT'] }] }, card, true],
    ['anything-but a number', { amount: [{ 'anything-but': 100 }] }, card, false],
    ['anything-but a number, other value', { amount: [{ 'anything-but': [1, 2] }] }, card, true],
    ['anything-but a prefix', { country: [{ 'anything-but': { prefix: 'D' } }] }, card, false],
    ['anything-but a prefix, other', { country: [{ 'anything-but': { prefix: 'F' } }] }, card, true],
    ['anything-but a prefix, not a string', { amount: [{ 'anything-but': { prefix: 'F' } }] }, card, false],
    ['anything-but over an array: any element not excluded', { tags: [{ 'anything-but': 'gold' }] }, card, true],
    // nesting
    ['nested fields', { holder: { kyc: { level: [{ numeric: ['>=', 2] }] } } }, card, true],
    ['nested fields, other value', { holder: { kyc: { level: [1] } } }, card, false],
    ['inherited names are not fields', { toString: [{ exists: true }] }, {}, false],
  ])('%s', (_name, filter, data, expected) => {
    expect(checkPayloadFilter('filter', filter)).toEqual([]);
    expect(payloadMatches(filter, data)).toBe(expected);
  });

  it('passes everything without a filter', () => {
    expect(payloadMatches(undefined, {})).toBe(true);
  });

  it('reaches a field at the deepest nesting allowed', () => {
    const filter = nested(MAX_FILTER_DEPTH, ['deep']) as PayloadFilter;
    expect(checkPayloadFilter('filter', filter)).toEqual([]);
    expect(payloadMatches(filter, nested(MAX_FILTER_DEPTH, 'deep'))).toBe(true);
    expect(payloadMatches(filter, nested(MAX_FILTER_DEPTH, 'shallow'))).toBe(false);
    expect(payloadMatches(filter, nested(MAX_FILTER_DEPTH - 1, 'deep'))).toBe(false);
  });
});

describe('payload filter validation', () => {
  it.each<[string, unknown, { field: string; message: RegExp }]>([
    ['not an object', ['visa'], { field: 'filter', message: /must be a JSON object/ }],
    ['a string', 'visa', { field: 'filter', message: /must be a JSON object/ }],
    ['empty', {}, { field: 'filter', message: /at least one data field; send null to remove/ }],
    ['a bare value', { brand: 'visa' }, { field: 'filter.brand', message: /must be an array of values or matchers/ }],
    ['an empty list', { brand: [] }, { field: 'filter.brand', message: /at least one value or matcher/ }],
    ['an empty nested object', { holder: {} }, { field: 'filter.holder', message: /at least one nested field/ }],
    ['an empty field name', { '': ['x'] }, { field: 'filter', message: /empty field name/ }],
    ['a nested array', { brand: [['visa']] }, { field: 'filter.brand.0', message: /must be a value .* or a matcher/ }],
    ['an unknown operator', { brand: [{ suffix: 'a' }] }, { field: 'filter.brand.0', message: /exactly one of "prefix", "numeric"/ }],
    ['two operators', { brand: [{ prefix: 'a', exists: true }] }, { field: 'filter.brand.0', message: /exactly one of/ }],
    ['prefix of a number', { brand: [{ prefix: 1 }] }, { field: 'filter.brand.0', message: /"prefix" takes a string/ }],
    ['exists of a string', { brand: [{ exists: 'yes' }] }, { field: 'filter.brand.0', message: /"exists" takes true or false/ }],
    ['numeric, not a list', { n: [{ numeric: 5 }] }, { field: 'filter.n.0', message: /"numeric" takes one comparison/ }],
    ['numeric, odd length', { n: [{ numeric: ['>', 0, '<'] }] }, { field: 'filter.n.0', message: /"numeric" takes/ }],
    ['numeric, bad operator', { n: [{ numeric: ['!=', 0] }] }, { field: 'filter.n.0', message: /operators are/ }],
    ['numeric, a string bound', { n: [{ numeric: ['>', '0'] }] }, { field: 'filter.n.0', message: /followed by a number/ }],
    ['numeric, upper then lower', { n: [{ numeric: ['<', 5, '>', 0] }] }, { field: 'filter.n.0', message: /lower then an upper/ }],
    ['numeric, two lower bounds', { n: [{ numeric: ['>', 0, '>', 5] }] }, { field: 'filter.n.0', message: /lower then an upper/ }],
    ['numeric, = in a range', { n: [{ numeric: ['=', 0, '<', 5] }] }, { field: 'filter.n.0', message: /lower then an upper/ }],
    ['numeric, an empty range', { n: [{ numeric: ['>', 5, '<', 5] }] }, { field: 'filter.n.0', message: /matches no number/ }],
    [
      'anything-but, mixed list',
      { n: [{ 'anything-but': ['a', 1] }] },
      { field: 'filter.n.0', message: /strings only or of numbers only/ },
    ],
    ['anything-but, empty list', { n: [{ 'anything-but': [] }] }, { field: 'filter.n.0', message: /non-empty list/ }],
    ['anything-but, boolean', { n: [{ 'anything-but': true }] }, { field: 'filter.n.0', message: /"anything-but" takes/ }],
    ['anything-but, suffix', { n: [{ 'anything-but': { suffix: 'x' } }] }, { field: 'filter.n.0', message: /\{"prefix": "..."\}/ }],
    [
      'deeper than the limit',
      nested(MAX_FILTER_DEPTH + 1, ['x']),
      { field: `filter.${Array.from({ length: MAX_FILTER_DEPTH }, (_, i) => `l${i + 1}`).join('.')}`, message: /deeper than 10 levels/ },
    ],
    [
      'larger than the limit',
      { note: ['x'.repeat(MAX_FILTER_BYTES)] },
      { field: 'filter', message: new RegExp(`at most ${MAX_FILTER_BYTES}`) },
    ],
  ])('refuses %s', (_name, filter, expected) => {
    const problems = checkPayloadFilter('filter', filter);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.field).toBe(expected.field);
    expect(problems[0]!.message).toMatch(expected.message);
  });

  it('accepts a filter of exactly the size limit', () => {
    const base = JSON.stringify({ note: [''] }).length;
    expect(checkPayloadFilter('filter', { note: ['x'.repeat(MAX_FILTER_BYTES - base)] })).toEqual([]);
  });

  it('names every problem at once', () => {
    const problems = checkPayloadFilter('filter', { a: [], b: { c: 'x' }, d: [{ prefix: 1 }, 'ok', { numeric: [] }] });
    expect(problems.map((p) => p.field)).toEqual(['filter.a', 'filter.b.c', 'filter.d.0', 'filter.d.2']);
  });
});
