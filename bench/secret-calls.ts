import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SECRETS_MANAGER_RATE_QUOTAS } from '../functions/domain/aws-limits.js';
import type { SecretStorage } from '../functions/domain/secret-storage.js';
import { ACCOUNT_THROTTLE_ONLY, type LocalOptions, type LocalPipeline, startLocalPipeline } from '../local/pipeline.js';
import { pool, sleep } from './support.js';

/**
 * Figure 9: Secrets Manager calls per list request, counted in local mode (whose Secrets Manager
 * answers one BatchGetSecretValue per 20 secrets and throttles past the account's 100 a second,
 * as AWS does). One tenant with `subscriptions` subscriptions (1,000, the per-tenant cap), listed
 * as seed 001 lists them (all, `GET /api/v0/webhooks`) and as seed 002 pages them (100,
 * `GET /api/v0.1/webhooks?limit=100`). "Cold" is a container that has listed nothing yet (local
 * mode started afresh on the same data), "warm" the same container's next list. The baseline
 * is the code before the lists' secret cache (`listSecretCache: false`), in the same run.
 *
 * Then the worst case at the stage's limit: lists arriving at 100 a second for `burstSeconds`,
 * every one of them cold (the baseline, which reads every secret on every list, as that many cold
 * containers would): how many Secrets Manager took in its busiest second, how many it throttled,
 * and what the API answered.
 */

export type ListPath = 'v01Page' | 'v0All';
export interface ListCalls {
  cold: number;
  warm: number;
  /** Every call of the cold list, by service and operation (the DynamoDB reads beside them too). */
  coldByOperation: Record<string, number>;
  warmByOperation: Record<string, number>;
}

export interface SecretCallsFigure {
  subscriptions: number;
  /** Secrets Manager calls per list request: ours, the baseline without the cache, envelope storage. */
  perListRequest: Record<'ours' | 'baseline' | 'envelope', Record<ListPath, ListCalls>>;
  /** After a rotation in the same container, the next v0.1 page. */
  afterRotation: number;
  /** BatchGetSecretValue's quota, and the cold lists a second it sustains on each path. */
  quotaPerSecond: number;
  sustainedColdListsPerSecond: Record<ListPath, number>;
  burst: {
    requestsPerSecond: number;
    seconds: number;
    statuses: Record<string, number>;
    retryAfter: string[];
    peakBatchGetPerSecond: number;
    throttled: number;
    batchGetCalls: number;
  };
}

const SM = 'SecretsManager.';
const smCalls = (counts: Record<string, number>) => Object.entries(counts).reduce((n, [k, v]) => (k.startsWith(SM) ? n + v : n), 0);

