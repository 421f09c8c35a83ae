import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { SecretsManagerStore } from '../../functions/adapters/aws/secrets-manager-store.js';
import { SourceRegistry } from '../../functions/app/inbound-sources.js';
import type { InboundSource } from '../../functions/domain/inbound/source.js';

/**
 * The inbound function's caches, against Secrets Manager as the stack uses it (mocked: the exact
 * GetSecretValue requests are what it bills and what its quota counts).
 */

const sm = mockClient(SecretsManagerClient);
afterEach(() => sm.reset());

const PREFIX = 'webhooks-inbound/Webhooks/';
const declared: InboundSource[] = [{ name: 'stripe', scheme: 'stripe' }];

function registry(clock: { t: number }, runtime: InboundSource[] = [], listCalls = { n: 0 }) {
  return new SourceRegistry({
    declared,
    repository: {
      listSources: async () => {
        listCalls.n++;
        return runtime;
      },
    },
    secrets: new SecretsManagerStore(new SecretsManagerClient({ region: 'us-east-1' })),
    secretPrefix: PREFIX,
    now: () => clock.t,
  });
}

const secretIds = () => sm.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input.SecretId);

describe('SourceRegistry', () => {
  it('reads a source’s secret once per 5 minutes, whatever the requests; then again', async () => {
    sm.on(GetSecretValueCommand, { SecretId: `${PREFIX}stripe` }).resolves({ SecretString: 'whsec_a' });
    const clock = { t: 1_000_000 };
    const r = registry(clock);
    for (let i = 0; i < 100; i++) expect(await r.secretsOf('stripe')).toEqual(['whsec_a']);
    expect(secretIds()).toEqual([`${PREFIX}stripe`]);
    clock.t += 5 * 60_000;
    await r.secretsOf('stripe');
    expect(secretIds()).toEqual([`${PREFIX}stripe`, `${PREFIX}stripe`]);
  });

  it('after a mismatch, re-reads at most once per 30 s, and answers only values that changed', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: 'whsec_a' });
    const clock = { t: 1_000_000 };
    const r = registry(clock);
    await r.secretsOf('stripe');
    // A flood of bad signatures within 30 s of the read: no call.
    for (let i = 0; i < 50; i++) expect(await r.refreshedSecretsOf('stripe')).toBeUndefined();
    expect(secretIds()).toHaveLength(1);
    clock.t += 30_000;
    expect(await r.refreshedSecretsOf('stripe')).toBeUndefined(); // read again, the same value
    expect(secretIds()).toHaveLength(2);
    sm.on(GetSecretValueCommand).resolves({
      SecretString: JSON.stringify({ current: 'whsec_b', previous: 'whsec_a', previous_until: new Date(clock.t + 120_000).toISOString() }),
    });
    clock.t += 30_000;
    expect(await r.refreshedSecretsOf('stripe')).toEqual(['whsec_b', 'whsec_a']);
    // The previous value stops verifying when its overlap ends, before the 5-minute cache would.
    clock.t += 121_000;
    expect(await r.secretsOf('stripe')).toEqual(['whsec_b']);
  });

  it('a source without a secret is [] (cached 30 s), a failing read throws (a 503, not a refusal)', async () => {
    sm.on(GetSecretValueCommand, { SecretId: `${PREFIX}stripe` }).rejects(
      new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: {} }),
    );
    const clock = { t: 1_000_000 };
    const r = registry(clock);
    expect(await r.secretsOf('stripe')).toEqual([]);
    expect(await r.secretsOf('stripe')).toEqual([]);
    expect(secretIds()).toHaveLength(1);
    sm.reset();
    sm.on(GetSecretValueCommand).rejects(new Error('ThrottlingException: Rate exceeded'));
    clock.t += 31_000;
    await expect(r.secretsOf('stripe')).rejects.toThrow(/Rate exceeded/);
  });

  it('sources added with the CLI are read all at once, at most once a minute, so unknown names cost nothing', async () => {
    const clock = { t: 1_000_000 };
    const list = { n: 0 };
    const r = registry(clock, [{ name: 'github', scheme: 'github' }], list);
    expect(await r.source('stripe')).toEqual(declared[0]);
    expect(list.n).toBe(0);
    expect(await r.source('github')).toEqual({ name: 'github', scheme: 'github' });
    for (let i = 0; i < 100; i++) expect(await r.source(`random-${i}`)).toBeUndefined();
    expect(list.n).toBe(1);
    clock.t += 60_000;
    await r.source('nope');
    expect(list.n).toBe(2);
  });
});
