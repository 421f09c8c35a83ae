import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_STAGE_THROTTLE, DEFAULT_TENANT_THROTTLE } from '../../functions/domain/throttle.js';
import { checkRun, type FencedBlock, fencedBlocks, runShell, type ShellCommand, shellCommands } from '../support/doc-shell.js';
import { DOCS_ROOT } from '../support/docs.js';
import { startTestPipeline, type TestPipeline } from '../support/local.js';
import { type Receiver, startReceiver } from '../support/receiver.js';
import { eventually } from '../support/wait.js';

/**
 * The pages' shell examples, run as a reader pastes them: each page's blocks in order in one bash
 * (a block uses what an earlier one captured), against local mode verifying endpoints as
 * `npm start` does (`challenge`), with `npm start`'s variables set and a real receiver that
 * answers the handshake in place of the pages' port 4000. Every command must succeed, each curl
 * must answer the status the page states and each command print what the page shows under it
 * (test/support/doc-shell.ts). Blocks run elsewhere, or only on AWS, are listed below; a new
 * example in these pages that nobody runs fails the guard.
 */

const NEEDS_AWS = 'needs an AWS account';
/** Set-up and check commands: `.ci/run` runs them (npm ci, lint, typecheck, npm test) on every CI run. */
const RUN_BY_CI = '.ci/run';

/** An ELSEWHERE entry for every block of a page (or every ts block), which another test or CI runs. */
const EVERY_BLOCK = '(every block)';
const TYPESCRIPT_BLOCKS = '(every ts block)';
/** Blocks not run here, by page and marker: the test that runs each, or why none can. */
const ELSEWHERE: { page: string; marker: string; by: string }[] = [
  { page: 'README.md', marker: 'start-commands', by: RUN_BY_CI },
  { page: 'README.md', marker: 'tour', by: 'test/e2e/readme-tour.test.ts' },
  { page: 'README.md', marker: 'construct-example', by: 'test/cdk/package.test.ts' },
  { page: 'README.md', marker: 'deploy-commands', by: NEEDS_AWS },
  { page: 'docs/tenants/api.md', marker: 'verification-receiver', by: 'test/e2e/verification.test.ts' },
  { page: 'docs/tenants/api.md', marker: 'put-events-example', by: NEEDS_AWS },
  { page: 'docs/tenants/portal.md', marker: 'portal-link-aws', by: NEEDS_AWS },
  // Its TypeScript blocks are the test's own regions, character for character (the test checks it).
  { page: 'docs/tenants/typed-client.md', marker: TYPESCRIPT_BLOCKS, by: 'test/e2e/typed-client.test.ts' },
  { page: 'docs/tenants/typed-client.md', marker: 'install-client', by: 'test/cdk/package.test.ts' },
  { page: 'docs/receiving-webhooks.md', marker: EVERY_BLOCK, by: 'test/e2e/receiving-guide.test.ts' },
  { page: 'docs/operators/operating.md', marker: 'redrive-aws', by: NEEDS_AWS },
  { page: 'docs/operators/operating.md', marker: 'redrive-ingest-aws', by: NEEDS_AWS },
  { page: 'docs/operators/construct.md', marker: EVERY_BLOCK, by: 'test/cdk/package.test.ts' },
  { page: 'docs/operators/deploying.md', marker: EVERY_BLOCK, by: NEEDS_AWS },
  { page: 'docs/operators/sizing-and-quotas.md', marker: EVERY_BLOCK, by: NEEDS_AWS },
  { page: 'docs/operators/inbound.md', marker: 'inbound-example', by: 'test/e2e/inbound-docs.test.ts' },
  { page: 'docs/inbound-webhooks.md', marker: 'inbound-construct', by: 'test/cdk/package.test.ts' },
  { page: 'docs/inbound-webhooks.md', marker: 'inbound-rule', by: 'test/cdk/package.test.ts' },
  { page: 'docs/inbound-webhooks.md', marker: 'inbound-deploy', by: NEEDS_AWS },
  // The runbook's commands read a deployed stack (its outputs, logs, queues).
  { page: 'docs/runbook.md', marker: EVERY_BLOCK, by: NEEDS_AWS },
  { page: 'docs/contributors/local-mode.md', marker: 'receiver-one-liner', by: 'test/e2e/local-mode-receiver.test.ts' },
  { page: 'docs/contributors/development.md', marker: EVERY_BLOCK, by: RUN_BY_CI },
  { page: 'docs/contributors/openapi.md', marker: EVERY_BLOCK, by: RUN_BY_CI },
  { page: 'docs/contributors/api-conformance.md', marker: EVERY_BLOCK, by: RUN_BY_CI },
];

