import type { IssuedLink } from '../functions/app/portal-access.js';
import { INBOUND_SOURCES_ENV, type InboundSource } from '../functions/domain/inbound/source.js';
import { RECEIVER_GUIDE_URL_ENV } from '../functions/domain/portal.js';
import { parseSchedule } from '../functions/domain/retry-schedule.js';
import { parseSourceIps, SOURCE_IPS_ENV } from '../functions/domain/source-ips.js';
import { DEFAULT_STAGE_THROTTLE, DEFAULT_TENANT_THROTTLE, type ThrottleLimits, throttleSetting } from '../functions/domain/throttle.js';
import {
  NEW_DEPLOYMENT_VERIFICATION,
  parseVerificationMode,
  VERIFICATION_MODE_ENV,
  type VerificationMode,
} from '../functions/domain/verification.js';
import {
  AUTO_DISABLE_ENV,
  maxSubscriptionsPerTenant,
  PORTAL_LINK_TTL_ENV,
  PORTAL_SESSION_TTL_ENV,
  secretStorage,
} from '../functions/runtime/config.js';
import { LocalStartError } from './instance-lock.js';
import { type LocalPipeline, startLocalPipeline } from './pipeline.js';

/**
 * `npm start`: the local pipeline on 127.0.0.1:$PORT until Ctrl-C, SIGINT or SIGTERM. Start-up
 * problems a person can fix (a busy port, a data directory in use, a bad setting) print one
 * line and exit 1.
 */

/** A stop must be over in 5 s; whatever is still in flight then is safe on disk. */
const STOP_DEADLINE_MS = 4_500;

function fail(message: string): never {
  console.error(`npm start: ${message}`);
  process.exit(1);
}

/** WEBHOOKS_TENANT_RATE_LIMIT and _BURST_LIMIT (or STAGE): either alone keeps the other's default; the pipeline checks the range. */
function throttleFromEnv(scope: 'TENANT' | 'STAGE', defaults: ThrottleLimits): ThrottleLimits | undefined {
  const read = (name: string) => {
    const value = process.env[name];
    if (!value) return undefined;
    if (!/^\d+$/.test(value.trim())) fail(`${name} must be a whole number, got "${value}"`);
    return Number(value);
  };
  return throttleSetting(read(`WEBHOOKS_${scope}_RATE_LIMIT`), read(`WEBHOOKS_${scope}_BURST_LIMIT`), defaults);
}

/** WEBHOOKS_INBOUND_SOURCES: a JSON list of sources, checked by the pipeline as the construct checks its props. */
function inboundSourcesFromEnv(raw: string): InboundSource[] {
  try {
    return JSON.parse(raw) as InboundSource[];
  } catch (err) {
    throw new LocalStartError(`${INBOUND_SOURCES_ENV} must be a JSON list of sources: ${(err as Error).message}`);
  }
}

function sourceIpsFromEnv(raw: string): string[] {
  try {
    return parseSourceIps(raw);
  } catch (err) {
    throw new LocalStartError((err as Error).message);
  }
}

function autoDisableFromEnv(raw: string): number {
  const seconds = Number(raw);
  if (!Number.isInteger(seconds) || seconds < 1)
    throw new LocalStartError(`${AUTO_DISABLE_ENV} must be a whole number of seconds, at least 1, got "${raw}"`);
  return seconds;
}

function verificationMode(raw: string | undefined): VerificationMode {
  try {
    return parseVerificationMode(raw, NEW_DEPLOYMENT_VERIFICATION);
  } catch (err) {
    fail((err as Error).message);
  }
}

