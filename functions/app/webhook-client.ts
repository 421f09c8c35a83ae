import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { Agent, type Dispatcher } from 'undici';
import { type AddressPolicy, refusalForAddress, refusalForUrl } from '../domain/address-policy.js';
import { RESPONSE_EXCERPT_BYTES } from '../domain/api-limits.js';

/**
 * The sender's HTTP client: one keep-alive pool for every delivery, no redirects, a hard
 * per-attempt timeout, a bounded read of the response, and the SSRF guard applied to the
 * address actually connected to (so a DNS answer cannot change between check and connect).
 */

export { RESPONSE_EXCERPT_BYTES };

export type AttemptResult =
  | { kind: 'response'; status: number; latencyMs: number; excerpt: string; retryAfterSeconds?: number }
  | { kind: 'error'; error: 'timeout' | 'connection' | 'refused' | 'dns' | 'other'; message: string; latencyMs: number };

export class RefusedAddressError extends Error {
  readonly code = 'EWEBHOOKREFUSED';
}

/** dns.lookup's shape with `all: true`; swappable so tests can play a DNS that lies. */
export type Resolver = (
  hostname: string,
  options: { all: true; family: number },
  callback: (err: Error | null, addresses: LookupAddress[]) => void,
) => void;

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

interface Target {
  refusal: string | null;
  origin: string;
  path: string;
}

/**
 * Built on undici's `dispatch` rather than `request`: no body stream per response, one timer
 * per attempt instead of an AbortSignal, and the URL checked once per URL (the lookup hook
 * still checks every connection). This keeps the sender close to a bare HTTP client's speed.
 */
export class WebhookClient {
  private readonly agent: Agent;
  private readonly targets = new Map<string, Target>();

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

  private target(url: string): Target {
    let t = this.targets.get(url);
    if (!t) {
      // Literal addresses never reach the lookup hook, so they are refused here.
      const refusal = refusalForUrl(url, this.options.policy);
      const u = refusal ? undefined : new URL(url);
      t = { refusal, origin: u?.origin ?? '', path: u ? u.pathname + u.search : '' };
      if (this.targets.size >= 1000) this.targets.delete(this.targets.keys().next().value as string);
      this.targets.set(url, t);
    }
    return t;
  }

  post(url: string, headers: Record<string, string>, body: string): Promise<AttemptResult> {
    const started = performance.now();
    const t = this.target(url);
    if (t.refusal) return Promise.resolve({ kind: 'error', error: 'refused', message: `callback URL ${t.refusal}`, latencyMs: 0 });
    headers['content-type'] = 'application/json';
    headers['user-agent'] = this.options.userAgent;
    return new Promise<AttemptResult>((resolve) => {
      // Redirects are never followed: a plain dispatch has no redirect handling.
      this.agent.dispatch(
        { origin: t.origin, path: t.path, method: 'POST', headers, body },
        new PostAttempt(started, this.options.timeoutMs, resolve),
      );
    });
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/**
 * One POST's dispatch handler and timer: a single object per attempt (its methods on the
 * prototype, the timer given the object as its argument) rather than a set of closures.
 */
class PostAttempt implements Dispatcher.DispatchHandler {
  private status = 0;
  private retryAfter: string | string[] | undefined;
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private done = false;
  private timedOut = false;
  private controller: Dispatcher.DispatchController | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly started: number,
    timeoutMs: number,
    private readonly resolve: (r: AttemptResult) => void,
  ) {
    this.timer = setTimeout(onAttemptTimeout, timeoutMs, this);
  }

  private elapsed(): number {
    return Math.round(performance.now() - this.started);
  }

  private finish(r: AttemptResult): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    this.resolve(r);
  }

  timeout(): void {
    this.timedOut = true;
    this.finish({ kind: 'error', error: 'timeout', message: 'the receiver did not answer in time', latencyMs: this.elapsed() });
    this.controller?.abort(new Error('attempt timed out'));
  }

  private respond(): void {
    const { chunks, size } = this;
    const excerpt = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString('utf8', 0, Math.min(size, RESPONSE_EXCERPT_BYTES));
    const r: AttemptResult = { kind: 'response', status: this.status, latencyMs: this.elapsed(), excerpt };
    const ra = parseRetryAfter(this.retryAfter);
    if (ra !== undefined) r.retryAfterSeconds = ra;
    this.finish(r);
  }

  onRequestStart(c: Dispatcher.DispatchController): void {
    this.controller = c;
    if (this.timedOut) c.abort(new Error('attempt timed out'));
  }

  onResponseStart(
    _c: Dispatcher.DispatchController,
    statusCode: number,
    responseHeaders: Record<string, string | string[] | undefined>,
  ): void {
    this.status = statusCode;
    this.retryAfter = responseHeaders['retry-after'];
  }

  onResponseData(c: Dispatcher.DispatchController, chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    // The log keeps 4 KB: the rest of a long answer is not read.
    if (this.size >= RESPONSE_EXCERPT_BYTES) {
      this.respond();
      c.abort(new Error('response excerpt complete'));
    }
  }

  onResponseEnd(): void {
    this.respond();
  }

  onResponseError(_c: Dispatcher.DispatchController | null, err: Error): void {
    // A receiver that breaks off its body still gave us its status.
    if (this.status) this.respond();
    else this.finish({ kind: 'error', ...classify(err), latencyMs: this.elapsed() });
  }
}

function onAttemptTimeout(attempt: PostAttempt): void {
  attempt.timeout();
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
  if (err instanceof RefusedAddressError || code === 'EWEBHOOKREFUSED' || e.cause instanceof RefusedAddressError)
    return { error: 'refused', message };
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || /TIMEOUT/.test(code))
    return { error: 'timeout', message: 'the receiver did not answer in time' };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { error: 'dns', message };
  if (/^E(CONN|PIPE|HOSTUNREACH|NETUNREACH)|UND_ERR_SOCKET|UND_ERR_CLOSED/.test(code)) return { error: 'connection', message };
  return { error: 'other', message };
}
