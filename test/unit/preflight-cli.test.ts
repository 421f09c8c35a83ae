import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/constructs/webhook-function.js';
import { synthesizeApp } from '../../scripts/lib/synth.js';

/**
 * `npm run preflight` as an operator runs it: the real script, its SDK clients sent (through
 * AWS_ENDPOINT_URL_<SERVICE>) to a stand-in on loopback that answers as Lambda, API Gateway and
 * CloudFormation do. What it prints, and its exit codes.
 */

const SLOW = 180_000;
let server: Server;
let endpoint: string;
let dir: string;
let templateFile: string;
/** What the stand-in answers GetAccountSettings with; undefined: 403 AccessDenied. */
let lambdaAccount: { limit: number; unreserved: number } | undefined;
const seen: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (req.url?.startsWith('/2016-08-19/account-settings'))
      return lambdaAccount
        ? json(200, {
            AccountLimit: { ConcurrentExecutions: lambdaAccount.limit, UnreservedConcurrentExecutions: lambdaAccount.unreserved },
          })
        : json(
            403,
            { message: 'User is not authorized to perform: lambda:GetAccountSettings' },
            { 'x-amzn-errortype': 'AccessDeniedException' },
          );
    if (req.url?.startsWith('/2015-03-31/event-source-mappings')) return json(200, { EventSourceMappings: [] });
    if (req.url === '/account') return json(200, { throttleSettings: { rateLimit: 10_000, burstLimit: 5_000 } });
    // CloudFormation (query protocol): the stack is not deployed yet.
    res.writeHead(400, { 'content-type': 'text/xml' });
    res.end(
      '<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id Webhooks does not exist</Message></Error><RequestId>r</RequestId></ErrorResponse>',
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = mkdtempSync(join(tmpdir(), 'webhooks-preflight-'));
  templateFile = join(dir, 'Webhooks.template.json');
  writeFileSync(templateFile, JSON.stringify(synthesizeApp().template));
}, SLOW);

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function preflight(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'secret',
    AWS_ENDPOINT_URL_LAMBDA: endpoint,
    AWS_ENDPOINT_URL_API_GATEWAY: endpoint,
    AWS_ENDPOINT_URL_CLOUDFORMATION: endpoint,
  };
  delete env.AWS_PROFILE;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/preflight.ts', ...args], { cwd: PROJECT_ROOT, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run preflight', () => {
  it(
    'exits 0 and says every check passed in an account at the default quota',
    async () => {
      lambdaAccount = { limit: 1_000, unreserved: 1_000 };
      const { code, stdout } = await preflight(['--template', templateFile]);
      expect(stdout).toContain("OK    the unreserved pool of 999 holds the stack's 850");
      expect(stdout.trim().split('\n').at(-1)).toBe('preflight: every check passed');
      expect(code).toBe(0);
    },
    SLOW,
  );

  it(
    'exits 1 in a new account with a lower quota, saying what would be throttled and the quota to raise',
    async () => {
      lambdaAccount = { limit: 400, unreserved: 400 };
      const { code, stdout } = await preflight(['--template', templateFile]);
      expect(stdout).toMatch(/^FAIL {2}Lambda would throttle: .* take 850, but only 399 would be unreserved: 451 short/m);
      expect(stdout).toContain('Service Quotas code L-B99A9384');
      expect(stdout).toContain('--desired-value 851');
      expect(stdout.trim().split('\n').at(-1)).toBe('preflight: the deploy would be refused or throttled (FAIL lines above)');
      expect(code).toBe(1);
    },
    SLOW,
  );

  it(
    "synthesizes the app with the deploy's -c settings, and looks for the deployed stack by its name",
    async () => {
      lambdaAccount = { limit: 1_000, unreserved: 1_000 };
      seen.length = 0;
      const { code, stdout } = await preflight(['-c', 'senderMaxConcurrency=200']);
      expect(stdout).toContain('  Sender: up to 200');
      expect(stdout).toContain('Stack Webhooks (not deployed: a first create)');
      expect(seen).toContain('POST /');
      expect(code).toBe(0);
    },
    SLOW,
  );

  it(
    'exits 3 when the account cannot be read, naming the permission',
    async () => {
      lambdaAccount = undefined;
      const { code, stdout, stderr } = await preflight(['--template', templateFile]);
      expect(stderr).toMatch(/^preflight: could not read Lambda's account settings \(lambda:GetAccountSettings\): User is not authorized/);
      expect(stdout).toBe('');
      expect(code).toBe(3);
    },
    SLOW,
  );

  it.each([[['-c', 'senderMaxConcurrency']], [['--template', 'x.json', '-c', 'a=b']], [['extra']], [['--colour']]])(
    'exits 2 on %j, with the usage',
    async (args) => {
      const { code, stderr } = await preflight(args);
      expect(stderr).toContain('usage: npm run preflight');
      expect(code).toBe(2);
    },
    SLOW,
  );
});
