import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EVENT_TYPE_PATTERN } from './api-limits.js';
import { compileDataSchema, type DataCheck } from './data-schema.js';
import { isOperationalType, OPERATIONAL_TYPE_PREFIX } from './operational-events.js';

/**
 * The event type catalog lives in `events/` as one JSON file per type, so adding a type is
 * adding a file. Everything else (validation, the event-types route, the OpenAPI document)
 * reads it from here.
 */

export interface CatalogEntry {
  type: string;
  description: string;
  schema: Record<string, unknown>;
  example: Record<string, unknown>;
  /** The platform's own event (operational-events.ts): tenants subscribe to it but cannot publish it. */
  operational?: boolean;
  /**
   * false for a platform type that goes to no subscription (`webhook.endpoint.verification` goes
   * to the endpoint being verified alone): documented like any other, left out of the portal's
   * events picker.
   */
  subscribable?: boolean;
}

export interface Catalog {
  entries: readonly CatalogEntry[];
  types: readonly string[];
  has(type: string): boolean;
  /** Whether the type is the platform's own (marked `"operational": true` in its file). */
  isOperational(type: string): boolean;
  /** Null when `data` fits the type's schema, otherwise the problems found, one per line. */
  validateData(type: string, data: unknown): string[] | null;
}

/** Lambda bundles copy `events/` beside the handler; the repo keeps it at the top level. */
export function defaultCatalogDir(): string {
  if (process.env.WEBHOOKS_CATALOG_DIR) return process.env.WEBHOOKS_CATALOG_DIR;
  if (process.env.LAMBDA_TASK_ROOT) return join(process.env.LAMBDA_TASK_ROOT, 'events');
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'events');
}

export function loadCatalog(dir = defaultCatalogDir()): Catalog {
  if (!existsSync(dir)) throw new Error(`event catalog directory ${dir} does not exist`);
  const entries = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => parseEntry(f, JSON.parse(readFileSync(join(dir, f), 'utf8'))));
  return createCatalog(entries);
}

function parseEntry(file: string, raw: unknown): CatalogEntry {
  const e = raw as Partial<CatalogEntry>;
  if (
    typeof e?.type !== 'string' ||
    typeof e.description !== 'string' ||
    typeof e.schema !== 'object' ||
    typeof e.example !== 'object' ||
    !e.schema ||
    !e.example ||
    (e.subscribable !== undefined && typeof e.subscribable !== 'boolean')
  ) {
    throw new Error(
      `event catalog file ${file} needs "type", "description", "schema" and "example" (and "subscribable", if given, is true or false)`,
    );
  }
  if (e.operational !== undefined && typeof e.operational !== 'boolean')
    throw new Error(`event catalog file ${file}: "operational" must be true or false`);
  // The namespace and the mark say the same thing: a file that disagrees with itself is a mistake.
  if (isOperationalType(e.type) !== (e.operational === true)) {
    throw new Error(
      `event catalog file ${file}: types under "${OPERATIONAL_TYPE_PREFIX}" are the platform's own and only they are marked "operational": true`,
    );
  }
  // Published types are checked against this pattern before the catalog is read (requests.ts PublishEvent).
  if (!new RegExp(EVENT_TYPE_PATTERN).test(e.type))
    throw new Error(`event catalog file ${file}: type ${e.type} must match ${EVENT_TYPE_PATTERN}`);
  if (`${e.type}.json` !== file) throw new Error(`event catalog file ${file} declares type ${e.type}; name the file after its type`);
  return e as CatalogEntry;
}

export function createCatalog(entries: readonly CatalogEntry[]): Catalog {
  const byType = new Map(entries.map((e) => [e.type, e]));
  // Compiled on first use: compiling every schema at start-up was a third of the API's cold start.
  const validators = new Map<string, DataCheck>();
  const validatorFor = (type: string): DataCheck | undefined => {
    const entry = byType.get(type);
    if (!entry) return undefined;
    let check = validators.get(type);
    if (!check) {
      check = compileDataSchema(entry.schema);
      validators.set(type, check);
    }
    return check;
  };
  const types = entries.map((e) => e.type);
  return {
    entries,
    types,
    has: (type) => byType.has(type),
    isOperational: (type) => byType.get(type)?.operational === true,
    validateData(type, data) {
      const check = validatorFor(type);
      return check ? check(data) : [`unknown event type ${type}`];
    },
  };
}
