import { randomBytes } from 'node:crypto';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { INBOUND_IN_PROGRESS_MS } from '../../functions/app/inbound.js';
import { isMissingSecret } from '../../functions/app/inbound-sources.js';
import { busEntriesFor, type InboundRecord, type InboundStatus, parseInboundBody } from '../../functions/domain/inbound/event.js';
import { hasTimestamp, type InboundScheme } from '../../functions/domain/inbound/schemes.js';
import {
  DEFAULT_SOURCE_ROTATION_OVERLAP_SECONDS,
  type InboundSource,
  parseInboundSource,
  parseSourceSecret,
  rotateSourceSecret,
  SourceConfigError,
  type SourceSecret,
  sourceSecretName,
  validateSecretValue,
} from '../../functions/domain/inbound/source.js';
import { generateSecret } from '../../functions/domain/signing.js';
import type { BodyStore, EntryBus, InboundSourceRepository, InboundStore } from '../../functions/ports.js';
import { CommandError, UsageError } from './tenant-commands.js';

/**
 * What `npm run inbound` does (scripts/inbound.ts), against any store, bus and Secrets Manager
 * client: each command returns what the CLI prints as JSON, throws UsageError (exit 2) for bad
 * input before anything is written, CommandError (exit 1) for what cannot be done.
 */

export interface InboundTarget {
  sources: InboundSourceRepository;
  store: InboundStore;
  bodies: BodyStore;
  bus: EntryBus;
  secretsManager: SecretsManagerClient;
  /** `webhooks-inbound/<namePrefix>/`. */
  secretPrefix: string;
  /** Sources the stack (or local mode's start) declares: neither added nor removed here. */
  declared: readonly InboundSource[] | readonly string[];
  bodyBucket: string;
  /** The API's base URL, for the endpoint to give the provider. */
  apiUrl?: string;
  now?: () => Date;
}

/** Secrets the provider makes (so `--generate` makes no sense): copy them from its dashboard. */
const PROVIDER_MADE: readonly InboundScheme[] = ['stripe', 'shopify', 'slack'];

/** A new secret for a scheme whose secret we may choose: Standard Webhooks' `whsec_` form, else 32 random bytes in hex. */
export function newSourceSecret(scheme: InboundScheme): string {
  if (PROVIDER_MADE.includes(scheme))
    throw new UsageError(`${scheme} makes its signing secret itself: copy it from the ${scheme} dashboard and pass it with --secret`);
  return scheme === 'standard-webhooks' ? generateSecret(32) : randomBytes(32).toString('hex');
}

const declaredNames = (t: InboundTarget) => new Set(t.declared.map((d) => (typeof d === 'string' ? d : d.name)));

export function endpointOf(t: InboundTarget, name: string): string | null {
  if (!t.apiUrl) return null;
  return `${t.apiUrl.replace(/\/$/, '')}/inbound/${name}`;
}

// ---- Secrets Manager: the source's secret ----

export async function readSourceSecret(t: InboundTarget, name: string): Promise<SourceSecret | undefined> {
  try {
    const out = await t.secretsManager.send(new GetSecretValueCommand({ SecretId: sourceSecretName(t.secretPrefix, name) }));
    return out.SecretString === undefined ? undefined : parseSourceSecret(out.SecretString);
  } catch (err) {
    if (isMissingSecret(err)) return undefined;
    throw err;
  }
}

/** Writes the secret: a new version of it, made first when there is none, restored first when its deletion was scheduled. */
export async function writeSourceSecret(t: InboundTarget, name: string, secret: SourceSecret): Promise<void> {
  const SecretId = sourceSecretName(t.secretPrefix, name);
  const SecretString = JSON.stringify(secret);
  try {
    await t.secretsManager.send(new PutSecretValueCommand({ SecretId, SecretString }));
    return;
  } catch (err) {
    const e = err as { name?: string; message?: string };
    if (e.name === 'InvalidRequestException' && /deletion/i.test(e.message ?? '')) {
      await t.secretsManager.send(new RestoreSecretCommand({ SecretId }));
      await t.secretsManager.send(new PutSecretValueCommand({ SecretId, SecretString }));
      return;
    }
    if (e.name !== 'ResourceNotFoundException') throw err;
  }
  await t.secretsManager.send(
    new CreateSecretCommand({
      Name: SecretId,
      SecretString,
      Description: `Signing secret of the inbound webhook source ${name}`,
      Tags: [{ Key: 'inbound-source', Value: name }],
    }),
  );
}

