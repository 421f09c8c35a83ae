import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../functions/domain/catalog.js';

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