async function start(): Promise<{ pipeline: LocalPipeline; portal: IssuedLink }> {
  const verbose = process.env.WEBHOOKS_LOG !== 'quiet';
  const env = process.env;
  const tenantThrottle = throttleFromEnv('TENANT', DEFAULT_TENANT_THROTTLE);
  const stageThrottle = throttleFromEnv('STAGE', DEFAULT_STAGE_THROTTLE);
  const pipeline = await startLocalPipeline({
    port,
    dataDir: env.WEBHOOKS_DATA_DIR ?? '.data',
    ...(env.WEBHOOKS_LOCAL_IDENTITY ? { identity: env.WEBHOOKS_LOCAL_IDENTITY } : {}),
    ...(env.WEBHOOKS_LOCAL_AUTHORIZATION ? { authorization: env.WEBHOOKS_LOCAL_AUTHORIZATION } : {}),
    ...(env.WEBHOOKS_RETRY_SCHEDULE ? { retrySchedule: parseSchedule(env.WEBHOOKS_RETRY_SCHEDULE) } : {}),
    ...(env.MAX_SUBSCRIPTIONS_PER_TENANT ? { maxSubscriptionsPerTenant: maxSubscriptionsPerTenant() } : {}),
    secretStorage: secretStorage(env.WEBHOOKS_SECRET_STORAGE),
    // This repository's app, as a new deployment from it gets it (cdk.json's context flag).
    verification: verificationMode(env[VERIFICATION_MODE_ENV]),
    ...(tenantThrottle ? { tenantThrottle } : {}),
    ...(stageThrottle ? { stageThrottle } : {}),
    ...(env.WEBHOOKS_ATTEMPT_TIMEOUT_MS ? { attemptTimeoutMs: Number(env.WEBHOOKS_ATTEMPT_TIMEOUT_MS) } : {}),
    ...(env.WEBHOOKS_PROCESSING_VISIBILITY_SECONDS
      ? { processingVisibilitySeconds: Number(env.WEBHOOKS_PROCESSING_VISIBILITY_SECONDS) }
      : {}),
    ...(env[PORTAL_LINK_TTL_ENV] ? { portalLinkTtlSeconds: Number(env[PORTAL_LINK_TTL_ENV]) } : {}),
    ...(env[PORTAL_SESSION_TTL_ENV] ? { portalSessionTtlSeconds: Number(env[PORTAL_SESSION_TTL_ENV]) } : {}),
    ...(env[INBOUND_SOURCES_ENV] ? { inboundSources: inboundSourcesFromEnv(env[INBOUND_SOURCES_ENV]) } : {}),
    ...(env[RECEIVER_GUIDE_URL_ENV] ? { receiverGuideUrl: env[RECEIVER_GUIDE_URL_ENV] } : {}),
    ...(env[SOURCE_IPS_ENV] ? { sourceIps: sourceIpsFromEnv(env[SOURCE_IPS_ENV]) } : {}),
    ...(env[AUTO_DISABLE_ENV] ? { autoDisableSeconds: autoDisableFromEnv(env[AUTO_DISABLE_ENV]) } : {}),
    log: (level, message, detail) => {
      if (verbose || level === 'error') console.log(JSON.stringify({ level, message, ...detail }));
    },
  });
  try {
    return { pipeline, portal: await pipeline.portalLink() };
  } catch (err) {
    await pipeline.stop().catch(() => undefined);
    throw err;
  }
}

const port = Number(process.env.PORT ?? 3000);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`PORT must be a port number, got "${process.env.PORT}"`);

let pipeline: LocalPipeline;
let portal: IssuedLink;
try {
  ({ pipeline, portal } = await start());
} catch (err) {
  // Anything else is a bug or a broken environment: still one line, with what went wrong.
  fail(err instanceof LocalStartError ? err.message : `could not start: ${(err as Error).message}`);
}

const { identity, authorization } = pipeline.credentials;
console.log(`
Webhooks local pipeline is running (data in ${pipeline.dataDir})

  API        ${pipeline.url}/api/v0.1/webhooks   (seed 001 shape: ${pipeline.url}/api/v0/webhooks)
  Identity       ${identity}
  Authorization  ${authorization}
  Tenant     ${pipeline.tenantId}
  Portal     ${portal.url}
             (works once, until ${portal.expires_time}; another: npm run -s tenant -- portal --identity ${identity})
  Inbound    ${pipeline.url}/inbound/<source>   (sources: npm run inbound -- add; see docs/operators/inbound.md)
  API docs   ${pipeline.url}/api/docs   (the reference of ${pipeline.url}/api/openapi.json)

Paste into the shell you call it from (the README's tour uses these):
  export WEBHOOKS_URL=${pipeline.url} WEBHOOKS_IDENTITY=${identity} WEBHOOKS_AUTHORIZATION=${authorization} WEBHOOKS_TENANT=${pipeline.tenantId}

Ctrl-C stops it.
`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    const deadline = setTimeout(() => {
      console.log(`Stopped on ${signal} (batches still in flight were left on disk; they are delivered after the next start).`);
      process.exit(0);
    }, STOP_DEADLINE_MS);
    pipeline.stop().then(
      () => {
        clearTimeout(deadline);
        console.log(`Stopped on ${signal}.`);
        process.exit(0);
      },
      (err: Error) => {
        clearTimeout(deadline);
        console.error(`npm start: stopped on ${signal} with an error: ${err.message}`);
        process.exit(1);
      },
    );
  });
}
