import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { SecretStore } from '../../ports.js';

/**
 * Local stand-in for Secrets Manager: one JSON file under the data directory, readable only
 * by its owner, so secrets survive restarts along with the DynamoDB data they belong to.
 */
export class FileSecretStore implements SecretStore {
  private readonly secrets = new Map<string, { value: string; tags: Record<string, string>; deletedAt?: string }>();

  constructor(private readonly file: string) {
    if (existsSync(file)) {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as Record<
        string,
        { value: string; tags: Record<string, string>; deletedAt?: string }
      >;
      for (const [k, v] of Object.entries(saved)) this.secrets.set(k, v);
    }
  }

  private save(): void {
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(Object.fromEntries(this.secrets), null, 2), { mode: 0o600 });
    renameSync(tmp, this.file);
  }

  async create(name: string, value: string, tags: Record<string, string>): Promise<void> {
    if (this.secrets.has(name)) throw new Error(`secret ${name} already exists`);
    this.secrets.set(name, { value, tags });
    this.save();
  }

  async get(name: string): Promise<string> {
    const s = this.secrets.get(name);
    if (!s || s.deletedAt) throw new Error(`secret ${name} not found`);
    return s.value;
  }

  async getMany(names: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const n of names) out.set(n, await this.get(n));
    return out;
  }

  async put(name: string, value: string): Promise<void> {
    const s = this.secrets.get(name);
    if (!s || s.deletedAt) throw new Error(`secret ${name} not found`);
    s.value = value;
    this.save();
  }

  /** Whether it exists, and if so whether it is scheduled for deletion (Secrets Manager's DescribeSecret). */
  describe(name: string): { deleted: boolean } | undefined {
    const s = this.secrets.get(name);
    return s ? { deleted: s.deletedAt !== undefined } : undefined;
  }

  /** Cancels a scheduled deletion (Secrets Manager's RestoreSecret). */
  async restore(name: string): Promise<void> {
    const s = this.secrets.get(name);
    if (!s) throw new Error(`secret ${name} not found`);
    delete s.deletedAt;
    this.save();
  }

  async scheduleDeletion(name: string): Promise<void> {
    const s = this.secrets.get(name);
    if (!s) throw new Error(`secret ${name} not found`);
    s.deletedAt = new Date().toISOString();
    this.save();
  }
}