const secretState = (secret: SourceSecret | undefined, now: Date) =>
  !secret
    ? 'missing'
    : secret.previous && secret.previous_until && Date.parse(secret.previous_until) > now.getTime()
      ? `set; the previous value verifies until ${secret.previous_until}`
      : 'set';

// ---- Commands ----

export interface AddInput {
  /** The source as declared (name, scheme, mapping, forwarding, ...), checked by parseInboundSource. */
  source: unknown;
  secret?: string;
  generate?: boolean;
}

export async function addSource(t: InboundTarget, input: AddInput) {
  let source: InboundSource;
  try {
    source = parseInboundSource(input.source, 'source');
  } catch (err) {
    if (err instanceof SourceConfigError) throw new UsageError(err.message);
    throw err;
  }
  if (input.secret !== undefined && input.generate) throw new UsageError('give --secret or --generate, not both');
  if (input.secret === undefined && !input.generate)
    throw new UsageError('--secret VALUE (the provider’s signing secret) or --generate is required');
  const value = input.secret ?? newSourceSecret(source.scheme);
  try {
    validateSecretValue(value);
  } catch (err) {
    throw new UsageError(`--secret: ${(err as Error).message}`);
  }
  if (declaredNames(t).has(source.name))
    throw new CommandError('not_found', `the source ${source.name} is declared by the stack (inboundSources); change it there and deploy`);
  // The secret first: a source is never there without one for longer than the two calls.
  await writeSourceSecret(t, source.name, { current: value });
  await t.sources.putSource(source);
  return {
    ...sourceView(t, source, 'cli'),
    secret: 'set',
    ...(input.generate ? { generated_secret: value, note: 'shown once: give it to the provider as its signing secret' } : {}),
  };
}

function sourceView(t: InboundTarget, s: InboundSource, declaredBy: 'stack' | 'cli') {
  return {
    name: s.name,
    scheme: s.scheme,
    declared_by: declaredBy,
    endpoint: endpointOf(t, s.name),
    tolerance_seconds: hasTimestamp(s.scheme, s.hmac) ? (s.toleranceSeconds ?? 300) : null,
    type_mapping: s.typeMapping ?? null,
    forward_tenant_id: s.forwardTenantId ?? null,
    headers: s.headers ?? [],
    ...(s.hmac ? { hmac: s.hmac } : {}),
    ...(s.description ? { description: s.description } : {}),
  };
}

export async function listSources(t: InboundTarget) {
  const now = (t.now ?? (() => new Date()))();
  const names = declaredNames(t);
  const runtime = (await t.sources.listSources()).filter((s) => !names.has(s.name));
  // The stack's sources first, in its order: known whole (props) or by name only (the stack's outputs carry names).
  const entries: { name: string; source?: InboundSource; by: 'stack' | 'cli' }[] = [
    ...t.declared.map((d) =>
      typeof d === 'string' ? { name: d, by: 'stack' as const } : { name: d.name, source: d, by: 'stack' as const },
    ),
    ...runtime.map((s) => ({ name: s.name, source: s, by: 'cli' as const })),
  ];
  const secrets = await Promise.all(entries.map((e) => readSourceSecret(t, e.name)));
  return entries.map((e, i) => ({
    ...(e.source ? sourceView(t, e.source, e.by) : { name: e.name, declared_by: e.by, endpoint: endpointOf(t, e.name) }),
    secret: secretState(secrets[i], now),
  }));
}

export async function removeSource(t: InboundTarget, input: { name: string }) {
  if (declaredNames(t).has(input.name))
    throw new CommandError('not_found', `the source ${input.name} is declared by the stack (inboundSources); remove it there and deploy`);
  const existed = await t.sources.deleteSource(input.name);
  if (!existed) throw new CommandError('not_found', `no source ${input.name} was added with this CLI`);
  // Requests already verified are stored and go on the bus; new ones get 404 once the functions'
  // cached sources expire (a minute on AWS, a second locally). The secret stays recoverable for 7 days.
  let secret: string = 'deletion scheduled (recoverable for 7 days)';
  try {
    await t.secretsManager.send(
      new DeleteSecretCommand({ SecretId: sourceSecretName(t.secretPrefix, input.name), RecoveryWindowInDays: 7 }),
    );
  } catch (err) {
    if (!isMissingSecret(err)) throw err;
    secret = 'there was none';
  }
  return { name: input.name, removed: true, secret, history: 'kept until it expires with the retention' };
}

