import { z } from 'zod';
import { DEFAULT_INBOUND_TOLERANCE_SECONDS, type GenericHmacOptions, INBOUND_SCHEMES, type InboundScheme } from './schemes.js';

/**
 * An inbound source, as an operator declares it (construct props, `-c inboundSources=...`, or
 * `npm run inbound -- add`): its name (the path `/inbound/<name>`), its provider's scheme, and what
 * to do with what it sends. Its secret is not here: it is kept in Secrets Manager (sourceSecret*).
 */
export interface InboundSource {
  name: string;
  scheme: InboundScheme;
  description?: string;
  /** Seconds a signed timestamp may be from now (schemes that sign one). @default 300 */
  toleranceSeconds?: number;
  /**
   * Provider event types to the types put on the bus: exact keys, or a prefix ending in `*`
   * (`"invoice.*": "billing.invoice"`); the exact key wins, then the longest prefix. Types no key
   * matches go on unchanged.
   */
  typeMapping?: Record<string, string>;
  /** Also publish each event to this tenant's subscriptions, through the pipeline (its `type` as mapped). */
  forwardTenantId?: string;
  /** More request headers to keep with the event (besides the scheme's own, never a signature). */
  headers?: string[];
  /** The `hmac` scheme's settings. */
  hmac?: GenericHmacSource;
}

export interface GenericHmacSource extends GenericHmacOptions {
  /** The header naming the event type. */
  typeHeader?: string;
  /** Else this top-level field of a JSON body. @default 'type' */
  typeField?: string;
}

/** Letters, digits, `-` and `_`, up to 64: a path segment, a Secrets Manager name part and a key part as it is. */
export const SOURCE_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const MAX_TOLERANCE_SECONDS = 3600;
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/;
/** Headers never kept with an event: they carry signatures or credentials. */
export const SECRET_HEADERS = new Set([
  'authorization',
  'cookie',
  'stripe-signature',
  'x-hub-signature',
  'x-hub-signature-256',
  'x-shopify-hmac-sha256',
  'x-slack-signature',
  'webhook-signature',
  'svix-signature',
]);

const headerName = z.string().regex(HEADER_NAME, 'must be an HTTP header name');

const GenericHmacSchema = z.strictObject({
  signatureHeader: headerName,
  algorithm: z.enum(['sha1', 'sha256', 'sha512']).optional(),
  encoding: z.enum(['hex', 'base64']).optional(),
  prefix: z.string().max(50).optional(),
  timestampHeader: headerName.optional(),
  signedPayload: z
    .string()
    .min(1)
    .max(200)
    .refine((s) => s.includes('{body}'), 'must contain {body}')
    .optional(),
  idHeader: headerName.optional(),
  typeHeader: headerName.optional(),
  typeField: z.string().min(1).max(100).optional(),
});

const eventType = z.string().min(1).max(256);

export const InboundSourceSchema = z
  .strictObject({
    name: z.string().regex(SOURCE_NAME, 'must be 1 to 64 lowercase letters, digits, - or _, starting with a letter or digit'),
    // `svix` is Standard Webhooks under its Svix header names; both are read.
    scheme: z.enum([...INBOUND_SCHEMES, 'svix']).transform((s): InboundScheme => (s === 'svix' ? 'standard-webhooks' : s)),
    description: z.string().max(500).optional(),
    toleranceSeconds: z.int().min(1).max(MAX_TOLERANCE_SECONDS).optional(),
    typeMapping: z
      .record(eventType, eventType)
      .refine((m) => Object.keys(m).length <= 200, 'at most 200 entries')
      .optional(),
    forwardTenantId: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,128}$/, 'must be a tenant id')
      .optional(),
    headers: z
      .array(headerName.refine((h) => !SECRET_HEADERS.has(h.toLowerCase()), 'carries a signature or a credential'))
      .max(20)
      .optional(),
    hmac: GenericHmacSchema.optional(),
  })
  .superRefine((s, ctx) => {
    if (s.scheme === 'hmac' && !s.hmac)
      ctx.addIssue({ code: 'custom', path: ['hmac'], message: 'the hmac scheme needs hmac.signatureHeader' });
    if (s.scheme !== 'hmac' && s.hmac)
      ctx.addIssue({ code: 'custom', path: ['hmac'], message: 'only the hmac scheme takes hmac settings' });
    for (const key of Object.keys(s.typeMapping ?? {}))
      if (key.slice(0, -1).includes('*'))
        ctx.addIssue({ code: 'custom', path: ['typeMapping', key], message: 'a * may only end a key (a prefix: "invoice.*")' });
  });

export class SourceConfigError extends Error {
  override name = 'SourceConfigError';
}

function describe(error: z.ZodError, where: string): string {
  return error.issues.map((i) => `${where}${i.path.length ? `.${i.path.join('.')}` : ''}: ${i.message}`).join('; ');
}

