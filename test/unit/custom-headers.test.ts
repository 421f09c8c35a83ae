import { describe, expect, it } from 'vitest';
import { SubscriptionService } from '../../functions/app/subscriptions.js';
import { LOCAL_POLICY } from '../../functions/domain/address-policy.js';
import { loadCatalog } from '../../functions/domain/catalog.js';
import {
  checkCustomHeaders,
  MAX_CUSTOM_HEADERS,
  MAX_CUSTOM_HEADERS_BYTES,
  MAX_HEADER_VALUE_CHARS,
  maskHeaderValue,
} from '../../functions/domain/custom-headers.js';
import { CreateSubscriptionV0, CreateSubscriptionV01, parseBody, UpdateSubscriptionV01 } from '../../functions/domain/requests.js';
import { MIN_SECONDS_BETWEEN_ROTATIONS, parseSecretSet } from '../../functions/domain/secret-set.js';
import { toV0View, toV01View } from '../../functions/domain/views.js';
import { MemorySecrets, MemorySubscriptions } from '../support/memory-ports.js';

const fields = (problems: { field: string }[]) => problems.map((p) => p.field);

describe('custom headers: validation', () => {
  it('takes a few well-formed headers', () => {
    expect(checkCustomHeaders('headers', { 'X-Api-Key': 'k_live_5f2b9c1e7a', Authorization: 'Bearer abc def' })).toEqual([]);
  });

  it.each([
    'webhook-signature',
    'Webhook-Signature',
    'WEBHOOK-ID',
    'webhook-timestamp',
    'webhook-anything',
    'content-type',
    'Content-Length',
    'user-agent',
    'connection',
    'keep-alive',
    'proxy-authorization',
    'Proxy-Connection',
    'te',
    'trailer',
    'transfer-encoding',
    'upgrade',
    'host',
  ])('refuses %s, a header the sender sets or the connection owns, whatever its case', (name) => {
    const problems = checkCustomHeaders('headers', { [name]: 'x' });
    expect(fields(problems)).toEqual([`headers.${name}`]);
  });

  it.each(['', 'X Api', 'X:Key', 'X-Ké', 'a\r\nb', 'x'.repeat(101), '(x)'])('refuses the name %j, not an HTTP token', (name) => {
    expect(fields(checkCustomHeaders('headers', { [name]: 'v' }))).toEqual([`headers.${name}`]);
  });

  it.each([
    ['a line break', 'a\r\nInjected: yes'],
    ['a bare LF', 'a\nb'],
    ['a NUL', 'a\u0000b'],
    ['non-ASCII', 'clé'],
    ['empty', ''],
    ['a leading space', ' a'],
    ['too long', 'v'.repeat(MAX_HEADER_VALUE_CHARS + 1)],
  ])('refuses a value with %s', (_, value) => {
    expect(fields(checkCustomHeaders('headers', { 'X-Key': value }))).toEqual(['headers.X-Key']);
  });

  it('takes a value of exactly the longest length, with inner spaces and tabs', () => {
    expect(checkCustomHeaders('headers', { 'X-Key': 'v'.repeat(MAX_HEADER_VALUE_CHARS) })).toEqual([]);
    expect(checkCustomHeaders('headers', { 'X-Key': 'a b\tc' })).toEqual([]);
  });

  it('refuses a value that is not a string', () => {
    expect(checkCustomHeaders('headers', { 'X-Key': 5 })).toEqual([{ field: 'headers.X-Key', message: 'must be a string' }]);
  });

  it(`takes ${MAX_CUSTOM_HEADERS} headers and refuses one more`, () => {
    const five = Object.fromEntries(Array.from({ length: MAX_CUSTOM_HEADERS }, (_, i) => [`X-H${i}`, 'v']));
    expect(checkCustomHeaders('headers', five)).toEqual([]);
    expect(fields(checkCustomHeaders('headers', { ...five, 'X-One-More': 'v' }))).toEqual(['headers']);
  });

  it('refuses a name repeated in another case', () => {
    expect(fields(checkCustomHeaders('headers', { 'X-Key': 'a', 'x-key': 'b' }))).toEqual(['headers.x-key']);
  });

  it(`refuses more than ${MAX_CUSTOM_HEADERS_BYTES} bytes in all`, () => {
    const big = { 'X-A': 'a'.repeat(MAX_HEADER_VALUE_CHARS), 'X-B': 'b'.repeat(MAX_HEADER_VALUE_CHARS), 'X-C': 'c'.repeat(100) };
    expect(fields(checkCustomHeaders('headers', big))).toEqual(['headers']);
  });

  it('is a 400 in both API versions, named by the header', () => {
    const err = (() => {
      try {
        parseBody(CreateSubscriptionV01, {
          url: 'https://x.example',
          events: ['card.created'],
          headers: { 'webhook-signature': 'v1,forged' },
        });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toMatchObject({ statusCode: 400, code: 'validation_failed', details: [{ field: 'headers.webhook-signature' }] });
    expect(() =>
      parseBody(CreateSubscriptionV0, { callback_url: 'https://x.example', events: ['card.created'], headers: { Host: 'evil' } }),
    ).toThrow(expect.objectContaining({ statusCode: 400, details: [expect.objectContaining({ field: 'headers.Host' })] }));
    expect(() => parseBody(UpdateSubscriptionV01, { headers: ['X-Key'] })).toThrow(expect.objectContaining({ statusCode: 400 }));
    expect(parseBody(UpdateSubscriptionV01, { headers: null })).toEqual({ headers: null });
  });
});

describe('custom headers: masking', () => {
  it('shows at most the first 4 characters of a long value, nothing of a short one', () => {
    expect(maskHeaderValue('k_live_5f2b9c1e7a')).toBe('k_li…');
    expect(maskHeaderValue('short-secret')).toBe('shor…');
    expect(maskHeaderValue('elevenchars')).toBe('…');
    expect(maskHeaderValue('x')).toBe('…');
  });
});

const T = 'tnt_1';
function setUp() {
  const repo = new MemorySubscriptions();
  const secrets = new MemorySecrets();
  let now = Date.UTC(2026, 0, 1, 12);
  const service = new SubscriptionService({
    repo,
    secrets,
    catalog: loadCatalog(),
    policy: LOCAL_POLICY,
    secretNamePrefix: 'webhooks/test/',
    now: () => {
      now += 1000;
      return new Date(now);
    },
  });
  return { repo, secrets, service, advance: (seconds: number) => (now += seconds * 1000) };
}

describe('custom headers: stored with the secrets', () => {
  const key = { 'X-Api-Key': 'k_live_5f2b9c1e7a' };

  it('keeps the values in the stored secret set, not in the subscription, and answers them masked', async () => {
    const { secrets, service, repo } = setUp();
    const created = await service.create(T, { url: 'https://hooks.example.com/in', events: ['card.created'], headers: key });
    expect(parseSecretSet(await secrets.get(created.subscription.secretName)).headers).toEqual(key);
    expect(JSON.stringify(await repo.get(T, created.subscription.id))).not.toContain('k_live');
    const v01 = toV01View(created.subscription, created.secret, created.headers);
    const v0 = toV0View(created.subscription, created.secret, created.headers);
    expect(v01.headers).toEqual({ 'X-Api-Key': 'k_li…' });
    expect(v0.headers).toEqual({ 'X-Api-Key': 'k_li…' });
    expect(JSON.stringify([v01, v0])).not.toContain('k_live');
  });

  it('answers no headers field for a subscription without headers', async () => {
    const { service } = setUp();
    const created = await service.create(T, { url: 'https://hooks.example.com/in', events: ['card.created'], headers: {} });
    expect(created.headers).toBeUndefined();
    expect('headers' in toV01View(created.subscription, created.secret, created.headers)).toBe(false);
    expect('headers' in toV0View(created.subscription, created.secret, created.headers)).toBe(false);
  });

  it('keeps the headers through a rotation', async () => {
    const { secrets, service } = setUp();
    const { subscription } = await service.create(T, { url: 'https://hooks.example.com/in', events: ['card.created'], headers: key });
    const rotated = await service.rotateSecret(T, subscription.id, 60);
    expect(rotated.headers).toEqual(key);
    const set = parseSecretSet(await secrets.get(subscription.secretName));
    expect(set.headers).toEqual(key);
    expect(set.previous).toBeDefined();
  });

  it('rewrites them on an update, with a new secret version, keeping the secrets; leaves them when absent; removes them with null', async () => {
    const { secrets, service, advance } = setUp();
    const { subscription, secret } = await service.create(T, {
      url: 'https://hooks.example.com/in',
      events: ['card.created'],
      headers: key,
    });
    const other = { 'X-Other': 'another-value-here' };
    const updated = await service.update(T, subscription.id, () => ({ headers: other }));
    expect(updated.secret).toBe(secret);
    expect(updated.headers).toEqual(other);
    expect(updated.subscription.secretVersion).toBeDefined();
    expect(parseSecretSet(await secrets.get(subscription.secretName))).toEqual({ current: secret, headers: other });

    const untouched = await service.update(T, subscription.id, () => ({ description: 'd' }));
    expect(untouched.headers).toEqual(other);
    expect(untouched.subscription.secretVersion).toBe(updated.subscription.secretVersion);

    advance(MIN_SECONDS_BETWEEN_ROTATIONS);
    const removed = await service.update(T, subscription.id, () => ({ headers: null }));
    expect(removed.headers).toBeUndefined();
    expect(parseSecretSet(await secrets.get(subscription.secretName))).toEqual({ current: secret });
    expect(removed.subscription.secretVersion).not.toBe(updated.subscription.secretVersion);
  });

  it('shares the rotation window: new headers right after a rotation are a 429 that changes nothing; the same headers again are not', async () => {
    const { secrets, service, repo, advance } = setUp();
    const { subscription } = await service.create(T, { url: 'https://hooks.example.com/in', events: ['card.created'], headers: key });
    await service.rotateSecret(T, subscription.id, 60);
    const stored = await secrets.get(subscription.secretName);
    const record = await repo.get(T, subscription.id);
    advance(60);
    const err = await service
      .update(T, subscription.id, () => ({ headers: { 'X-Api-Key': 'other' }, description: 'd' }))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({
      statusCode: 429,
      code: 'rotation_rate_limited',
      message: expect.stringContaining('custom headers'),
    });
    expect(await secrets.get(subscription.secretName)).toBe(stored);
    expect(await repo.get(T, subscription.id)).toEqual(record);
    // Unchanged headers write nothing, so they need no window.
    await expect(service.update(T, subscription.id, () => ({ headers: { ...key }, description: 'd' }))).resolves.toMatchObject({
      headers: key,
    });
    expect(await secrets.get(subscription.secretName)).toBe(stored);
    // And a change of headers holds back the next rotation likewise.
    advance(MIN_SECONDS_BETWEEN_ROTATIONS);
    await service.update(T, subscription.id, () => ({ headers: { 'X-Api-Key': 'other' } }));
    await expect(service.rotateSecret(T, subscription.id, 60)).rejects.toMatchObject({ statusCode: 429 });
  });

  it('lets one of a change of headers and a rotation at the same moment through, so neither loses the other', async () => {
    const { secrets, service } = setUp();
    const { subscription } = await service.create(T, { url: 'https://hooks.example.com/in', events: ['card.created'] });
    const results = await Promise.allSettled([
      service.update(T, subscription.id, () => ({ headers: { 'X-A': 'a' } })),
      service.rotateSecret(T, subscription.id, 60),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const set = parseSecretSet(await secrets.get(subscription.secretName));
    if (results[0].status === 'fulfilled') expect(set).toEqual({ current: results[0].value.secret, headers: { 'X-A': 'a' } });
    else expect(set.previous).toBeDefined();
  });

  it('lists them with each subscription', async () => {
    const { service } = setUp();
    await service.create(T, { url: 'https://hooks.example.com/a', events: ['card.created'], headers: key });
    await service.create(T, { url: 'https://hooks.example.com/b', events: ['card.created'] });
    const page = await service.list(T, { limit: 10 });
    expect(page.items.map((i) => i.headers).filter(Boolean)).toEqual([key]);
  });
});
