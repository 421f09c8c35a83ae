import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { type CatalogEntry, createCatalog, loadCatalog } from '../../functions/domain/catalog.js';

/** The catalog is whatever events/ holds: one file per type, each schema sound and its example valid. */
describe('event catalog', () => {
  const catalog = loadCatalog();

  it('has one entry per file in events/, including every type the seeds name', () => {
    const files = readdirSync(join(import.meta.dirname, '..', '..', 'events')).filter((f) => f.endsWith('.json'));
    expect(catalog.types).toHaveLength(files.length);
    expect(catalog.types).toEqual(
      expect.arrayContaining([
        'kyc.verification.success',
        'kyc.verification.failure',
        'kyc.verification.error',
        'kyc.verification.timeout',
        'card.created',
        'account.history.ready',
        'transactions',
      ]),
    );
  });

  it.each(loadCatalog().entries.map((e) => [e.type, e] as const))('%s: its example fits its schema', (type, entry) => {
    expect(entry.description.length).toBeGreaterThan(10);
    expect(entry.schema.type).toBe('object');
    expect(catalog.validateData(type, entry.example)).toBeNull();
  });

  it('names what is wrong with data that does not fit, and knows no other type', () => {
    expect(catalog.validateData('card.created', { card_id: 'c', last_four: 'abcd' })).toEqual(
      expect.arrayContaining([
        expect.stringContaining("must have required property 'customer_id'"),
        expect.stringMatching(/^data\.last_four must match pattern/),
      ]),
    );
    expect(catalog.validateData('transactions', [])).toEqual(['data must be object']);
    expect(catalog.has('card.deleted')).toBe(false);
    expect(catalog.validateData('card.deleted', {})).toEqual(['unknown event type card.deleted']);
  });

  it('refuses a catalog file that is misnamed or incomplete', () => {
    const dir = mkdtempSync(join(tmpdir(), 'catalog-'));
    try {
      writeFileSync(join(dir, 'a.b.json'), JSON.stringify({ type: 'x.y', description: 'd', schema: { type: 'object' }, example: {} }));
      expect(() => loadCatalog(dir)).toThrow(/declares type x.y; name the file after its type/);
      rmSync(join(dir, 'a.b.json'));
      writeFileSync(join(dir, 'a.b.json'), JSON.stringify({ type: 'a.b' }));
      expect(() => loadCatalog(dir)).toThrow(/needs "type", "description", "schema" and "example"/);
      expect(() => loadCatalog(join(dir, 'missing'))).toThrow(/does not exist/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A catalog of one type, `test.thing`, whose data schema is the one given. */
const catalogOf = (schema: Record<string, unknown>) =>
  createCatalog([{ type: 'test.thing', description: 'a test type', schema, example: {} } satisfies CatalogEntry]);

/** Every `format` the schemas in events/ use: each must be enforced, so each has cases below. */
function formatsIn(node: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(node)) for (const n of node) formatsIn(n, found);
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'format' && typeof value === 'string') found.add(value);
      else formatsIn(value, found);
    }
  }
  return found;
}

const FORMAT_CASES: Record<string, { valid: string[]; invalid: string[] }> = {
  'date-time': {
    valid: ['2026-03-01T00:00:00.000Z', '2026-03-01T10:20:30+02:00', '2026-03-01t10:20:30z'],
    invalid: ['2026-03-01', '2026-03-01T10:20:30', '2026-13-01T00:00:00Z', '2026-02-30T00:00:00Z', 'yesterday', '2026-03-01T25:00:00Z'],
  },
  date: { valid: ['2026-03-01', '2024-02-29'], invalid: ['2026-3-1', '2025-02-29', '2026-03-01T00:00:00Z', '01/03/2026'] },
  uri: {
    valid: ['https://a.example/x?y=1#z', 'urn:isbn:0451450523', 'mailto:ops@example.com'],
    invalid: ['a.example/x', '/relative/path', 'https://a b.example/', 'not a uri'],
  },
  email: {
    valid: ['ops@example.com', 'first.last+tag@sub.example.org'],
    invalid: ['ops@', '@example.com', 'ops example.com', '.ops@example.com'],
  },
  uuid: {
    valid: ['0c7ad3a2-1b6e-4bb5-9ad1-3f0f1b8f9d51', '0C7AD3A2-1B6E-4BB5-9AD1-3F0F1B8F9D51'],
    invalid: ['0c7ad3a2-1b6e-4bb5-9ad1-3f0f1b8f9d5', '0c7ad3a21b6e4bb59ad13f0f1b8f9d51', 'not-a-uuid'],
  },
};

describe('event data validation', () => {
  it('enforces every format the catalog uses (and email and uuid, which operators reach for)', () => {
    const used = formatsIn(loadCatalog().entries.map((e) => e.schema));
    expect([...used].sort()).toEqual(expect.arrayContaining(['date-time', 'uri']));
    for (const format of used) expect(FORMAT_CASES, `no cases for format ${format}, used in events/`).toHaveProperty([format]);
    for (const [format, { valid, invalid }] of Object.entries(FORMAT_CASES)) {
      const catalog = catalogOf({ type: 'object', properties: { at: { type: 'string', format } } });
      for (const at of valid) expect(catalog.validateData('test.thing', { at }), `${format}: ${at}`).toBeNull();
      for (const at of invalid)
        expect(catalog.validateData('test.thing', { at }), `${format}: ${at}`).toEqual([`data.at must match format "${format}"`]);
    }
  });

  it('says, one line each, what is wrong: required, type, enum, pattern, a property not allowed', () => {
    const catalog = catalogOf({
      type: 'object',
      required: ['id', 'kind'],
      additionalProperties: false,
      properties: {
        id: { type: 'string', minLength: 1 },
        kind: { type: 'string', enum: ['debit', 'credit'] },
        code: { type: 'string', pattern: '^[A-Z]{3}$' },
        count: { type: 'integer', minimum: 1 },
      },
    });
    expect(catalog.validateData('test.thing', { id: 'a', kind: 'debit', code: 'USD', count: 2 })).toBeNull();
    expect(catalog.validateData('test.thing', { kind: 'debit' })).toEqual(["data must have required property 'id'"]);
    expect(catalog.validateData('test.thing', { id: 7, kind: 'debit' })).toEqual(['data.id must be string']);
    expect(catalog.validateData('test.thing', { id: '', kind: 'debit' })).toEqual(['data.id must NOT have fewer than 1 characters']);
    expect(catalog.validateData('test.thing', { id: 'a', kind: 'cash' })).toEqual(['data.kind must be one of "debit", "credit"']);
    expect(catalog.validateData('test.thing', { id: 'a', kind: 'debit', code: 'usd' })).toEqual([
      'data.code must match pattern "^[A-Z]{3}$"',
    ]);
    expect(catalog.validateData('test.thing', { id: 'a', kind: 'debit', count: 1.5 })).toEqual(['data.count must be integer']);
    expect(catalog.validateData('test.thing', { id: 'a', kind: 'debit', count: 0 })).toEqual(['data.count must be >= 1']);
    expect(catalog.validateData('test.thing', { id: 'a', kind: 'debit', colour: 'red' })).toEqual(['data.colour is not allowed']);
    // Several bad fields: a line each, every one found at once.
    expect(catalog.validateData('test.thing', { id: 7, kind: 'cash', code: 'usd', colour: 'red', size: 2 })).toEqual([
      'data.id must be string',
      'data.kind must be one of "debit", "credit"',
      'data.code must match pattern "^[A-Z]{3}$"',
      'data.colour is not allowed',
      'data.size is not allowed',
    ]);
  });

  it('names nested fields and array items by their dotted path, through $ref to $defs', () => {
    const catalog = catalogOf({
      type: 'object',
      $defs: {
        money: {
          type: 'object',
          required: ['amount', 'currency'],
          properties: { amount: { type: 'string', pattern: '^[0-9]+$' }, currency: { type: 'string' } },
        },
        item: { type: 'object', required: ['sku'], properties: { sku: { type: 'string' }, price: { $ref: '#/$defs/money' } } },
      },
      properties: {
        order: {
          type: 'object',
          properties: { total: { $ref: '#/$defs/money' }, items: { type: 'array', minItems: 1, items: { $ref: '#/$defs/item' } } },
        },
        tags: { type: 'array', items: { type: 'string', enum: ['a', 'b'] } },
      },
    });
    const good = {
      order: { total: { amount: '10', currency: 'EUR' }, items: [{ sku: 'x', price: { amount: '10', currency: 'EUR' } }] },
      tags: ['a'],
    };
    expect(catalog.validateData('test.thing', good)).toBeNull();
    expect(
      catalog.validateData('test.thing', {
        order: { total: { amount: 'ten', currency: 'EUR' }, items: [{ sku: 'x', price: { amount: '1' } }, { sku: 5 }] },
        tags: ['a', 'c'],
      }),
    ).toEqual([
      'data.order.total.amount must match pattern "^[0-9]+$"',
      "data.order.items.0.price must have required property 'currency'",
      'data.order.items.1.sku must be string',
      'data.tags.1 must be one of "a", "b"',
    ]);
    expect(catalog.validateData('test.thing', { order: { items: [] } })).toEqual(['data.order.items must NOT have fewer than 1 items']);
    expect(catalog.validateData('test.thing', { order: 'x' })).toEqual(['data.order must be object']);
  });

  it('reports an allOf or a $ref failure once, at the field, and a failed anyOf or oneOf as one line', () => {
    const catalog = catalogOf({
      type: 'object',
      $defs: { id: { type: 'string', minLength: 3 } },
      allOf: [{ required: ['a'] }, { properties: { b: { $ref: '#/$defs/id' } } }],
      properties: { c: { anyOf: [{ type: 'string' }, { type: 'integer' }] } },
    });
    expect(catalog.validateData('test.thing', { a: 1, b: 'abc', c: 2 })).toBeNull();
    expect(catalog.validateData('test.thing', { b: 'x', c: true })).toEqual([
      "data must have required property 'a'",
      'data.b must NOT have fewer than 3 characters',
      'data.c must match at least one schema in "anyOf"',
    ]);
    // What each alternative refused is not a problem of its own: the other may allow it.
    const either = catalogOf({
      type: 'object',
      properties: {
        d: {
          oneOf: [
            { properties: { x: {} }, additionalProperties: false },
            { properties: { y: {} }, additionalProperties: false },
          ],
        },
      },
      additionalProperties: false,
    });
    expect(either.validateData('test.thing', { d: { x: 1 } })).toBeNull();
    expect(either.validateData('test.thing', { d: { x: 1, y: 2 }, e: 1 })).toEqual([
      'data.d must match exactly one schema in "oneOf"',
      'data.e is not allowed',
    ]);
  });

  /** A table of schemas and data where ajv (the validator the OpenAPI tests use) is the referee of valid or not. */
  const AGREEMENT: [string, Record<string, unknown>, unknown[]][] = [
    [
      'types',
      {
        type: 'object',
        properties: { s: { type: 'string' }, n: { type: 'number' }, i: { type: 'integer' }, b: { type: 'boolean' }, z: { type: 'null' } },
      },
      [
        {},
        { s: 's', n: 1.5, i: 2, b: false, z: null },
        { s: 1 },
        { n: '1' },
        { i: 1.5 },
        { i: 1.0 },
        { b: 'true' },
        { z: 0 },
        [],
        'x',
        null,
      ],
    ],
    [
      'required and additionalProperties',
      { type: 'object', required: ['a'], properties: { a: {} }, additionalProperties: false },
      [{ a: 1 }, {}, { a: 1, b: 2 }, { b: 2 }],
    ],
    [
      'enum, const and pattern',
      { type: 'object', properties: { e: { enum: ['x', 1, null] }, c: { const: 'k' }, p: { type: 'string', pattern: '^a+$' } } },
      [{ e: 'x', c: 'k', p: 'aa' }, { e: 1 }, { e: null }, { e: 'y' }, { c: 'K' }, { p: 'ab' }, { p: '' }],
    ],
    [
      'bounds',
      {
        type: 'object',
        properties: {
          n: { type: 'number', minimum: 0, exclusiveMaximum: 10, multipleOf: 0.5 },
          s: { type: 'string', maxLength: 3 },
          l: { type: 'array', maxItems: 2, uniqueItems: true },
        },
      },
      [
        { n: 0, s: 'abc', l: [1, 2] },
        { n: -1 },
        { n: 10 },
        { n: 9.5 },
        { n: 0.3 },
        { s: 'abcd' },
        { s: '😀😀😀' },
        { l: [1, 2, 3] },
        { l: [1, 1] },
      ],
    ],
    [
      '$ref and $defs',
      {
        type: 'object',
        $defs: { pos: { type: 'integer', minimum: 1 } },
        properties: { a: { $ref: '#/$defs/pos' }, l: { type: 'array', items: { $ref: '#/$defs/pos' } } },
      },
      [{ a: 1, l: [1, 2] }, { a: 0 }, { l: [1, 0] }, { l: ['1'] }],
    ],
    ...Object.entries(FORMAT_CASES).map(([format, { valid, invalid }]): [string, Record<string, unknown>, unknown[]] => [
      `format ${format}`,
      { type: 'object', properties: { f: { type: 'string', format } } },
      [...valid, ...invalid].map((f) => ({ f })),
    ]),
    ...loadCatalog().entries.map((e): [string, Record<string, unknown>, unknown[]] => [
      `${e.type} from events/`,
      e.schema,
      [e.example, {}, { ...e.example, ...Object.fromEntries(Object.keys(e.example).map((k) => [k, 12345])) }],
    ]),
  ];

  it.each(AGREEMENT)('agrees with ajv on what is valid: %s', (_, schema, samples) => {
    const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
    const ajvCheck = addFormats(new Ajv2020({ allErrors: true, strict: false })).compile(schema);
    const catalog = catalogOf(schema);
    for (const data of samples) {
      const problems = catalog.validateData('test.thing', data);
      expect(problems === null, `${JSON.stringify(data)}: ${JSON.stringify(problems)} vs ajv ${JSON.stringify(ajvCheck.errors)}`).toBe(
        ajvCheck(data),
      );
      if (problems) for (const line of problems) expect(line).toMatch(/^data(\.\S+)? \S/);
    }
  });
});