export async function measureSecretCalls(options: {
  subscriptions: number;
  burstSeconds: number;
  log: (line: string) => void;
}): Promise<SecretCallsFigure> {
  const { log } = options;
  const dirs: string[] = [];
  let p: LocalPipeline | undefined;
  const start = async (dataDir: string, extra: LocalOptions) => {
    await p?.stop();
    p = await startLocalPipeline({ port: 0, dataDir, ...ACCOUNT_THROTTLE_ONLY, ...extra });
    return p;
  };
  const request = async (path: string, method = 'GET') => {
    const res = await fetch(p!.url + path, {
      method,
      headers: { Identity: p!.credentials.identity, Authorization: p!.credentials.authorization, 'content-type': 'application/json' },
    });
    const text = await res.text();
    return { status: res.status, text, retryAfter: res.headers.get('retry-after') };
  };
  const counted = async (path: string) => {
    p!.calls.reset();
    const res = await request(path);
    if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${res.text.slice(0, 200)}`);
    return p!.calls.snapshot();
  };
  const paths: Record<ListPath, string> = { v01Page: '/api/v0.1/webhooks?limit=100', v0All: '/api/v0/webhooks' };

  /** A data directory with the tenant's subscriptions made through the API. */
  const populate = async (secretStorage: SecretStorage) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'webhooks-bench-secrets-'));
    dirs.push(dataDir);
    await start(dataDir, { secretStorage });
    await pool(options.subscriptions, 8, async (i) => {
      const res = await fetch(`${p!.url}/api/v0.1/webhooks`, {
        method: 'POST',
        headers: { Identity: p!.credentials.identity, Authorization: p!.credentials.authorization, 'content-type': 'application/json' },
        body: JSON.stringify({ url: `https://hooks.example.com/${i}`, events: ['card.created'] }),
      });
      if (res.status !== 201) throw new Error(`create answered ${res.status}: ${await res.text()}`);
    });
    return dataDir;
  };
  /** Each path cold (a fresh start) then warm. */
  const listCalls = async (dataDir: string, extra: LocalOptions): Promise<Record<ListPath, ListCalls>> => {
    const out = {} as Record<ListPath, ListCalls>;
    for (const path of Object.keys(paths) as ListPath[]) {
      await start(dataDir, extra);
      const cold = await counted(paths[path]);
      const warm = await counted(paths[path]);
      out[path] = { cold: smCalls(cold), warm: smCalls(warm), coldByOperation: cold, warmByOperation: warm };
      log(
        `  ${extra.secretStorage ?? 'per-subscription'}${extra.listSecretCache === false ? ' (no cache)' : ''} ${path}: cold ${out[path].cold}, warm ${out[path].warm} Secrets Manager calls`,
      );
    }
    return out;
  };

  try {
    log(`  ${options.subscriptions} subscriptions, per-subscription storage`);
    const dataDir = await populate('per-subscription');
    const ours = await listCalls(dataDir, {});
    const baseline = await listCalls(dataDir, { listSecretCache: false });

    await start(dataDir, {});
    const page = JSON.parse((await request(paths.v01Page)).text) as { webhook_subscriptions: { id: string }[] };
    const rotated = await request(`/api/v0.1/webhooks/${page.webhook_subscriptions[3]!.id}/secret/rotate`, 'POST');
    if (rotated.status !== 200) throw new Error(`rotate answered ${rotated.status}`);
    const afterRotation = smCalls(await counted(paths.v01Page));

    // The worst case: every list cold, at the stage's 100 a second.
    await start(dataDir, { listSecretCache: false });
    const rate = 100;
    const statuses: Record<string, number> = {};
    const retryAfter = new Set<string>();
    p!.calls.reset();
    const began = Date.now();
    await Promise.all(
      Array.from({ length: rate * options.burstSeconds }, async (_, i) => {
        await sleep(Math.max(0, began + (i * 1000) / rate - Date.now()));
        const res = await request(paths.v01Page);
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        if (res.retryAfter) retryAfter.add(res.retryAfter);
      }),
    );
    const burst = {
      requestsPerSecond: rate,
      seconds: options.burstSeconds,
      statuses,
      retryAfter: [...retryAfter],
      peakBatchGetPerSecond: p!.secretsManager.peakPerSecond.BatchGetSecretValue ?? 0,
      throttled: p!.secretsManager.throttled.BatchGetSecretValue ?? 0,
      batchGetCalls: p!.calls.snapshot()[`${SM}BatchGetSecretValue`] ?? 0,
    };
    log(
      `  cold lists at ${rate}/s for ${options.burstSeconds} s: ${JSON.stringify(statuses)}, busiest second ${burst.peakBatchGetPerSecond} BatchGetSecretValue, ${burst.throttled} throttled`,
    );

    log(`  ${options.subscriptions} subscriptions, envelope storage`);
    const envelopeDir = await populate('envelope');
    const envelope = await listCalls(envelopeDir, { secretStorage: 'envelope' });

    const quota = SECRETS_MANAGER_RATE_QUOTAS.BatchGetSecretValue;
    return {
      subscriptions: options.subscriptions,
      perListRequest: { ours, baseline, envelope },
      afterRotation,
      quotaPerSecond: quota,
      sustainedColdListsPerSecond: { v01Page: quota / ours.v01Page.cold, v0All: quota / ours.v0All.cold },
      burst,
    };
  } finally {
    await p?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}