/** Every page of the documentation: its examples must all be run, here or by a test named above. */
const PAGES = [
  'README.md',
  ...readdirSync(join(DOCS_ROOT, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`)
    .sort(),
];
/** The pages this test runs, in this order (their `it`s below). */
const RUN_PAGES = ['docs/tenants/api.md', 'docs/tenants/portal.md', 'docs/operators/operating.md', 'docs/contributors/local-mode.md'];
const RUNNABLE_LANGS = ['sh', 'bash'];
const CODE_LANGS = [...RUNNABLE_LANGS, 'js', 'ts', 'javascript', 'typescript', 'shell', 'console'];

const elsewhere = (page: string, block: FencedBlock) =>
  ELSEWHERE.find(
    (e) =>
      e.page === page && (e.marker === block.marker || e.marker === EVERY_BLOCK || (e.marker === TYPESCRIPT_BLOCKS && block.lang === 'ts')),
  );
const runnable = (page: string) => fencedBlocks(page).filter((b) => RUNNABLE_LANGS.includes(b.lang) && !elsewhere(page, b));

describe('the guard: every example in these pages is run', () => {
  it.each(PAGES)('%s: each code block is run here or by a named test, or needs AWS', (page) => {
    for (const block of fencedBlocks(page)) {
      const where = `${page}:${block.line}`;
      expect(block.lang, `${where}: a fence without a language (output is \`text\`, \`json\` or \`http\`)`).not.toBe('');
      if (!CODE_LANGS.includes(block.lang)) continue;
      const listed = elsewhere(page, block);
      if (RUNNABLE_LANGS.includes(block.lang) && !listed && RUN_PAGES.includes(page)) continue;
      expect(listed, `${where}: a ${block.lang} example nobody runs (run its page below, or list it in ELSEWHERE)`).toBeDefined();
    }
  });

  it.each(ELSEWHERE)('$page <!-- $marker -->: $by', ({ page, marker, by }) => {
    const matches = (b: FencedBlock) =>
      marker === EVERY_BLOCK ? true : marker === TYPESCRIPT_BLOCKS ? b.lang === 'ts' : b.marker === marker;
    expect(fencedBlocks(page).some(matches), `${page} has no <!-- ${marker} --> block`).toBe(true);
    if (by === NEEDS_AWS) return;
    if (by === RUN_BY_CI) {
      const ci = readFileSync(join(DOCS_ROOT, '.ci', 'run'), 'utf8');
      for (const step of ['npm ci', 'npm run lint', 'npm run typecheck', 'npm test']) expect(ci, step).toContain(step);
      return;
    }
    expect(existsSync(join(DOCS_ROOT, by)), by).toBe(true);
    expect(readFileSync(join(DOCS_ROOT, by), 'utf8')).toContain(page);
  });

  it('every curl the pages run states the status it answers', () => {
    const unstated = RUN_PAGES.flatMap((page) => runnable(page).flatMap((b) => shellCommands(b, page)))
      .filter((c) => /\bcurl\b/.test(c.text) && c.status === undefined)
      .map((c) => c.where);
    expect(unstated).toEqual([]);
  });

  it('finds the examples it means to run', () => {
    for (const page of RUN_PAGES) expect(runnable(page).length, page).toBeGreaterThan(0);
    expect(runnable('docs/tenants/api.md')).toHaveLength(9);
    expect(runnable('docs/contributors/local-mode.md').map((b) => b.marker)).toEqual(['envelope-example']);
  });
});

