import { sign as githubSign } from '@octokit/webhooks-methods';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { postInbound } from '../support/inbound.js';
import { startTestPipeline, type TestPipeline } from '../support/local.js';
import { eventually } from '../support/wait.js';

/** `npm run inbound` as an operator runs it: a child process against the running local mode. */

let p: TestPipeline;
const cli = (...args: string[]) => runCli('inbound', p.dataDir, args);

beforeAll(async () => {
  p = await startTestPipeline({ inboundSources: [{ name: 'stripe', scheme: 'stripe' }] });
});
afterAll(async () => {
  await p?.stop();
});

describe('npm run inbound against local mode', () => {
  it('refuses bad usage with exit 2 before reaching anything', async () => {
    const help = await cli('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: npm run inbound/);
    for (const [args, message] of [
      [['add', '--name', 'x', '--secret', 's'], /scheme/],
      [['add', '--name', 'Bad Name', '--scheme', 'github', '--secret', 's'], /source.name/],
      [['add', '--name', 'x', '--scheme', 'stripe', '--generate'], /stripe makes its signing secret itself/],
      [['add', '--name', 'x', '--scheme', 'github', '--secret', 's', '--map', 'nonsense'], /--map must read/],
      [['rotate', '--secret', 'v'], /rotate needs --name/],
      [['history', '--name', 'x', '--limit', 'lots'], /--limit must be a whole number/],
      [['list', '--name', 'x'], /list takes no --name/],
      [['frobnicate'], /unknown command/],
    ] as const) {
      const r = await cli(...args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });

  it('add (a generated secret, shown once), then the provider’s signed POST is accepted; list, history, rotate, remove', async () => {
    const added = await cli(
      'add',
      '--name',
      'gh',
      '--scheme',
      'github',
      '--generate',
      '--map',
      'push=code.pushed',
      '--header',
      'X-Request-Tag',
    );
    expect(added.code, added.stderr).toBe(0);
    const out = JSON.parse(added.stdout);
    expect(out).toMatchObject({
      name: 'gh',
      scheme: 'github',
      declared_by: 'cli',
      endpoint: `${p.url}/inbound/gh`,
      type_mapping: { push: 'code.pushed' },
      headers: ['X-Request-Tag'],
      secret: 'set',
    });
    const secret: string = out.generated_secret;
    expect(secret).toMatch(/^[0-9a-f]{64}$/);

    const body = JSON.stringify({ ref: 'refs/heads/main', commits: [] });
    const headers = async (s: string, delivery: string) => ({
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': delivery,
      'x-request-tag': 'blue',
      'x-hub-signature-256': await githubSign(s, body),
    });
    const res = await eventually('the new source', async () => {
      const r = await postInbound(p, 'gh', body, await headers(secret, 'delivery-1'));
      return r.status === 200 ? r : undefined;
    });

    const listed = await cli('list');
    expect(listed.code, listed.stderr).toBe(0);
    const sources = JSON.parse(listed.stdout) as { name: string; declared_by: string; secret: string }[];
    expect(sources.map((s) => [s.name, s.declared_by, s.secret])).toEqual([
      ['stripe', 'stack', 'missing'],
      ['gh', 'cli', 'set'],
    ]);

    const h = await cli('history', '--name', 'gh');
    expect(h.code, h.stderr).toBe(0);
    expect(JSON.parse(h.stdout).events).toMatchObject([
      { id: res.body.id, provider_id: 'delivery-1', type: 'code.pushed', provider_type: 'push', status: 'forwarded' },
    ]);

    const rotated = await cli('rotate', '--name', 'gh', '--secret', 'the-next-secret', '--overlap', '600');
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(JSON.parse(rotated.stdout)).toMatchObject({ name: 'gh', secret: 'rotated', previous_verifies_until: expect.any(String) });
    await eventually('the rotated secret', async () =>
      (await postInbound(p, 'gh', body, await headers('the-next-secret', 'delivery-2'))).status === 200 ? true : undefined,
    );
    expect((await postInbound(p, 'gh', body, await headers(secret, 'delivery-3'))).status).toBe(200);

    const removed = await cli('remove', '--name', 'gh');
    expect(removed.code, removed.stderr).toBe(0);
    expect(JSON.parse(removed.stdout)).toMatchObject({ name: 'gh', removed: true });
    expect(JSON.parse((await cli('list')).stdout).map((s: { name: string }) => s.name)).toEqual(['stripe']);
  });

  it('a stack’s source takes a secret but cannot be added or removed here (exit 1); redrive with nothing pending', async () => {
    const set = await cli('secret', '--name', 'stripe', '--secret', 'whsec_from_the_dashboard');
    expect(set.code, set.stderr).toBe(0);
    const add = await cli('add', '--name', 'stripe', '--scheme', 'stripe', '--secret', 'whsec_x');
    expect(add.code).toBe(1);
    expect(add.stderr).toMatch(/declared by the stack/);
    const remove = await cli('remove', '--name', 'stripe');
    expect(remove.code).toBe(1);
    const redriven = await cli('redrive');
    expect(redriven.code, redriven.stderr).toBe(0);
    expect(JSON.parse(redriven.stdout).sources.stripe).toEqual({ redriven: 0, failed: 0, body_missing: 0, errors: [] });
  });
});