/** One source, checked; throws SourceConfigError naming every problem. */
export function parseInboundSource(input: unknown, where = 'source'): InboundSource {
  const r = InboundSourceSchema.safeParse(input);
  if (!r.success) throw new SourceConfigError(describe(r.error, where));
  return r.data as InboundSource;
}

/** A list of sources (props, context, the function's environment): each checked, names unique. */
export function parseInboundSources(input: unknown, where = 'inboundSources'): InboundSource[] {
  if (!Array.isArray(input)) throw new SourceConfigError(`${where} must be a list of sources`);
  const sources = input.map((s, i) => parseInboundSource(s, `${where}[${i}]`));
  const seen = new Set<string>();
  for (const s of sources) {
    if (seen.has(s.name)) throw new SourceConfigError(`${where}: the source name ${s.name} is used twice`);
    seen.add(s.name);
  }
  if (sources.length > MAX_DECLARED_SOURCES) throw new SourceConfigError(`${where}: at most ${MAX_DECLARED_SOURCES} sources`);
  return sources;
}

/** The function's environment holds declared sources as JSON (4 KB of Lambda's environment is plenty for about 20). */
export const MAX_DECLARED_SOURCES = 50;
export const INBOUND_SOURCES_ENV = 'WEBHOOKS_INBOUND_SOURCES';
export const INBOUND_SECRET_PREFIX_ENV = 'WEBHOOKS_INBOUND_SECRET_PREFIX';

export const toleranceOf = (s: InboundSource) => s.toleranceSeconds ?? DEFAULT_INBOUND_TOLERANCE_SECONDS;

/** The provider type as put on the bus: the mapping's exact key, else its longest matching prefix, else unchanged. */
export function mapEventType(mapping: Readonly<Record<string, string>> | undefined, type: string): string {
  if (!mapping) return type;
  const exact = mapping[type];
  if (exact !== undefined) return exact;
  let best: string | undefined;
  let bestLength = -1;
  for (const [key, value] of Object.entries(mapping)) {
    if (!key.endsWith('*')) continue;
    const prefix = key.slice(0, -1);
    if (type.startsWith(prefix) && prefix.length > bestLength) {
      best = value;
      bestLength = prefix.length;
    }
  }
  return best ?? type;
}

// ---- The source's secret, as kept in Secrets Manager ----

/**
 * What a source's secret holds: the current value and, during a rotation's overlap, the previous
 * one until a time. A plain string (not JSON) is read as the current value alone, so a secret put
 * with `aws secretsmanager put-secret-value --secret-string whsec_...` works too.
 */
export interface SourceSecret {
  current: string;
  previous?: string;
  /** ISO time the previous value stops verifying. */
  previous_until?: string;
}

export const DEFAULT_SOURCE_ROTATION_OVERLAP_SECONDS = 24 * 3600;
const MAX_SECRET_CHARS = 1024;

export function parseSourceSecret(text: string): SourceSecret {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw new SourceConfigError('the source secret is not valid JSON');
    }
    const p = parsed as Partial<SourceSecret>;
    if (typeof p.current !== 'string' || !p.current) throw new SourceConfigError('the source secret has no "current" value');
    return {
      current: p.current,
      ...(typeof p.previous === 'string' && p.previous ? { previous: p.previous } : {}),
      ...(typeof p.previous_until === 'string' ? { previous_until: p.previous_until } : {}),
    };
  }
  if (!trimmed) throw new SourceConfigError('the source secret is empty');
  return { current: trimmed };
}

/** The values that verify at `now`: the current one, and the previous one while its overlap lasts. */
export function activeSecrets(secret: SourceSecret, now: Date): string[] {
  const out = [secret.current];
  if (secret.previous && secret.previous_until && Date.parse(secret.previous_until) > now.getTime()) out.push(secret.previous);
  return out;
}

/** When the soonest of the values stops verifying (a cache must not keep it past then); undefined if never. */
export function secretChangesAt(secret: SourceSecret): number | undefined {
  return secret.previous && secret.previous_until ? Date.parse(secret.previous_until) : undefined;
}

export function validateSecretValue(value: string): string {
  if (!value || value.trim() !== value) throw new SourceConfigError('the secret must be non-empty, without spaces around it');
  if (value.length > MAX_SECRET_CHARS) throw new SourceConfigError(`the secret must be at most ${MAX_SECRET_CHARS} characters`);
  if ([...value].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f))
    throw new SourceConfigError('the secret must not contain control characters');
  return value;
}

/** The secret after a rotation: `next` is current, the old current verifies for `overlapSeconds` more. */
export function rotateSourceSecret(old: SourceSecret | undefined, next: string, overlapSeconds: number, now: Date): SourceSecret {
  validateSecretValue(next);
  if (!old || overlapSeconds <= 0 || old.current === next) return { current: next };
  return { current: next, previous: old.current, previous_until: new Date(now.getTime() + overlapSeconds * 1000).toISOString() };
}

/** Where a source's secret lives: `<prefix><name>` (the stack's `webhooks-inbound/<namePrefix>/`). */
export const sourceSecretName = (prefix: string, name: string) => `${prefix}${name}`;
