import {
  activeSecrets,
  type InboundSource,
  parseSourceSecret,
  SourceConfigError,
  type SourceSecret,
  secretChangesAt,
  sourceSecretName,
} from '../domain/inbound/source.js';
import type { InboundSourceRepository, SecretStore } from '../ports.js';

/**
 * The inbound function's view of its sources and their secrets, cached in the container so that
 * a request costs no DynamoDB or Secrets Manager call on the common path, whatever it sends:
 *
 * - sources declared by the stack come from the environment; those added with the CLI are read
 *   all at once (one Query) at most once per `sourcesTtlMs`, so requests naming sources that do
 *   not exist cost nothing either;
 * - a source's secret is read once per `secretTtlMs` (and no later than its previous value's
 *   overlap ends), missing secrets included; a signature that does not match re-reads it once,
 *   at most once per `refreshAfterMissMs`, so a rotation shows within seconds while a flood of bad
 *   signatures makes at most one Secrets Manager call per source every 30 s per container.
 */

export const DEFAULT_SOURCES_TTL_MS = 60_000;
export const DEFAULT_SOURCE_SECRET_TTL_MS = 5 * 60_000;
export const DEFAULT_REFRESH_AFTER_MISS_MS = 30_000;

export interface SourceRegistryOptions {
  declared: readonly InboundSource[];
  repository?: Pick<InboundSourceRepository, 'listSources'>;
  secrets: Pick<SecretStore, 'get'>;
  /** `webhooks-inbound/<namePrefix>/` on AWS. */
  secretPrefix: string;
  now?: () => number;
  sourcesTtlMs?: number;
  secretTtlMs?: number;
  refreshAfterMissMs?: number;
  log?: (level: 'warn' | 'error', message: string, detail: Record<string, unknown>) => void;
}

interface SecretEntry {
  /** Undefined: the source has no secret (yet). */
  secret: SourceSecret | undefined;
  readAt: number;
  expires: number;
}

/** Secrets Manager's "no such secret" (and one scheduled for deletion), or the local stand-in's. */
export function isMissingSecret(err: unknown): boolean {
  const e = err as { name?: string; message?: string };
  return (
    e?.name === 'ResourceNotFoundException' ||
    (e?.name === 'InvalidRequestException' && /deletion/i.test(e.message ?? '')) ||
    /not found/i.test(e?.message ?? '')
  );
}

export class SourceRegistry {
  private readonly declared: Map<string, InboundSource>;
  private runtime: { sources: Map<string, InboundSource>; expires: number } | undefined;
  private loading: Promise<Map<string, InboundSource>> | undefined;
  private readonly secrets = new Map<string, SecretEntry>();
  private readonly secretLoads = new Map<string, Promise<SecretEntry>>();
  private readonly now: () => number;

  constructor(private readonly options: SourceRegistryOptions) {
    this.declared = new Map(options.declared.map((s) => [s.name, s]));
    this.now = options.now ?? Date.now;
  }

  /** The source named `name`: the stack's declaration first, then the CLI's. */
  async source(name: string): Promise<InboundSource | undefined> {
    const declared = this.declared.get(name);
    if (declared) return declared;
    if (!this.options.repository) return undefined;
    return (await this.runtimeSources()).get(name);
  }

  private async runtimeSources(): Promise<Map<string, InboundSource>> {
    const now = this.now();
    if (this.runtime && this.runtime.expires > now) return this.runtime.sources;
    this.loading ??= (async () => {
      try {
        const list = await this.options.repository!.listSources();
        const sources = new Map(list.filter((s) => !this.declared.has(s.name)).map((s) => [s.name, s]));
        this.runtime = { sources, expires: this.now() + (this.options.sourcesTtlMs ?? DEFAULT_SOURCES_TTL_MS) };
        return sources;
      } catch (err) {
        // A read that fails keeps what was known (a short while longer), rather than refusing every request.
        if (this.runtime) {
          this.options.log?.('warn', 'inbound sources could not be read; using the last ones', { error: (err as Error).message });
          this.runtime.expires = this.now() + 5_000;
          return this.runtime.sources;
        }
        throw err;
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }

  /** The values that verify now ([] when the source has no secret). Throws when the store cannot be read. */
  async secretsOf(name: string): Promise<string[]> {
    const entry = await this.secretEntry(name, false);
    return entry.secret ? activeSecrets(entry.secret, new Date(this.now())) : [];
  }

  /**
   * After a signature that matched none: the secret read again if the cached one is older than
   * `refreshAfterMissMs`, and its values if they changed; else undefined (nothing new to try).
   */
  async refreshedSecretsOf(name: string): Promise<string[] | undefined> {
    const cached = this.secrets.get(name);
    if (cached && this.now() - cached.readAt < (this.options.refreshAfterMissMs ?? DEFAULT_REFRESH_AFTER_MISS_MS)) return undefined;
    const before = cached?.secret ? JSON.stringify(cached.secret) : undefined;
    const entry = await this.secretEntry(name, true);
    const after = entry.secret ? JSON.stringify(entry.secret) : undefined;
    return after !== before && entry.secret ? activeSecrets(entry.secret, new Date(this.now())) : undefined;
  }

  private async secretEntry(name: string, force: boolean): Promise<SecretEntry> {
    const cached = this.secrets.get(name);
    if (!force && cached && cached.expires > this.now()) return cached;
    let load = this.secretLoads.get(name);
    if (!load) {
      load = (async () => {
        const readAt = this.now();
        let secret: SourceSecret | undefined;
        try {
          secret = parseSourceSecret(await this.options.secrets.get(sourceSecretName(this.options.secretPrefix, name)));
        } catch (err) {
          // A value that is not a source secret is as good as none: every request is refused until it is fixed.
          if (err instanceof SourceConfigError)
            this.options.log?.('error', 'inbound source secret is unreadable', { source: name, error: err.message });
          else if (!isMissingSecret(err)) throw err;
          secret = undefined;
        }
        const ttl = secret
          ? (this.options.secretTtlMs ?? DEFAULT_SOURCE_SECRET_TTL_MS)
          : (this.options.refreshAfterMissMs ?? DEFAULT_REFRESH_AFTER_MISS_MS);
        const changes = secret ? secretChangesAt(secret) : undefined;
        const expires = Math.min(readAt + ttl, changes !== undefined && changes > readAt ? changes : Number.POSITIVE_INFINITY);
        const entry = { secret, readAt, expires };
        this.secrets.set(name, entry);
        return entry;
      })().finally(() => this.secretLoads.delete(name));
      this.secretLoads.set(name, load);
    }
    return load;
  }
}
