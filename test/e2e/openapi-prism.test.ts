import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RawResponse, replay, SEED_CLIENTS, seed001Samples, seed002CurlSamples } from '../fixtures/seed-clients.js';
import { startTestPipeline, type TestPipeline } from '../support/local.js';
import { DOCUMENT_PATH } from '../support/openapi-conformance.js';
import { eventually } from '../support/wait.js';

/**
 * Stoplight Prism's validating proxy in front of local mode, as a client of the document would
 * put it: seed 001's own requests as each of its clients writes them (the trailing slash of
 * `/api/v0/webhooks/` included), and wrong, missing and out-of-scope credentials, must pass
 * through with no violation. With `--errors` Prism answers a request the document does not
 * describe itself (405, 422, or 401 for missing credentials) instead of forwarding it, and adds
 * `sl-violations` to an answer of the API that the document does not describe.
 */

const PRISM = join(import.meta.dirname, '..', '..', 'node_modules', '@stoplight', 'prism-cli', 'dist', 'index.js');

interface Prism {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

async function startPrism(upstream: string, document = DOCUMENT_PATH, ...flags: string[]): Promise<Prism> {
  const child: ChildProcess = spawn(
    process.execPath,
    [PRISM, 'proxy', document, upstream, '--errors', '-h', '127.0.0.1', '-p', '0', ...flags],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await eventually(
    'Prism to listen',
    async () => {
      if (child.exitCode !== null) return `exited ${child.exitCode}`;
      return /Prism is listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
    },
    60_000,
  ).catch((err: Error) => {
    child.kill('SIGTERM');
    throw new Error(`${err.message}:\n${out}`);
  });
  if (!url.startsWith('http')) throw new Error(`prism ${url}:\n${out}`);
  return {
    url,
    output: () => out,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** What Prism says about one exchange: violations of the API's answer, or its own refusal. */
function verdict(res: RawResponse): string {
  const violations = res.headers['sl-violations'];
  if (violations) return `sl-violations: ${violations}`;
  if ((res.headers['content-type'] ?? '').startsWith('application/problem+json')) return `prism answered: ${JSON.stringify(res.body)}`;
  return 'none';
}

async function send(base: string, method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<RawResponse> {
  const res = await fetch(base + path, {
    method,
    headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: Object.fromEntries(res.headers), body: text ? JSON.parse(text) : undefined };
}

describe("Prism's validating proxy in front of local mode", () => {
  let p: TestPipeline;
  let prism: Prism;
  beforeAll(async () => {
    p = await startTestPipeline();
    prism = await startPrism(p.url);
  }, 120_000);
  afterAll(async () => {
    await prism?.stop();
    await p?.stop();
  });

  it.each(SEED_CLIENTS)("passes seed 001's requests in %s, trailing slash included, with no violation", async (client) => {
    const s = seed001Samples(client);
    const created = await replay(prism.url, client, s.create(''), p.credentials);
    expect(verdict(created)).toBe('none');
    expect(created.status).toBe(201);
    const id = created.body.webhook_id as string;
    const listed = await replay(prism.url, client, s.list(''), p.credentials);
    expect(verdict(listed)).toBe('none');
    expect(listed.status).toBe(200);
    expect(listed.body.map((x: { webhook_id: string }) => x.webhook_id)).toContain(id);
    const updated = await replay(prism.url, client, s.update(id), p.credentials);
    expect(verdict(updated)).toBe('none');
    expect(updated.status).toBe(200);
    const removed = await replay(prism.url, client, s.remove(id), p.credentials);
    expect(verdict(removed)).toBe('none');
    expect(removed.status).toBe(200);
  });

  it("passes seed 002's curl requests with no violation", async () => {
    const s = seed002CurlSamples;
    const created = await replay(prism.url, 'curl', s.create(''), p.credentials);
    expect(verdict(created)).toBe('none');
    expect(created.status).toBe(201);
    const id = created.body.webhook_subscription.id as string;
    for (const [sample, status] of [
      [s.list(''), 200],
      [s.update(id), 200],
      [s.remove(id), 200],
    ] as const) {
      const res = await replay(prism.url, 'curl', sample, p.credentials);
      expect(verdict(res), `${sample.method} ${sample.path}`).toBe('none');
      expect(res.status).toBe(status);
    }
  });

  it('passes the 401 of wrong credentials, on both versions and both forms of the v0 path', async () => {
    for (const path of [
      '/api/v0/webhooks/',
      '/api/v0/webhooks',
      '/api/v0.1/webhooks',
      '/api/v0.1/webhooks/487a7f29-7b80-467d-b20d-7b60c3a14cf0',
    ]) {
      const res = await send(prism.url, 'GET', path, { Identity: 'id_not_a_tenant', Authorization: 'wrong' });
      expect(verdict(res), path).toBe('none');
      expect(res.status, path).toBe(401);
      expect(res.body.error.code).toBe('unauthorized');
    }
    const wrongKey = await send(
      prism.url,
      'POST',
      '/api/v0/webhooks/',
      { Identity: p.credentials.identity, Authorization: 'wrong' },
      { events: ['kyc.verification.success'], callback_url: 'https://technolaser.com/webhook' },
    );
    expect(verdict(wrongKey)).toBe('none');
    expect(wrongKey.status).toBe(401);
  });

  it("refuses missing credentials itself, as the document requires both headers; the API's own 401 for them fits the document", async () => {
    // Prism's CLI always checks security (there is no flag to forward such a request), so the
    // API's answer is checked here by the conformance check every e2e answer goes through.
    const partial: Record<string, string>[] = [{}, { Identity: p.credentials.identity }, { Authorization: p.credentials.authorization }];
    for (const headers of partial) {
      const refused = await send(prism.url, 'GET', '/api/v0/webhooks/', headers);
      expect(refused.status, JSON.stringify(headers)).toBe(401);
      expect(refused.body.type).toContain('UNAUTHORIZED');
      const direct = await p.call('GET', '/api/v0/webhooks/', undefined, { Identity: '', Authorization: '', ...headers });
      expect(direct.status).toBe(401);
      expect(direct.body.error.code).toBe('unauthorized');
    }
    expect(p.apiViolations()).toEqual([]);
  });

  it('serves the trailing slash only where the document has it; a public route stays public with one, as on API Gateway', async () => {
    expect((await p.call('GET', '/api/v0/webhooks/')).status).toBe(200);
    for (const path of ['/api/v0.1/webhooks/', '/api/v0/webhooks/x/', '/api/v0.1/event-types/']) {
      const res = await p.call('GET', path);
      expect(res.status, path).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
    // API Gateway matches `/api/openapi.json/` to the public resource: no authorizer, then no route.
    const publicSlash = await p.call('GET', '/api/openapi.json/', undefined, { Identity: '', Authorization: '' });
    expect(publicSlash.status).toBe(404);
    expect(publicSlash.body.error.code).toBe('not_found');
    expect(p.apiViolations()).toEqual([]);
  });

  it("passes a portal session's 403 on a route outside the portal's, and its 401 once unknown", async () => {
    const link = await send(prism.url, 'POST', '/api/v0.1/portal/sessions', {
      Identity: p.credentials.identity,
      Authorization: p.credentials.authorization,
    });
    expect(verdict(link)).toBe('none');
    expect(link.status).toBe(201);
    const token = new URLSearchParams(new URL(link.body.url).hash.slice(1)).get('link');
    const exchanged = await send(prism.url, 'POST', '/api/v0.1/portal/session-tokens', {}, { link_token: token });
    expect(verdict(exchanged)).toBe('none');
    expect(exchanged.status).toBe(201);
    const session = { Identity: 'portal-session', Authorization: `Bearer ${exchanged.body.session_token}` };
    const outside = await send(prism.url, 'GET', '/api/v0/webhooks/', session);
    expect(verdict(outside)).toBe('none');
    expect(outside.status).toBe(403);
    expect(outside.body.error.code).toBe('forbidden');
    const inside = await send(prism.url, 'GET', '/api/v0.1/webhooks', session);
    expect(verdict(inside)).toBe('none');
    expect(inside.status).toBe(200);
    const unknown = await send(prism.url, 'GET', '/api/v0.1/webhooks', { ...session, Authorization: 'Bearer ps_x' });
    expect(verdict(unknown)).toBe('none');
    expect(unknown.status).toBe(401);
  });

  it('reports what does not fit: a path the document lacks, and an answer a stricter document would not allow', async () => {
    // No trailing slash is served on v0.1 and the document has no such path: Prism takes it for
    // `/api/v0.1/webhooks/{id}` with an empty id and refuses it (422) without forwarding it.
    const unknown = await send(prism.url, 'GET', '/api/v0.1/webhooks/', {
      Identity: p.credentials.identity,
      Authorization: p.credentials.authorization,
    });
    expect(verdict(unknown)).toContain('prism answered');
    expect(unknown.status).toBe(422);
    // The same answers against a copy of the document whose list items need a field the API never sends.
    const doc = JSON.parse(readFileSync(DOCUMENT_PATH, 'utf8'));
    const deref = (schema: { $ref?: string }) => (schema.$ref ? doc.components.schemas[schema.$ref.split('/').pop()!] : schema);
    const item = deref(deref(doc.paths['/api/v0/webhooks/'].get.responses['200'].content['application/json'].schema).items);
    item.required = [...item.required, 'never_sent'];
    const dir = mkdtempSync(join(tmpdir(), 'prism-'));
    writeFileSync(join(dir, 'openapi.json'), JSON.stringify(doc));
    const created = await p.call('POST', '/api/v0/webhooks', { events: ['card.created'], callback_url: 'https://technolaser.com/webhook' });
    expect(created.status).toBe(201);
    const strict = await startPrism(p.url, join(dir, 'openapi.json'));
    try {
      const res = await send(strict.url, 'GET', '/api/v0/webhooks/', {
        Identity: p.credentials.identity,
        Authorization: p.credentials.authorization,
      });
      expect(res.status).toBe(500);
      expect(verdict(res)).toContain('never_sent');
    } finally {
      await strict.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