async function knownSource(t: InboundTarget, name: string): Promise<InboundScheme | undefined> {
  for (const d of t.declared) if ((typeof d === 'string' ? d : d.name) === name) return typeof d === 'string' ? undefined : d.scheme;
  const s = (await t.sources.listSources()).find((x) => x.name === name);
  if (!s) throw new CommandError('not_found', `no inbound source is named ${name}`);
  return s.scheme;
}

/** Sets the secret outright (no overlap): a first secret for a stack's source, or a correction. */
export async function setSecret(t: InboundTarget, input: { name: string; secret?: string; generate?: boolean }) {
  const scheme = await knownSource(t, input.name);
  if (input.secret === undefined && !input.generate) throw new UsageError('--secret VALUE or --generate is required');
  if (input.generate && !scheme) throw new UsageError('--generate needs the source’s scheme; pass --secret');
  const value = input.secret ?? newSourceSecret(scheme!);
  try {
    validateSecretValue(value);
  } catch (err) {
    throw new UsageError(`--secret: ${(err as Error).message}`);
  }
  await writeSourceSecret(t, input.name, { current: value });
  return { name: input.name, secret: 'set', ...(input.generate ? { generated_secret: value } : {}) };
}

/** Rotates with an overlap: the new value is current, the old one verifies for `overlapSeconds` more. */
export async function rotateSecret(
  t: InboundTarget,
  input: { name: string; secret?: string; generate?: boolean; overlapSeconds?: number },
) {
  const scheme = await knownSource(t, input.name);
  if (input.secret === undefined && !input.generate) throw new UsageError('--secret VALUE (the new one) or --generate is required');
  const overlap = input.overlapSeconds ?? DEFAULT_SOURCE_ROTATION_OVERLAP_SECONDS;
  if (!Number.isInteger(overlap) || overlap < 0 || overlap > 30 * 86_400) throw new UsageError('--overlap must be 0 to 2592000 seconds');
  if (input.generate && !scheme) throw new UsageError('--generate needs the source’s scheme; pass --secret');
  const value = input.secret ?? newSourceSecret(scheme!);
  const old = await readSourceSecret(t, input.name);
  let next: SourceSecret;
  try {
    next = rotateSourceSecret(old, value, overlap, (t.now ?? (() => new Date()))());
  } catch (err) {
    throw new UsageError(`--secret: ${(err as Error).message}`);
  }
  await writeSourceSecret(t, input.name, next);
  return {
    name: input.name,
    secret: 'rotated',
    previous_verifies_until: next.previous_until ?? null,
    ...(input.generate ? { generated_secret: value } : {}),
  };
}

type EventState = 'forwarded' | 'pending' | 'bus_failed';

export function stateOf(status: InboundStatus): EventState {
  return status.forwardedTime ? 'forwarded' : status.busFailures ? 'bus_failed' : 'pending';
}

function eventView(record: InboundRecord, status: InboundStatus) {
  return {
    id: record.id,
    provider_id: record.providerId ?? null,
    type: record.type,
    provider_type: record.providerType,
    received_time: record.receivedTime,
    status: stateOf(status),
    forwarded_time: status.forwardedTime ?? null,
    bus_entries: status.forwardedEntries ?? null,
    forward_tenant_id: record.forwardTenantId ?? null,
    forward_skipped: status.forwardSkipped ?? null,
    bus_failures: status.busFailures ?? 0,
    last_bus_error: status.lastBusError ?? null,
    body_bytes: record.bodyBytes,
    body_kept: record.bodyKey ? 'beside the table (S3)' : 'in the item',
  };
}

