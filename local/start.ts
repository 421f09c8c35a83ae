import { parseSchedule } from '../functions/domain/retry-schedule.js';
import { optionalNumber, PORTAL_LINK_TTL_ENV, PORTAL_SESSION_TTL_ENV } from '../functions/runtime/config.js';
import { startLocalPipeline } from './pipeline.js';

/** `npm start`: the local pipeline on 127.0.0.1:$PORT until Ctrl-C. */

const verbose = process.env.WEBHOOKS_LOG !== 'quiet';
const pipeline = await startLocalPipeline({
  port: Number(process.env.PORT ?? 3000),
  dataDir: process.env.WEBHOOKS_DATA_DIR ?? '.data',
  ...(process.env.WEBHOOKS_LOCAL_IDENTITY ? { identity: process.env.WEBHOOKS_LOCAL_IDENTITY } : {}),
  ...(process.env.WEBHOOKS_LOCAL_AUTHORIZATION ? { authorization: process.env.WEBHOOKS_LOCAL_AUTHORIZATION } : {}),
  ...(process.env.WEBHOOKS_RETRY_SCHEDULE ? { retrySchedule: parseSchedule(process.env.WEBHOOKS_RETRY_SCHEDULE) } : {}),
  ...(process.env.WEBHOOKS_ATTEMPT_TIMEOUT_MS ? { attemptTimeoutMs: Number(process.env.WEBHOOKS_ATTEMPT_TIMEOUT_MS) } : {}),
  ...(optionalNumber(PORTAL_LINK_TTL_ENV) ? { portalLinkTtlSeconds: optionalNumber(PORTAL_LINK_TTL_ENV)! } : {}),
  ...(optionalNumber(PORTAL_SESSION_TTL_ENV) ? { portalSessionTtlSeconds: optionalNumber(PORTAL_SESSION_TTL_ENV)! } : {}),
  log: (level, message, detail) => {
    if (verbose || level === 'error') console.log(JSON.stringify({ level, message, ...detail }));
  },
});

const portal = await pipeline.portalLink();
console.log(`
Webhooks local pipeline is running (data in ${pipeline.dataDir})

  API        ${pipeline.url}/api/v0.1/webhooks   (seed 001 shape: ${pipeline.url}/api/v0/webhooks)
  Identity       ${pipeline.credentials.identity}
  Authorization  ${pipeline.credentials.authorization}
  Portal     ${portal.url}   (works once, until ${portal.expires_time})

Try:
  curl -s ${pipeline.url}/api/v0.1/webhooks -H 'Identity: ${pipeline.credentials.identity}' -H 'Authorization: ${pipeline.credentials.authorization}'

Ctrl-C stops it.
`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    pipeline.stop().then(
      () => process.exit(0),
      (err) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
}
