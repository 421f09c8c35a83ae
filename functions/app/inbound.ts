import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import {
  busEntriesFor,
  type InboundRecord,
  inboundBodyKey,
  inboundRecord,
  type ParsedBody,
  parseInboundBody,
} from '../domain/inbound/event.js';
import { lowerHeaders, type RefusalReason, verifyInbound } from '../domain/inbound/schemes.js';
import { type InboundSource, toleranceOf } from '../domain/inbound/source.js';
import type { BodyStore, EntryBus, InboundStore, Metrics, StoredInbound } from '../ports.js';
import type { SourceRegistry } from './inbound-sources.js';

/**
 * `POST /inbound/<source>`: a provider's webhook, verified by its source's scheme, stored, then
 * put on the bus. The signature is the credential (no authorizer). In order:
 *
 *   1. a body over 1 MiB is 413; an unknown source 404; a refused signature 401 with its reason:
 *      counted, logged, and nothing stored (refusals are tallied in memory: one tally write a
 *      minute at most per source and container, RefusalTally);
 *   2. the event is stored under its id with a condition, its body beside the table in S3 when
 *      large: only then is it acknowledged (200). A resend finds it stored and is answered 200 at
 *      once (put on the bus again only if the first request did not get it there);
 *   3. it goes on the bus (one PutEvents: the inbound event, and a tenant event when the source
 *      forwards), within `busTimeoutMs`; a bus that refuses or does not answer in time leaves it
 *      stored, counted and marked for `npm run inbound -- redrive`, and the provider still gets
 *      its 200: nothing it sent is lost, and its timeout is never spent waiting on the bus.
 */

/** The pipeline takes events up to 1 MiB (MAX_BODY_BYTES, http.ts); inbound bodies alike. */
export const INBOUND_MAX_BODY_BYTES = 1024 * 1024;
/** Bodies over this are kept beside the table (S3): the item keeps the rest (up to ~40 KB of headers and fields). */
export const INBOUND_BODY_IN_ITEM_MAX_BYTES = 350 * 1024;
/** How long a PutEvents may take before the event is left to the redrive (providers wait 3 s (Slack) to 30 s). */
export const DEFAULT_INBOUND_BUS_TIMEOUT_MS = 1500;
/**
 * A resend of an event stored this recently and not yet on the bus is answered without putting it
 * there: the first request may still be doing so. Longer than the inbound function's timeout (10 s).
 */
export const INBOUND_IN_PROGRESS_MS = 15_000;
export const REFUSAL_FLUSH_MS = 60_000;
export const INBOUND_PATH = /^\/inbound\/([^/]+)\/?$/;

export interface InboundDeps {
  sources: SourceRegistry;
  store: InboundStore;
  bodies: BodyStore;
  bus: EntryBus;
  metrics: Pick<Metrics, 'count'>;
  /** The bucket of `bodies`, named in the bus entries of events whose body goes by reference. */
  bodyBucket: string;
  now?: () => Date;
  busTimeoutMs?: number;
  log?: (level: 'debug' | 'info' | 'warn' | 'error', message: string, detail: Record<string, unknown>) => void;
}