/** A source's accepted events, newest first, and its refused requests by minute and reason. */
export async function history(t: InboundTarget, input: { name: string; limit?: number; sinceHours?: number; status?: string }) {
  const limit = input.limit ?? 20;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError('--limit must be 1 to 1000');
  const hours = input.sinceHours ?? 24;
  if (!(hours > 0 && hours <= 24 * 365)) throw new UsageError('--since-hours must be more than 0 and at most 8760');
  if (input.status !== undefined && !['forwarded', 'pending', 'bus_failed'].includes(input.status))
    throw new UsageError('--status must be forwarded, pending or bus_failed');
  await knownSourceOrGone(t, input.name);
  const now = (t.now ?? (() => new Date()))();
  const since = new Date(now.getTime() - hours * 3600_000).toISOString();
  const events: ReturnType<typeof eventView>[] = [];
  let cursor: string | undefined;
  do {
    const page = await t.store.list(input.name, { limit: Math.min(100, limit), since, ...(cursor ? { cursor } : {}) });
    for (const { record, status } of page.items)
      if (!input.status || stateOf(status) === input.status) events.push(eventView(record, status));
    cursor = page.nextCursor;
  } while (cursor && events.length < limit);
  const minute = since.slice(0, 16);
  const refusals = await t.store.listRefusals(input.name, `${minute}:00.000Z`);
  const refusedTotal = refusals.reduce((n, r) => n + Object.values(r.counts).reduce((a, b) => a + b, 0), 0);
  return {
    source: input.name,
    since,
    events: events.slice(0, limit),
    refused: { total: refusedTotal, by_minute: refusals },
  };
}

/** History of a removed source stays readable: only an unknown name with no history at all is refused. */
async function knownSourceOrGone(t: InboundTarget, name: string): Promise<void> {
  try {
    await knownSource(t, name);
  } catch (err) {
    if (!(err instanceof CommandError)) throw err;
    const page = await t.store.list(name, { limit: 1 });
    if (page.items.length === 0) throw err;
  }
}

/**
 * Puts on the bus every event of the last `sinceHours` not marked as put there (the bus refused
 * it, or its request died first), oldest first. Events received in the last 15 s are left to their
 * own request. Safe to run again: an event put twice reaches the bus twice with the same id
 * (EventBridge is at least once anyway; consumers deduplicate by `detail.id`).
 */
export async function redrive(t: InboundTarget, input: { names?: string[]; sinceHours?: number }) {
  const hours = input.sinceHours ?? 24 * 14;
  if (!(hours > 0 && hours <= 24 * 365)) throw new UsageError('--since-hours must be more than 0 and at most 8760');
  const now = (t.now ?? (() => new Date()))();
  const since = new Date(now.getTime() - hours * 3600_000).toISOString();
  const names =
    input.names && input.names.length > 0
      ? input.names
      : [...new Set([...declaredNames(t), ...(await t.sources.listSources()).map((s) => s.name)])];
  const result: Record<string, { redriven: number; failed: number; body_missing: number; errors: string[] }> = {};
  for (const name of names) {
    const r = { redriven: 0, failed: 0, body_missing: 0, errors: [] as string[] };
    result[name] = r;
    const pending: InboundRecord[] = [];
    let cursor: string | undefined;
    do {
      const page = await t.store.list(name, { limit: 100, since, ...(cursor ? { cursor } : {}) });
      for (const { record, status } of page.items)
        if (!status.forwardedTime && now.getTime() - Date.parse(record.receivedTime) >= INBOUND_IN_PROGRESS_MS) pending.push(record);
      cursor = page.nextCursor;
    } while (cursor);
    for (const record of pending.reverse()) {
      const text = record.body ?? (record.bodyKey ? await t.bodies.get(record.bodyKey) : undefined);
      if (text === undefined) {
        r.body_missing++;
        continue;
      }
      const { entries, forwardSkipped } = busEntriesFor(record, parseInboundBody(record.contentType, text), t.bodyBucket);
      try {
        await t.bus.putEntries(entries);
      } catch (err) {
        r.failed++;
        if (r.errors.length < 5) r.errors.push(`${record.id}: ${(err as Error).message}`);
        await t.store.markBusFailed(record, new Date().toISOString(), (err as Error).message);
        continue;
      }
      await t.store.markForwarded(record, new Date().toISOString(), entries.length, forwardSkipped);
      r.redriven++;
    }
  }
  return { since, sources: result };
}
