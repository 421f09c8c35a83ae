import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { Agent, request } from 'undici';
import { refusalForAddress, refusalForUrl, type AddressPolicy } from '../domain/address-policy.js';

/**
 * The sender's HTTP client: one keep-alive pool for every delivery, no redirects, a hard
 * per-attempt timeout, a bounded read of the response, and the SSRF guard applied to the
 * address actually connected to (so a DNS answer cannot change between check and connect).
 */

export const RESPONSE_EXCERPT_BYTES = 4096;

export type AttemptResult =
  | { kind: 'response'; status: number; latencyMs: number; excerpt: string; retryAfterSeconds?: number }
  | { kind: 'error'; error: 'timeout' | 'connection' | 'refused' | 'dns' | 'other'; message: string; latencyMs: number };

export class RefusedAddressError extends Error {
  readonly code = 'EWEBHOOKREFUSED';
}

/** dns.lookup's shape with `all: true`; swappable so tests can play a DNS that lies. */
export type Resolver = (hostname: string, options: { all: true; family: number }, callback: (err: Error | null, addresses: LookupAddress[]) => void) => void;

export function guardedLookup(policy: AddressPolicy, resolve: Resolver = dnsLookup as unknown as Resolver): LookupFunction {
  return ((hostname: string, options: { all?: boolean; family?: number }, callback: (...args: unknown[]) => void) => {
    resolve(hostname, { all: true, family: options.family ?? 0 }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err);
      for (const a of addresses) {
        const refusal = refusalForAddress(a.address, policy);
        if (refusal) return callback(new RefusedAddressError(`${hostname} resolves to ${refusal}`));
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0]!;
      callback(null, first.address, first.family);
    });
  }) as unknown as LookupFunction;
}

export interface WebhookClientOptions {
  policy: AddressPolicy;
  timeoutMs: number;
  userAgent: string;
  connections?: number;
  resolver?: Resolver;
}

export class WebhookClient {
  private readonly agent: Agent;

  constructor(private readonly options: WebhookClientOptions) {
    this.agent = new Agent({
      connections: options.connections ?? 50,
      keepAliveTimeout: 30_000,
      connectTimeout: options.timeoutMs,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      connect: { lookup: guardedLookup(options.policy, options.resolver) },
    });
  }

  async post(url: string, headers: Record<string, string>, body: string): Promise<AttemptResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    // Literal addresses never reach the lookup hook, so they are checked here.
    const refusal = refusalForUrl(url, this.options.policy);
    if (refusal) return { kind: 'error', error: 'refused', message: `callback URL ${refusal}`, latencyMs: 0 };
    try {
      const res = await request(url, {
        method: 'POST',
        dispatcher: this.agent,
        headers: { ...headers, 'content-type': 'application/json', 'user-agent': this.options.userAgent },
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      const excerpt = await readExcerpt(res.body);
      const result: AttemptResult = { kind: 'response', status: res.statusCode, latencyMs: elapsed(), excerpt };
      const retryAfter = parseRetryAfter(res.headers['retry-after']);
      if (retryAfter !== undefined) result.retryAfterSeconds = retryAfter;
      return result;
    } catch (err) {
      return { kind: 'error', ...classify(err), latencyMs: elapsed() };
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

async function readExcerpt(body: AsyncIterable<Buffer> & { destroy(): void }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= RESPONSE_EXCERPT_BYTES) {
        body.destroy();
        break;
      }
    }
  } catch {
    // A receiver that breaks off its response body still gave us its status.
  }
  return Buffer.concat(chunks).subarray(0, RESPONSE_EXCERPT_BYTES).toString('utf8');
}

export function parseRetryAfter(value: string | string[] | undefined): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim());
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

function classify(err: unknown): { error: 'timeout' | 'connection' | 'refused' | 'dns' | 'other'; message: string } {
  const e = err as { code?: string; name?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? e.cause?.code ?? '';
  const message = e.message ?? String(err);
  if (err instanceof RefusedAddressError || code === 'EWEBHOOKREFUSED' || e.cause instanceof RefusedAddressError) return { error: 'refused', message };
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || /TIMEOUT/.test(code)) return { error: 'timeout', message: 'the receiver did not answer in time' };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { error: 'dns', message };
  if (/^E(CONN|PIPE|HOSTUNREACH|NETUNREACH)|UND_ERR_SOCKET|UND_ERR_CLOSED/.test(code)) return { error: 'connection', message };
  return { error: 'other', message };
}
