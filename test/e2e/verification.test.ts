import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifySignature } from '../../functions/domain/signing.js';
import { VERIFICATION_EVENT_TYPE, VERIFICATION_MODE_ENV, type VerificationMode } from '../../functions/domain/verification.js';
import { startTestPipeline, type TestPipeline } from '../support/local.js';
import { runNpmStart, startLocalProcess } from '../support/local-process.js';
import { type ReceivedRequest, type Receiver, startReceiver } from '../support/receiver.js';
import { eventually, queuesSettled } from '../support/wait.js';

/**
 * Endpoint verification end to end in local mode (docs/tenants/api.md, "Endpoint verification"), with real
 * receivers on loopback: a verification request must be answered, within the attempt timeout, by
 * a 2xx echoing its challenge at the subscribed URL, and until it is the subscription gets
 * nothing else; what was published meanwhile goes out after.
 */

/** The API page's receiver lines, run as written after a signature check. */
const README_LINES = (() => {
  const readme = readFileSync(new URL('../../docs/tenants/api.md', import.meta.url), 'utf8');
  const m = /<!-- verification-receiver -->\s*```js\n([\s\S]*?)```/.exec(readme);
  if (!m) throw new Error('docs/tenants/api.md has no verification-receiver block');
  return m[1]!;
})();
const readmeAnswer = new Function('event', 'res', README_LINES) as (event: unknown, res: ServerResponse) => unknown;

const isVerification = (r: ReceivedRequest) => (JSON.parse(r.body) as { type: string }).type === VERIFICATION_EVENT_TYPE;
const others = (rcv: Receiver) => rcv.requests.filter((r) => !isVerification(r));
const challengeOf = (r: ReceivedRequest) => (JSON.parse(r.body) as { data: { challenge: string } }).data.challenge;

/** A receiver as the API page writes it: the signature checked with the subscription's secret, then the three lines. */
function readmeReceiver(secret: () => Promise<string>) {
  return async (req: ReceivedRequest, _n: number, res: ServerResponse) => {
    try {
      verifySignature(await secret(), req.headers as Record<string, string>, req.body);
    } catch {
      return void res.writeHead(401).end('bad signature');
    }
    const event = JSON.parse(req.body) as unknown;
    if (readmeAnswer(event, res) === undefined) res.writeHead(200).end('ok');
  };
}

const CARD = { type: 'card.created', data: { card_id: 'c1', customer_id: 'u1' } };

async function subscribe(p: TestPipeline, url: string) {
  const res = await p.call('POST', '/api/v0.1/webhooks', { url, events: ['card.created'] });
  expect(res.status).toBe(201);
  return res.body.webhook_subscription as { id: string; secret: string; verification?: Record<string, unknown> };
}
const verificationOf = async (p: TestPipeline, id: string) =>
  (await p.call('GET', `/api/v0.1/webhooks/${id}`)).body.webhook_subscription.verification as Record<string, unknown> | undefined;
const until = (p: TestPipeline, id: string, status: string) =>
  eventually(`subscription ${id} ${status}`, async () => {
    const v = await verificationOf(p, id);
    return v?.status === status ? v : undefined;
  });
const publish = async (p: TestPipeline) => {
  const res = await p.call('POST', '/api/v0.1/events', CARD);
  expect(res.status).toBe(202);
  return res.body.id as string;
};
const gotEvent = (rcv: Receiver, id: string) =>
  eventually(`event ${id} at the receiver`, async () => rcv.requests.find((r) => r.headers['webhook-id'] === id));

