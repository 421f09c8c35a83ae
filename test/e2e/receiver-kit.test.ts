import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSecret, signatureFor, signHeaders, verifySignature } from '../../functions/domain/signing.js';
import { VERIFICATION_EVENT_TYPE } from '../../functions/domain/verification.js';
import { addTenant, as, startTestPipeline, type TestPipeline } from '../support/local.js';
import { buildExample, checkToolchain, RECEIVER_EXAMPLES, type RunningExample, startExample } from '../support/receiver-examples.js';
import { eventually } from '../support/wait.js';

/**
 * The receiver kit (examples/receivers/<language>/) against our real signer: each example runs as
 * a child process, subscribed through local mode in `challenge` verification mode (a new
 * deployment's), answers the endpoint verification handshake, and gets webhooks from our sender
 * (before and after a secret rotation, and again by a manual retry), then requests signed here with
 * functions/domain/signing.ts that it must refuse or acknowledge without processing. A missing
 * toolchain fails its language's test with how to install it.
 *
 * The contract every example keeps (examples/receivers/README.md): 200 `accepted` and one
 * `processed <id> <type>` line; 200 `duplicate` and a `duplicate <id>` line for a webhook-id it
 * has accepted before; 200 `{"challenge": ...}` (application/json) and a `verification <id>` line
 * for every verification event, never processed nor remembered; 400 or 401 with the reason as the
 * body for anything it refuses.
 */

const TOLERANCE = 5 * 60;
const nowSeconds = () => Math.floor(Date.now() / 1000);
// Non-ASCII, an emoji and spacing a re-serialised body would lose: the signature covers the bytes.
const HOLDER = 'Zoë Ærø, 東京 🎉';