describe('the examples, run against local mode', () => {
  let p: TestPipeline;
  let receiver: Receiver;
  let env: NodeJS.ProcessEnv;

  const bodies = () => receiver.requests.map((r) => ({ headers: r.headers, event: JSON.parse(r.body || '{}') }));

  beforeAll(async () => {
    receiver = await startReceiver((r, _n, res) => {
      const event = JSON.parse(r.body || '{}');
      if (event.type === 'webhook.endpoint.verification') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ challenge: event.data.challenge }));
      } else res.writeHead(200).end('ok');
    });
    // As `npm start` runs: endpoints verified, the default limits the pages show.
    p = await startTestPipeline({
      verification: 'challenge',
      tenantThrottle: DEFAULT_TENANT_THROTTLE,
      stageThrottle: DEFAULT_STAGE_THROTTLE,
    });
    env = {
      ...process.env,
      WEBHOOKS_URL: p.url,
      WEBHOOKS_IDENTITY: p.credentials.identity,
      WEBHOOKS_AUTHORIZATION: p.credentials.authorization,
      WEBHOOKS_TENANT: p.tenantId,
      WEBHOOKS_DATA_DIR: p.dataDir,
    };
    delete env.WEBHOOKS_STACK;
  });
  afterAll(async () => {
    await p?.stop();
    await receiver?.close();
  });

  /** A page's runnable blocks, the receiver's and the API's addresses made the test's. */
  function commandsOf(page: string): ShellCommand[] {
    const receiverHost = new URL(receiver.url).host;
    return runnable(page).flatMap((b) => {
      const body = b.body.replaceAll('127.0.0.1:4000', receiverHost).replaceAll('http://127.0.0.1:3000', p.url);
      return shellCommands({ ...b, body }, page);
    });
  }

  const ran: string[] = [];
  async function runPage(page: string) {
    ran.push(page);
    const commands = commandsOf(page);
    const run = await runShell(commands, env);
    const failed = run.code === 0 ? undefined : run.runs.at(-1);
    expect(
      run.code,
      failed ? `${failed.command.where} failed:\n${failed.command.text}\n${failed.stdout}${failed.stderr}${run.output}` : run.output,
    ).toBe(0);
    expect(run.runs).toHaveLength(commands.length);
    expect(run.runs.map(checkRun).filter(Boolean)).toEqual([]);
    return run;
  }

  it('docs/tenants/api.md: both versions, filters, headers, rate limits, publishing, deliveries, recover', {
    timeout: 120_000,
  }, async () => {
    await runPage('docs/tenants/api.md');
    const got = bodies();
    // The handshake was answered, and the headers subscription's POSTs carry its header.
    expect(got.some((r) => r.event.type === 'webhook.endpoint.verification')).toBe(true);
    await eventually("the headers subscription's POST", async () =>
      bodies().some((r) => r.event.id === 'order-42-card' && r.headers['x-api-key'] === 'k_live_5f2b9c1e7a0d') ? true : undefined,
    );
    // What was skipped while disabled came with the recovery.
    await eventually('the recovered event at the receiver', async () =>
      bodies().some((r) => r.event.id === 'order-43-card') ? true : undefined,
    );
  });

  it('docs/tenants/portal.md: a link asked for by the tenant and one printed by the operator', { timeout: 60_000 }, async () => {
    const run = await runPage('docs/tenants/portal.md');
    const links = run.runs.flatMap((r) => [...r.stdout.matchAll(/#link=(pl_[\w-]+)/g)].map((m) => m[1]));
    expect(links).toHaveLength(2);
    expect(new Set(links).size).toBe(2);
  });

  it('docs/operators/operating.md: the tenant CLI and the redrives against local mode', { timeout: 120_000 }, async () => {
    const run = await runPage('docs/operators/operating.md');
    const created = JSON.parse(run.runs.find((r) => r.command.text.startsWith('echo "$ACME"'))!.stdout) as {
      identity: string;
      authorization: string;
    };
    // Revoked at the end: its credentials no longer open the API.
    const res = await fetch(`${p.url}/api/v0.1/webhooks`, {
      headers: { Identity: created.identity, Authorization: created.authorization },
    });
    expect(res.status).toBe(401);
  });

  it('docs/contributors/local-mode.md: an EventBridge envelope on the ingest queue reaches a subscribed receiver', {
    timeout: 60_000,
  }, async () => {
    const run = await runPage('docs/contributors/local-mode.md');
    const id = run.runs[0]!.stdout.trim();
    expect(id).toMatch(/^evt_[0-9a-f-]{36}$/);
    await eventually('the envelope event at the receiver', async () =>
      bodies().some((r) => r.event.id === id && r.event.type === 'card.created') ? true : undefined,
    );
  });

  it('ran every page the guard counts on, in order', () => {
    expect(ran).toEqual(RUN_PAGES);
  });
});
