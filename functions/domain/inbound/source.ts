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

export class SourceConfigError extends Error {
  override name = 'SourceConfigError';
}

/**
 * Checked by hand, not with zod: the construct checks its props with this in the operator's own CDK
 * app, where the package brings no dependency but aws-cdk-lib and constructs, and the inbound
 * function's bundle stays small for its cold start.
 */
export function parseInboundSource(input: unknown, where = 'source'): InboundSource {
  const problems: string[] = [];
  const bad = (path: string, message: string) => problems.push(`${where}${path ? `.${path}` : ''}: ${message}`);
  if (!isObject(input)) throw new SourceConfigError(`${where}: must be an object`);
  const known = new Set(['name', 'scheme', 'description', 'toleranceSeconds', 'typeMapping', 'forwardTenantId', 'headers', 'hmac']);
  for (const k of Object.keys(input)) if (!known.has(k)) bad(k, 'is not a setting of a source');
  const { name, scheme, description, toleranceSeconds, typeMapping, forwardTenantId, headers, hmac } = input;
  if (typeof name !== 'string' || !SOURCE_NAME.test(name))
    bad('name', 'must be 1 to 64 lowercase letters, digits, - or _, starting with a letter or digit');
  let resolved: InboundScheme | undefined;
  if (scheme === 'svix') resolved = 'standard-webhooks';
  else if (typeof scheme === 'string' && (INBOUND_SCHEMES as readonly string[]).includes(scheme)) resolved = scheme as InboundScheme;
  else bad('scheme', `must be one of ${[...INBOUND_SCHEMES, 'svix'].join(', ')}`);
  if (description !== undefined && (typeof description !== 'string' || description.length > 500))
    bad('description', 'must be text of at most 500 characters');
  if (
    toleranceSeconds !== undefined &&
    !(Number.isInteger(toleranceSeconds) && (toleranceSeconds as number) >= 1 && (toleranceSeconds as number) <= MAX_TOLERANCE_SECONDS)
  )
    bad('toleranceSeconds', `must be a whole number from 1 to ${MAX_TOLERANCE_SECONDS}`);
  if (typeMapping !== undefined) {
    if (!isObject(typeMapping)) bad('typeMapping', 'must be an object of provider type to our type');
    else {
      const entries = Object.entries(typeMapping);
      if (entries.length > 200) bad('typeMapping', 'at most 200 entries');
      for (const [k, v] of entries) {
        if (!eventType(k)) bad(`typeMapping.${k}`, 'a key must be 1 to 256 characters');
        else if (k.slice(0, -1).includes('*')) bad(`typeMapping.${k}`, 'a * may only end a key (a prefix: "invoice.*")');
        if (typeof v !== 'string' || !eventType(v)) bad(`typeMapping.${k}`, 'must map to a type of 1 to 256 characters');
      }
    }
  }
  if (forwardTenantId !== undefined && (typeof forwardTenantId !== 'string' || !/^[A-Za-z0-9_-]{1,128}$/.test(forwardTenantId)))
    bad('forwardTenantId', 'must be a tenant id');
  if (headers !== undefined) {
    if (!Array.isArray(headers) || headers.length > 20) bad('headers', 'must be a list of at most 20 header names');
    else
      headers.forEach((h, i) => {
        if (typeof h !== 'string' || !HEADER_NAME.test(h)) bad(`headers.${i}`, 'must be an HTTP header name');
        else if (SECRET_HEADERS.has(h.toLowerCase())) bad(`headers.${i}`, 'carries a signature or a credential');
      });
  }
  if (resolved === 'hmac' && hmac === undefined) bad('hmac', 'the hmac scheme needs hmac.signatureHeader');
  if (resolved !== undefined && resolved !== 'hmac' && hmac !== undefined) bad('hmac', 'only the hmac scheme takes hmac settings');
  if (hmac !== undefined && resolved === 'hmac') checkHmac(hmac, bad);
  if (problems.length) throw new SourceConfigError(problems.join('; '));
  const out: InboundSource = { name: name as string, scheme: resolved! };
  if (description !== undefined) out.description = description as string;
  if (toleranceSeconds !== undefined) out.toleranceSeconds = toleranceSeconds as number;
  if (typeMapping !== undefined) out.typeMapping = { ...(typeMapping as Record<string, string>) };
  if (forwardTenantId !== undefined) out.forwardTenantId = forwardTenantId as string;
  if (headers !== undefined) out.headers = [...(headers as string[])];
  if (hmac !== undefined) out.hmac = { ...(hmac as GenericHmacSource) };
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const eventType = (v: string) => v.length >= 1 && v.length <= 256;

function checkHmac(hmac: unknown, bad: (path: string, message: string) => void): void {
  if (!isObject(hmac)) {
    bad('hmac', 'must be an object');
    return;
  }
  const header = (k: string, required = false) => {
    const v = hmac[k];
    if (v === undefined) {
      if (required) bad(`hmac.${k}`, 'is required');
    } else if (typeof v !== 'string' || !HEADER_NAME.test(v)) bad(`hmac.${k}`, 'must be an HTTP header name');
  };
  const known = new Set([
    'signatureHeader',
    'algorithm',
    'encoding',
    'prefix',
    'timestampHeader',
    'signedPayload',
    'idHeader',
    'typeHeader',
    'typeField',
  ]);
  for (const k of Object.keys(hmac)) if (!known.has(k)) bad(`hmac.${k}`, 'is not a setting of the hmac scheme');
  header('signatureHeader', true);
  for (const k of ['timestampHeader', 'idHeader', 'typeHeader']) header(k);
  if (hmac.algorithm !== undefined && !['sha1', 'sha256', 'sha512'].includes(hmac.algorithm as string))
    bad('hmac.algorithm', 'must be sha1, sha256 or sha512');
  if (hmac.encoding !== undefined && !['hex', 'base64'].includes(hmac.encoding as string)) bad('hmac.encoding', 'must be hex or base64');
  if (hmac.prefix !== undefined && (typeof hmac.prefix !== 'string' || hmac.prefix.length > 50))
    bad('hmac.prefix', 'must be text of at most 50 characters');
  const payload = hmac.signedPayload;
  if (payload !== undefined && (typeof payload !== 'string' || payload.length > 200 || !payload.includes('{body}')))
    bad('hmac.signedPayload', 'must be at most 200 characters and contain {body}');
  const field = hmac.typeField;
  if (field !== undefined && (typeof field !== 'string' || field.length < 1 || field.length > 100))
    bad('hmac.typeField', 'must be 1 to 100 characters');
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