describe('receiver kit: each example verifies our real signatures', { timeout: 120_000 }, () => {
  let pipeline: TestPipeline;
  beforeAll(async () => {
    pipeline = await startTestPipeline({ verification: 'challenge' });
  });
  afterAll(async () => {
    await pipeline?.stop();
  });

  // One tenant each, so that the languages run side by side without seeing each other's events.
  it.concurrent.for(RECEIVER_EXAMPLES)('$language', async (example, { expect }) => {
    const versions = await checkToolchain(example);
    console.log(`receiver kit, ${example.language}: ${versions.join('; ')}`);
    const out = mkdtempSync(join(tmpdir(), `receiver-kit-${example.language}-`));
    let receiver: RunningExample | undefined;
    try {
      await buildExample(example, out);
      const auth = as(await addTenant(pipeline, `${example.language} receiver`));
      const call = (method: string, path: string, body?: unknown) => pipeline.call(method, path, body, auth);

      // The tenant's order of things: subscribe, get the secret, configure the receiver with it, enable.
      const created = await call('POST', '/api/v0.1/webhooks', {
        url: 'http://127.0.0.1:9/not-yet',
        events: ['card.created', 'kyc.verification.success'],
        description: `${example.language} example receiver`,
        status: 'STATUS_DISABLED',
      });
      expect(created.status).toBe(201);
      const subscription = created.body.webhook_subscription.id as string;
      const secret = created.body.webhook_subscription.secret as string;
      receiver = await startExample(example, out, secret);
      const rx = receiver;
      expect((await call('PATCH', `/api/v0.1/webhooks/${subscription}`, { url: rx.url, status: 'STATUS_ENABLED' })).status).toBe(200);

      const publish = async (type: string, data: unknown): Promise<string> => {
        const res = await call('POST', '/api/v0.1/events', { type, data });
        expect(res.status).toBe(202);
        return res.body.id as string;
      };
      const processedLine = (id: string) => (l: string) => l.startsWith(`processed ${id} `);
      const deliveries = async () => {
        const res = await call('GET', `/api/v0.1/webhooks/${subscription}/deliveries?limit=50`);
        expect(res.status).toBe(200);
        return res.body.deliveries as {
          id: string;
          event_id: string;
          event_type: string;
          status: string;
          attempts: number;
          last_status_code: number;
        }[];
      };
      const deliveryOf = (eventId: string, attempts: number) =>
        eventually(
          `the delivery of ${eventId} to be recorded succeeded after ${attempts} attempt(s)`,
          async () => {
            const d = (await deliveries()).find((x) => x.event_id === eventId);
            if (d && d.attempts > attempts) throw new Error(`${d.attempts} attempts, the last answered ${d.last_status_code}`);
            return d?.status === 'succeeded' && d.attempts === attempts ? d : undefined;
          },
          30_000,
        );

      // 0. Enabling it sent the verification handshake: the receiver echoes the challenge, and the
      // subscription is verified before it gets anything else.
      const verification = await eventually(
        `the ${example.language} receiver to verify its subscription`,
        async () => {
          const res = await call('GET', `/api/v0.1/webhooks/${subscription}`);
          expect(res.status).toBe(200);
          const v = res.body.webhook_subscription.verification as { status: string; mode: string; last_error: string | null };
          if (v.status !== 'verified' && v.last_error) throw new Error(`${v.status}: ${v.last_error}`);
          return v.status === 'verified' ? v : undefined;
        },
        45_000,
      );
      expect(verification).toMatchObject({ status: 'verified', mode: 'challenge' });
      const handshake = (await deliveries()).find((d) => d.event_type === VERIFICATION_EVENT_TYPE && d.status === 'succeeded');
      expect(handshake?.last_status_code).toBe(200);
      const handshakeId = handshake!.event_id;
      await rx.waitForLine(`verification ${handshakeId}`, (l) => l === `verification ${handshakeId}`);

      // 1. Our sender's webhooks are accepted on their first attempt.
      const card = await publish('card.created', { card_id: 'c_1', customer_id: 'u_1', holder: HOLDER });
      const kyc = await publish('kyc.verification.success', { customer_id: 'u_1', status: 'success' });
      await rx.waitForLine(`processed ${card}`, processedLine(card));
      await rx.waitForLine(`processed ${kyc}`, processedLine(kyc));
      const cardDelivery = await deliveryOf(card, 1);
      expect(cardDelivery.last_status_code).toBe(200);
      expect((await deliveryOf(kyc, 1)).last_status_code).toBe(200);

      // 2. After a rotation the sender signs with the new secret first and the old one second; the
      // receiver, still configured with the old one, must find it among the signatures.
      const rotated = await call('POST', `/api/v0.1/webhooks/${subscription}/secret/rotate`);
      expect(rotated.status).toBe(200);
      expect(rotated.body.webhook_subscription.secret).not.toBe(secret);
      const afterRotation = await publish('card.created', { card_id: 'c_2', customer_id: 'u_1' });
      await rx.waitForLine(`processed ${afterRotation}`, processedLine(afterRotation));
      await deliveryOf(afterRotation, 1);

      // 3. A replay by our sender: a manual retry sends the same webhook-id again. 200, not processed again.
      expect((await call('POST', `/api/v0.1/webhooks/${subscription}/deliveries/${cardDelivery.id}/retry`)).status).toBe(202);
      await rx.waitForLine(`duplicate ${card}`, (l) => l === `duplicate ${card}`);
      expect((await deliveryOf(card, 2)).last_status_code).toBe(200);

      // 4. Requests signed here with our signer.
      const post = async (headers: Record<string, string>, body: string) => {
        const res = await fetch(rx.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
        return { status: res.status, text: (await res.text()).trim() };
      };
      let n = 0;
      const newId = () => `msg_${example.language}_${++n}_${Date.now()}`;
      const bodyOf = (id: string, data: unknown = { card_id: 'c_3', customer_id: 'u_1' }) =>
        JSON.stringify({ id, type: 'card.created', timestamp: new Date().toISOString(), data });
      const signed = (id: string, body: string, at = nowSeconds(), secrets = [secret]) => ({
        headers: signHeaders(secrets, id, at, body),
        body,
      });
      const send = (m: { headers: Record<string, string>; body: string }) => post(m.headers, m.body);
      const accepted = { status: 200, text: 'accepted' };
      const duplicate = { status: 200, text: 'duplicate' };
      const refused = (status: number, text: string) => ({ status, text });

      const wrongSecret = newId();
      expect(await send(signed(wrongSecret, bodyOf(wrongSecret), nowSeconds(), [generateSecret()]))).toEqual(
        refused(401, 'no matching signature'),
      );
      const tampered = newId();
      const good = signed(tampered, bodyOf(tampered));
      expect(await post(good.headers, good.body.replace('c_3', 'c_4'))).toEqual(refused(401, 'no matching signature'));
      const stale = newId();
      expect(await send(signed(stale, bodyOf(stale), nowSeconds() - 2 * TOLERANCE))).toEqual(refused(400, 'timestamp too old'));
      const future = newId();
      expect(await send(signed(future, bodyOf(future), nowSeconds() + 2 * TOLERANCE))).toEqual(refused(400, 'timestamp too new'));
      const unsigned = newId();
      const { 'webhook-signature': _, ...noSignature } = signed(unsigned, bodyOf(unsigned)).headers;
      expect(await post(noSignature, bodyOf(unsigned))).toEqual(
        refused(400, 'missing webhook-id, webhook-timestamp or webhook-signature header'),
      );
      // Verified before parsed: a body that is not JSON is refused for its signature first.
      const notJson = newId();
      expect(await send(signed(notJson, 'not json {', nowSeconds(), [generateSecret()]))).toEqual(refused(401, 'no matching signature'));
      expect(await send(signed(notJson, 'not json {'))).toEqual(refused(400, 'body is not JSON'));

      // Verification events, signed here: the challenge echoed as JSON every time, the handshake's own
      // webhook-id again included (a retry of it is answered again, not taken for a duplicate).
      const challengeAnswer = async (id: string, challenge: string) => {
        const body = JSON.stringify({
          id,
          type: VERIFICATION_EVENT_TYPE,
          timestamp: new Date().toISOString(),
          data: { subscription_id: subscription, url: rx.url, challenge },
        });
        const m = signed(id, body);
        const res = await fetch(rx.url, { method: 'POST', headers: { 'content-type': 'application/json', ...m.headers }, body: m.body });
        const type = res.headers.get('content-type');
        const text = await res.text();
        // Parsed only as JSON: a wrong answer ('duplicate', a refusal) shows as it came.
        return { status: res.status, type, body: type === 'application/json' ? (JSON.parse(text) as unknown) : text };
      };
      const echo = (challenge: string) => ({ status: 200, type: 'application/json', body: { challenge } });
      const again = newId();
      expect(await challengeAnswer(again, 'Vb0Qq2lH3z3cFZ8xJk9tQm1rYw4sPe7d')).toEqual(echo('Vb0Qq2lH3z3cFZ8xJk9tQm1rYw4sPe7d'));
      expect(await challengeAnswer(again, 'another-challenge_0123456789abcd')).toEqual(echo('another-challenge_0123456789abcd'));
      expect(await challengeAnswer(handshakeId, 'Xy-_0123456789abcdefghijklmnopqr')).toEqual(echo('Xy-_0123456789abcdefghijklmnopqr'));
      // Verified first, like any webhook.
      const forged = newId();
      const forgedBody = JSON.stringify({ id: forged, type: VERIFICATION_EVENT_TYPE, data: { challenge: 'c' } });
      expect(await send(signed(forged, forgedBody, nowSeconds(), [generateSecret()]))).toEqual(refused(401, 'no matching signature'));

      // Inside the 5 minutes on either side: accepted.
      const older = newId();
      expect(await send(signed(older, bodyOf(older), nowSeconds() - TOLERANCE + 60))).toEqual(accepted);
      const newer = newId();
      expect(await send(signed(newer, bodyOf(newer), nowSeconds() + TOLERANCE - 60))).toEqual(accepted);
      // Several signatures, as during a rotation: unknown versions and others' signatures are passed over.
      const rotation = newId();
      const rotationBody = bodyOf(rotation);
      const at = nowSeconds();
      const entries = [
        signatureFor(generateSecret(), rotation, at, rotationBody),
        `v2,${signatureFor(secret, rotation, at, rotationBody).slice(3)}`,
        signatureFor(secret, rotation, at, rotationBody),
      ];
      const rotationHeaders = { 'webhook-id': rotation, 'webhook-timestamp': String(at), 'webhook-signature': entries.join(' ') };
      expect(await post(rotationHeaders, rotationBody)).toEqual(accepted);
      // Only v1 signatures count, even one made with the right key.
      const v2 = newId();
      const v2Body = bodyOf(v2);
      const v2Headers = { ...signHeaders([secret], v2, at, v2Body) };
      v2Headers['webhook-signature'] = v2Headers['webhook-signature'].replace(/^v1,/, 'v2,');
      expect(await post(v2Headers, v2Body)).toEqual(refused(401, 'no matching signature'));
      // Verified over the bytes as sent (spacing, non-ASCII, an emoji), not over re-serialised JSON.
      const raw = newId();
      const rawBody = `{ "id" : "${raw}",\n  "type":"card.created",  "timestamp":"2026-01-01T00:00:00.000Z",\n  "data": {"card_id":"c_5","customer_id":"u_1","holder":"${HOLDER}"} }`;
      expect(await send(signed(raw, rawBody))).toEqual(accepted);

      // Replays: the very same request again, and our sender's event with a fresh timestamp and signature.
      expect(await post(rotationHeaders, rotationBody)).toEqual(duplicate);
      expect(await send(signed(kyc, bodyOf(kyc)))).toEqual(duplicate);
      // A captured request replayed after the tolerance is refused for its age, accepted id or not.
      expect(await send(signed(older, bodyOf(older), nowSeconds() - 2 * TOLERANCE))).toEqual(refused(400, 'timestamp too old'));

      // Standard output keeps its order: once the last duplicate is read, every earlier line is too.
      await rx.waitForLine(`duplicate ${kyc}`, (l) => l === `duplicate ${kyc}`);
      expect(rx.lines.filter((l) => l.startsWith('duplicate '))).toEqual([
        `duplicate ${card}`,
        `duplicate ${rotation}`,
        `duplicate ${kyc}`,
      ]);
      // The handshakes answered, none of them processed (the list below) or remembered (the duplicates
      // above); the sender's may have been attempted more than once.
      expect(new Set(rx.lines.filter((l) => l.startsWith('verification ')))).toEqual(
        new Set([`verification ${handshakeId}`, `verification ${again}`]),
      );
      // Each accepted webhook processed exactly once; nothing refused processed at all. (Our sender's
      // first two may arrive in either order.)
      expect(rx.processed().sort()).toEqual(
        [
          [card, 'card.created'],
          [kyc, 'kyc.verification.success'],
          [afterRotation, 'card.created'],
          [older, 'card.created'],
          [newer, 'card.created'],
          [rotation, 'card.created'],
          [raw, 'card.created'],
        ].sort(),
      );
    } finally {
      await receiver?.stop();
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('the receiver guide', () => {
  it("shows a request whose signature is right for its secret, body and timestamp (the guide's test vector)", () => {
    const guide = readFileSync(new URL('../../docs/receiving-webhooks.md', import.meta.url), 'utf8');
    const request = /```http\n([\s\S]*?)\n```/.exec(guide)![1]!;
    const [head, body] = request.split('\n\n') as [string, string];
    const headers = Object.fromEntries(
      head
        .split('\n')
        .slice(1)
        .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]),
    );
    const secret = /With the secret `(whsec_[^`]+)`/.exec(guide)![1]!;
    const at = Number(headers['webhook-timestamp']);
    expect(new Date(at * 1000).toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(() => verifySignature(secret, headers, body, { nowSeconds: at })).not.toThrow();
    expect(signHeaders([secret], headers['webhook-id']!, at, body)['webhook-signature']).toBe(headers['webhook-signature']);
    expect(JSON.parse(body).id).toBe(headers['webhook-id']);
    // And a public Standard Webhooks library agrees.
    expect(new Webhook(secret).sign(headers['webhook-id']!, new Date(at * 1000), body)).toBe(headers['webhook-signature']);
  });
});