describe('endpoint verification, challenge mode', () => {
  let p: TestPipeline;
  const receivers: Receiver[] = [];
  const receiver = async () => {
    const r = await startReceiver();
    receivers.push(r);
    return r;
  };

  beforeAll(async () => {
    // The attempt timeout short, so a late answer is late within the test; three attempts a second apart.
    p = await startTestPipeline({ verification: 'challenge', verificationSchedule: [1, 1], attemptTimeoutMs: 1000 });
  });
  afterAll(async () => {
    await p?.stop();
    for (const r of receivers) await r.close();
  });

  it('verifies a receiver running the README lines; events published while pending go out after, none before', async () => {
    const rcv = await receiver();
    let setSecret!: (s: string) => void;
    const secret = new Promise<string>((resolve) => (setSecret = resolve));
    // The first attempt fails (as a receiver not ready yet would), so an event is published while pending.
    let first = true;
    const answer = readmeReceiver(() => secret);
    rcv.respond(async (req, n, res) => {
      if (first && isVerification(req)) {
        first = false;
        return void res.writeHead(503).end('not ready');
      }
      await answer(req, n, res);
    });
    const sub = await subscribe(p, rcv.url);
    setSecret(sub.secret);
    expect(sub.verification).toMatchObject({ status: 'pending', mode: 'challenge', verified_time: null });
    const during = await publish(p);
    const pending = await eventually('a failed first attempt shown', async () => {
      const v = await verificationOf(p, sub.id);
      return v?.last_error ? v : undefined;
    });
    expect(pending).toMatchObject({ status: 'pending', last_error: 'answered HTTP 503; a 2xx is needed' });
    expect(others(rcv)).toEqual([]);

    const verified = await until(p, sub.id, 'verified');
    expect(verified.last_error).toBeNull();
    expect(typeof verified.verified_time).toBe('string');
    const verificationRequests = rcv.requests.filter(isVerification);
    expect(verificationRequests.length).toBe(2);
    // Both attempts carried the same challenge, signed like any delivery.
    expect(challengeOf(verificationRequests[0]!)).toBe(challengeOf(verificationRequests[1]!));
    expect(challengeOf(verificationRequests[0]!)).toMatch(/^[A-Za-z0-9_-]{32}$/);

    // What was published while pending, then what is published now.
    await gotEvent(rcv, during);
    const after = await publish(p);
    await gotEvent(rcv, after);
    // Nothing other than the verification reached it before it was verified.
    const verifiedAt = verificationRequests[1]!.at;
    for (const r of others(rcv)) expect(r.at).toBeGreaterThanOrEqual(verifiedAt);

    // The history lists the verification with its attempts; v0 answers the field too.
    const history = (await p.call('GET', `/api/v0.1/webhooks/${sub.id}/deliveries`)).body.deliveries as {
      event_type: string;
      status: string;
      attempts: number;
    }[];
    expect(history.find((d) => d.event_type === VERIFICATION_EVENT_TYPE)).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect((await p.call('GET', `/api/v0/webhooks/${sub.id}`)).body.verification).toMatchObject({ status: 'verified' });
  });

  it('fails a wrong echo after its attempts, with last_error, and sends nothing else; a new request then verifies it and releases what waited', async () => {
    const rcv = await receiver();
    rcv.respond(
      (req, _n, res) =>
        void res.writeHead(200, { 'content-type': 'application/json' }).end(isVerification(req) ? '{"challenge":"nope"}' : 'ok'),
    );
    const sub = await subscribe(p, rcv.url);
    const waiting = await publish(p);
    const failed = await until(p, sub.id, 'failed');
    expect(failed.last_error).toMatch(/^answered 200 without the challenge/);
    expect(rcv.requests.filter(isVerification).length).toBe(3);
    expect(others(rcv)).toEqual([]);

    // Asked again once the receiver is fixed: the README answer, and the event that waited goes out.
    rcv.respond(readmeReceiver(async () => sub.secret));
    const again = await p.call('POST', `/api/v0.1/webhooks/${sub.id}/verify`);
    expect(again.status).toBe(202);
    expect(again.body.webhook_subscription.verification).toMatchObject({ status: 'pending', last_error: null });
    await until(p, sub.id, 'verified');
    await gotEvent(rcv, waiting);
  });

  it('does not verify an answer that comes after the attempt timeout', async () => {
    const rcv = await receiver();
    rcv.respond(async (req, _n, res) => {
      // The right echo, once the client has given up (1 s): held until then, not for a fixed time.
      await eventually('the sender to give up', async () => (Date.now() - req.at > 1500 ? true : undefined), 5000);
      res.writeHead(200).end(challengeOf(req));
    });
    const sub = await subscribe(p, rcv.url);
    const failed = await until(p, sub.id, 'failed');
    expect(failed.last_error).toBe('no answer within the attempt timeout');
  });

  it('does not follow a redirect: the target gets nothing and the subscription is not verified', async () => {
    const target = await receiver();
    target.respond(readmeReceiver(async () => 'unused'));
    const rcv = await receiver();
    rcv.respond((_req, _n, res) => void res.writeHead(302, { location: target.url }).end());
    const sub = await subscribe(p, rcv.url);
    await publish(p);
    const failed = await until(p, sub.id, 'failed');
    expect(failed.last_error).toMatch(/^answered 302, a redirect/);
    expect(target.requests).toEqual([]);
    expect(others(rcv)).toEqual([]);
  });

  it('verifies a changed URL again: nothing to either URL until the new one answers', async () => {
    const oldRcv = await receiver();
    const sub = await subscribe(p, oldRcv.url);
    oldRcv.respond(readmeReceiver(async () => sub.secret));
    await until(p, sub.id, 'verified');
    const newRcv = await receiver();
    let release!: () => void;
    const ready = new Promise<void>((resolve) => (release = resolve));
    const answer = readmeReceiver(async () => sub.secret);
    // The new receiver answers only once the test has published during the re-verification.
    newRcv.respond(async (req, n, res) => {
      await ready;
      await answer(req, n, res);
    });
    const patched = await p.call('PATCH', `/api/v0.1/webhooks/${sub.id}`, { url: newRcv.url });
    expect(patched.status).toBe(200);
    expect(patched.body.webhook_subscription.verification).toMatchObject({ status: 'pending' });
    const during = await publish(p);
    release();
    await until(p, sub.id, 'verified');
    await gotEvent(newRcv, during);
    expect(newRcv.requests.filter(isVerification).length).toBeGreaterThanOrEqual(1);
    expect(oldRcv.requests.filter((r) => !isVerification(r))).toEqual([]);
  });

  it('verifies a subscription created disabled once it is enabled (a disabled one is sent nothing)', async () => {
    const rcv = await receiver();
    const created = await p.call('POST', '/api/v0.1/webhooks', { url: rcv.url, events: ['card.created'], status: 'STATUS_DISABLED' });
    expect(created.status).toBe(201);
    const sub = created.body.webhook_subscription as { id: string; secret: string };
    expect(created.body.webhook_subscription.verification).toMatchObject({ status: 'pending' });
    rcv.respond(readmeReceiver(async () => sub.secret));
    const enabled = await p.call('PATCH', `/api/v0.1/webhooks/${sub.id}`, { status: 'STATUS_ENABLED' });
    expect(enabled.status).toBe(200);
    await until(p, sub.id, 'verified');
    // Only the request that enabling started reached it.
    expect(rcv.requests.filter(isVerification)).toHaveLength(1);
    const id = await publish(p);
    await gotEvent(rcv, id);
  });

  it('refuses to let a tenant publish the verification event type', async () => {
    const res = await p.call('POST', '/api/v0.1/events', {
      type: VERIFICATION_EVENT_TYPE,
      data: { subscription_id: 's', url: 'u', challenge: 'c' },
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain('tenants cannot publish');
    // Nor subscribe to it: no subscription is ever sent it, and the create changes nothing.
    const before = (await p.call('GET', '/api/v0.1/webhooks')).body.webhook_subscriptions.length;
    const sub = await p.call('POST', '/api/v0.1/webhooks', { url: 'http://127.0.0.1:9/never', events: [VERIFICATION_EVENT_TYPE] });
    expect(sub.status).toBe(400);
    expect(JSON.stringify(sub.body)).toContain('never to a subscription');
    expect((await p.call('GET', '/api/v0.1/webhooks')).body.webhook_subscriptions.length).toBe(before);
  });
});

describe.each<VerificationMode>(['reachability', 'none'])('endpoint verification, %s mode', (mode) => {
  let p: TestPipeline;
  let rcv: Receiver;
  beforeAll(async () => {
    p = await startTestPipeline({ verification: mode, verificationSchedule: [1, 1] });
    // Answers 200 "ok" to everything: no echo.
    rcv = await startReceiver();
  });
  afterAll(async () => {
    await p?.stop();
    await rcv?.close();
  });

  it('verifies a receiver that echoes nothing, and delivers to it', async () => {
    const sub = await subscribe(p, rcv.url);
    if (mode === 'none') expect(sub.verification).toBeUndefined();
    else await until(p, sub.id, 'verified');
    const id = await publish(p);
    await gotEvent(rcv, id);
    expect(rcv.requests.filter(isVerification).length).toBe(mode === 'none' ? 0 : 1);
  });

  it('reports a completed handshake as webhook.subscription.verified to a watcher, never to the subscription itself', async () => {
    const watcher = await startReceiver();
    const other = await startReceiver();
    try {
      const w = await p.call('POST', '/api/v0.1/webhooks', { url: watcher.url, events: ['webhook.subscription.verified'] });
      expect(w.status).toBe(201);
      const watcherId = w.body.webhook_subscription.id as string;
      if (mode !== 'none') await until(p, watcherId, 'verified');
      const sub = await subscribe(p, other.url);
      const notices = (r: Receiver) =>
        r.requests.filter((x) => (JSON.parse(x.body) as { type: string }).type === 'webhook.subscription.verified');
      if (mode === 'none') {
        // No handshake, nothing to report: the publish after it is delivered and no notice came first.
        const id = await publish(p);
        await gotEvent(other, id);
        await queuesSettled(p);
        expect(notices(watcher)).toEqual([]);
        return;
      }
      await until(p, sub.id, 'verified');
      const [notice] = await eventually('the verified notice at the watcher', async () => {
        const got = notices(watcher);
        return got.length > 0 ? got : undefined;
      });
      verifySignature(w.body.webhook_subscription.secret, notice!.headers as Record<string, string>, notice!.body);
      expect(JSON.parse(notice!.body).data).toMatchObject({ subscription_id: sub.id, url: other.url });
      await queuesSettled(p);
      // Its own handshake was not reported to it (rule 1), and the other's was reported once.
      expect(notices(watcher).map((x) => JSON.parse(x.body).data.subscription_id)).toEqual([sub.id]);
      expect(notices(other)).toEqual([]);
    } finally {
      await watcher.close();
      await other.close();
    }
  });
});

describe('endpoint verification, a delivery that outlives its schedule unverified', () => {
  let p: TestPipeline;
  let rcv: Receiver;
  beforeAll(async () => {
    // A delivery schedule of two 1 s steps: about 3 s, jitter included, before it is dead-lettered.
    p = await startTestPipeline({ verification: 'challenge', verificationSchedule: [1, 1], retrySchedule: [1, 1] });
    rcv = await startReceiver((_r, _n, res) => void res.writeHead(200).end('no echo'));
  });
  afterAll(async () => {
    await p?.stop();
    await rcv?.close();
  });

  it('is dead-lettered without a POST, with endpoint_unverified, and can be retried by hand once verified', async () => {
    const sub = await subscribe(p, rcv.url);
    const id = await publish(p);
    const dead = await eventually('the delivery dead-lettered', async () => {
      const list = (await p.call('GET', `/api/v0.1/webhooks/${sub.id}/deliveries?status=dead_lettered`)).body.deliveries as {
        id: string;
        event_id: string;
        attempts: number;
        last_error: string;
      }[];
      return list.find((d) => d.event_id === id);
    });
    expect(dead.attempts).toBe(0);
    expect(dead.last_error).toMatch(/^endpoint_unverified/);
    expect(others(rcv)).toEqual([]);

    rcv.respond(readmeReceiver(async () => sub.secret));
    expect((await p.call('POST', `/api/v0.1/webhooks/${sub.id}/verify`)).status).toBe(202);
    await until(p, sub.id, 'verified');
    expect((await p.call('POST', `/api/v0.1/webhooks/${sub.id}/deliveries/${dead.id}/retry`)).status).toBe(202);
    await gotEvent(rcv, id);
  });

  it('refuses to verify a disabled subscription (409), changing nothing', async () => {
    const sub = await subscribe(p, rcv.url);
    expect((await p.call('PATCH', `/api/v0.1/webhooks/${sub.id}`, { status: 'STATUS_DISABLED' })).status).toBe(200);
    const before = await verificationOf(p, sub.id);
    const res = await p.call('POST', `/api/v0.1/webhooks/${sub.id}/verify`);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('subscription_disabled');
    expect((await verificationOf(p, sub.id))?.requested_time).toBe(before?.requested_time);
  });
});

describe('endpoint verification, a retry long enough to be parked', () => {
  it('comes back through the resumer, still the same request with the same challenge, and verifies', async () => {
    let offset = 0;
    // 400 s is past what waits in flight (330 s): the second attempt is parked and resumed.
    const p = await startTestPipeline({
      verification: 'challenge',
      verificationSchedule: [400],
      clock: () => new Date(Date.now() + offset),
    });
    const rcv = await startReceiver((_r, _n, res) => void res.writeHead(503).end('not yet'));
    try {
      const sub = await subscribe(p, rcv.url);
      await eventually('a first failed attempt', async () => ((await verificationOf(p, sub.id))?.last_error ? true : undefined));
      await eventually('the retry parked', async () => ((p.metrics.counts.get('DeliveryParked') ?? 0) >= 1 ? true : undefined));
      // Signed at the pipeline's clock, which the test moved: checked at that time.
      rcv.respond((req, _n, res) => {
        verifySignature(sub.secret, req.headers as Record<string, string>, req.body, {
          nowSeconds: Math.floor((Date.now() + offset) / 1000),
        });
        res.writeHead(200).end(challengeOf(req));
      });
      // Past the step with its jitter (up to 10 %).
      offset += 450_000;
      await until(p, sub.id, 'verified');
      const requests = rcv.requests.filter(isVerification);
      expect(requests).toHaveLength(2);
      expect(challengeOf(requests[1]!)).toBe(challengeOf(requests[0]!));
      expect(requests[1]!.headers['webhook-id']).toBe(requests[0]!.headers['webhook-id']);
    } finally {
      await p.stop();
      await rcv.close();
    }
  }, 60_000);
});

describe('endpoint verification, npm start', () => {
  it('verifies with challenge as a new deployment does, unless WEBHOOKS_VERIFICATION says otherwise', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'webhooks-verify-start-'));
    // The test support runs npm start with `none`; an empty value is the setting left out.
    const local = await startLocalProcess({ WEBHOOKS_DATA_DIR: dataDir, [VERIFICATION_MODE_ENV]: '' });
    try {
      const res = await fetch(`${local.url}/api/v0.1/webhooks`, {
        method: 'POST',
        headers: {
          Identity: local.credentials.identity,
          Authorization: local.credentials.authorization,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ url: 'http://127.0.0.1:9/unreachable', events: ['card.created'] }),
      });
      expect(res.status).toBe(201);
      expect(((await res.json()) as any).webhook_subscription.verification).toMatchObject({ status: 'pending', mode: 'challenge' });
    } finally {
      local.signal('SIGTERM');
      await local.exited;
      rmSync(dataDir, { recursive: true, force: true });
    }
    const bad = runNpmStart({ PORT: '0', WEBHOOKS_DATA_DIR: dataDir, [VERIFICATION_MODE_ENV]: 'strict' });
    expect(await bad.exited).toBe(1);
    expect(bad.output()).toContain('WEBHOOKS_VERIFICATION must be one of none, reachability, challenge, got "strict"');
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);
});

describe('endpoint verification, an upgrade', () => {
  it('keeps delivering to subscriptions stored before verification, with no request to them', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'webhooks-verify-upgrade-'));
    const rcv = await startReceiver();
    try {
      // Before: a deployment as it was (no setting, so `none`), whose subscriptions have no field.
      let p = await startTestPipeline({ dataDir });
      const sub = await subscribe(p, rcv.url);
      expect(sub.verification).toBeUndefined();
      await p.stop();
      // After: the operator opts in to challenge; the old subscription counts as verified.
      p = await startTestPipeline({ dataDir, verification: 'challenge' });
      try {
        expect(await verificationOf(p, sub.id)).toBeUndefined();
        const id = await publish(p);
        await gotEvent(rcv, id);
        expect(rcv.requests.filter(isVerification)).toEqual([]);
      } finally {
        await p.stop();
      }
    } finally {
      await rcv.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