const respond = (statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult => ({
  statusCode,
  headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
  body: JSON.stringify(body),
});
const error = (statusCode: number, code: string, message: string, headers?: Record<string, string>) =>
  respond(statusCode, { error: { code, message } }, headers);

/**
 * Refusals by source and reason since the last write: the first after a quiet minute is written at
 * once, the ones after it together a minute later (with the next refusal), so a flood costs one
 * write a minute per source and container, and a lone refusal shows in the history at once.
 */
export class RefusalTally {
  private counts = new Map<string, Record<string, number>>();
  private first: number | undefined;
  private lastWrite: number | undefined;

  add(source: string, reason: RefusalReason, now: number): void {
    this.first ??= now;
    const c = this.counts.get(source) ?? {};
    c[reason] = (c[reason] ?? 0) + 1;
    this.counts.set(source, c);
  }

  /** The tallies to write now, if any are due; they are then forgotten here. */
  takeIfDue(now: number, everyMs = REFUSAL_FLUSH_MS): { minute: string; bySource: Map<string, Record<string, number>> } | undefined {
    if (this.first === undefined) return undefined;
    if (this.lastWrite !== undefined && now - this.lastWrite < everyMs) return undefined;
    const minute = new Date(Math.floor(this.first / 60_000) * 60_000).toISOString();
    const bySource = this.counts;
    this.counts = new Map();
    this.first = undefined;
    this.lastWrite = now;
    return { minute, bySource };
  }
}

export function createInbound(deps: InboundDeps): (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult> {
  const now = deps.now ?? (() => new Date());
  const log = deps.log ?? (() => undefined);
  const busTimeoutMs = deps.busTimeoutMs ?? DEFAULT_INBOUND_BUS_TIMEOUT_MS;
  const tally = new RefusalTally();

  async function flushRefusals(at: number): Promise<void> {
    const due = tally.takeIfDue(at);
    if (!due) return;
    await Promise.all(
      [...due.bySource].map(([source, counts]) =>
        deps.store
          .addRefusals(source, due.minute, counts)
          .catch((err: Error) =>
            log('warn', 'inbound refusal tally not written', { source, minute: due.minute, counts, error: err.message }),
          ),
      ),
    );
  }

  /** Puts it on the bus and records that; a failure is recorded and counted, never thrown. */
  async function putOnBus(record: InboundRecord, parsed: ParsedBody): Promise<boolean> {
    const { entries, forwardSkipped } = busEntriesFor(record, parsed, deps.bodyBucket);
    try {
      await deps.bus.putEntries(entries, { signal: AbortSignal.timeout(busTimeoutMs) });
    } catch (err) {
      const message = (err as Error).name === 'TimeoutError' ? `no answer from the bus within ${busTimeoutMs} ms` : (err as Error).message;
      deps.metrics.count('InboundBusFailed');
      log('error', 'inbound event not put on the bus; stored for a redrive', { source: record.source, id: record.id, error: message });
      await deps.store
        .markBusFailed(record, now().toISOString(), message)
        .catch((e: Error) => log('error', 'inbound bus failure not recorded', { source: record.source, id: record.id, error: e.message }));
      return false;
    }
    deps.metrics.count('InboundForwarded');
    try {
      await deps.store.markForwarded(record, now().toISOString(), entries.length, forwardSkipped);
    } catch (err) {
      // It is on the bus; without the marker a redrive would put it there once more (at least once).
      log('error', 'inbound event on the bus but not marked so', { source: record.source, id: record.id, error: (err as Error).message });
    }
    if (forwardSkipped) log('warn', 'inbound event not forwarded', { source: record.source, id: record.id, reason: forwardSkipped });
    return true;
  }

  /** A resend of a stored event: on the bus already, being put there, or (its first request failed or died) put there now. */
  async function resend(existing: StoredInbound, source: InboundSource): Promise<void> {
    const { record, status } = existing;
    if (status.forwardedTime) return;
    if (now().getTime() - Date.parse(record.receivedTime) < INBOUND_IN_PROGRESS_MS && !status.busFailures) return;
    const text = record.body ?? (record.bodyKey ? await deps.bodies.get(record.bodyKey) : undefined);
    if (text === undefined) {
      log('error', 'inbound event body is gone; not put on the bus again', { source: source.name, id: record.id });
      return;
    }
    await putOnBus(record, parseInboundBody(record.contentType, text));
  }

  return async (event) => {
    const receivedAt = now();
    // API Gateway names the segment ({source}); `path` may carry a custom domain's base path. Locally only the path.
    const segment = event.pathParameters?.source ?? INBOUND_PATH.exec(event.path ?? '')?.[1];
    if (segment === undefined) return error(404, 'not_found', 'Inbound webhooks are received at POST /inbound/<source>');
    let name: string;
    try {
      name = decodeURIComponent(segment);
    } catch {
      return error(404, 'unknown_source', 'No inbound source has that name');
    }
    if (event.httpMethod !== 'POST')
      return error(405, 'method_not_allowed', `Inbound webhooks are POSTed; not ${event.httpMethod}`, { allow: 'POST' });

    const body = event.body == null ? Buffer.alloc(0) : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
    if (body.length > INBOUND_MAX_BODY_BYTES) {
      deps.metrics.count('InboundTooLarge');
      log('warn', 'inbound request too large', { source: name.slice(0, 64), bytes: body.length });
      return error(413, 'payload_too_large', `The body is ${body.length} bytes; the limit is ${INBOUND_MAX_BODY_BYTES} bytes (1 MiB)`);
    }

    let source: InboundSource | undefined;
    let secrets: string[];
    try {
      source = await deps.sources.source(name);
      if (!source) {
        deps.metrics.count('InboundUnknownSource');
        log('warn', 'inbound request for an unknown source', {
          source: name.slice(0, 64),
          sourceIp: event.requestContext?.identity?.sourceIp,
        });
        return error(404, 'unknown_source', 'No inbound source has that name');
      }
      secrets = await deps.sources.secretsOf(source.name);
    } catch (err) {
      deps.metrics.count('InboundStoreFailed');
      log('error', 'inbound source or secret could not be read', { source: name.slice(0, 64), error: (err as Error).message });
      return error(503, 'temporarily_unavailable', 'The request could not be checked now; send it again later', { 'retry-after': '5' });
    }

    const headers = lowerHeaders(event.headers as Record<string, string | undefined>);
    const request = { headers, body };
    const verifyWith = (values: readonly string[]) =>
      verifyInbound(source.scheme, request, values, {
        nowSeconds: Math.floor(receivedAt.getTime() / 1000),
        toleranceSeconds: toleranceOf(source),
        ...(source.hmac ? { hmac: source.hmac } : {}),
      });
    let verdict = verifyWith(secrets);
    if (
      !verdict.ok &&
      verdict.reason !== 'signature_missing' &&
      verdict.reason !== 'signature_malformed' &&
      verdict.reason !== 'timestamp_missing'
    ) {
      // A secret rotated moments ago: read it again (at most once per 30 s per source and container).
      const fresh = await deps.sources.refreshedSecretsOf(source.name).catch(() => undefined);
      if (fresh) verdict = verifyWith(fresh);
    }
    if (!verdict.ok) {
      deps.metrics.count('InboundRefused');
      tally.add(source.name, verdict.reason, receivedAt.getTime());
      log('warn', 'inbound request refused', {
        source: source.name,
        reason: verdict.reason,
        sourceIp: event.requestContext?.identity?.sourceIp,
        userAgent: headers['user-agent']?.slice(0, 200),
      });
      await flushRefusals(receivedAt.getTime());
      return error(401, verdict.reason, verdict.message);
    }

    const text = body.toString('utf8');
    const parsed = parseInboundBody(headers['content-type'], text);
    // Slack checks a new Events API URL with a signed challenge, to be echoed; it is not an event.
    if (source.scheme === 'slack' && parsed.kind === 'json') {
      const v = parsed.value as { type?: unknown; challenge?: unknown } | null;
      if (v && v.type === 'url_verification' && typeof v.challenge === 'string') return respond(200, { challenge: v.challenge });
    }

    const record: InboundRecord = inboundRecord({
      source,
      headers,
      body,
      parsed,
      receivedTime: receivedAt,
      ...(verdict.timestamp !== undefined ? { signedTimestamp: verdict.timestamp } : {}),
    });
    let accepted: Awaited<ReturnType<InboundStore['accept']>>;
    try {
      if (body.length > INBOUND_BODY_IN_ITEM_MAX_BYTES) {
        record.bodyKey = inboundBodyKey(source.name, record.id, body);
        await deps.bodies.put(record.bodyKey, text);
      } else record.body = text;
      accepted = await deps.store.accept(record);
    } catch (err) {
      deps.metrics.count('InboundStoreFailed');
      log('error', 'inbound event could not be stored; the provider will send it again', {
        source: source.name,
        id: record.id,
        error: (err as Error).message,
      });
      return error(503, 'temporarily_unavailable', 'The event could not be stored now; send it again later', { 'retry-after': '5' });
    }
    await flushRefusals(receivedAt.getTime());

    if (!accepted.accepted) {
      deps.metrics.count('InboundDuplicate');
      log('debug', 'inbound resend of a stored event', { source: source.name, id: record.id });
      await resend(accepted, source).catch((err: Error) =>
        log('error', 'inbound resend could not be put on the bus', { source: source.name, id: record.id, error: err.message }),
      );
      return respond(200, { id: accepted.record.id, status: 'duplicate' });
    }
    deps.metrics.count('InboundAccepted');
    log('debug', 'inbound event accepted', { source: source.name, id: record.id, type: record.type });
    await putOnBus(record, parsed);
    return respond(200, { id: record.id, status: 'accepted' });
  };
}
