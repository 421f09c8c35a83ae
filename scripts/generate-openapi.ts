import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_ROUTES } from '../functions/app/api.js';
import { buildOpenApiDocument } from '../functions/app/openapi.js';
import { loadCatalog } from '../functions/domain/catalog.js';

/**
 * Writes docs/openapi.json from the route table (functions/app/api.ts API_ROUTES) and the event
 * catalog in events/. Run `npm run openapi` after changing either; test/unit/openapi.test.ts fails while it is stale.
 */

export const OPENAPI_FILE = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'openapi.json');

export function renderOpenApiDocument(): string {
  return `${JSON.stringify(buildOpenApiDocument(loadCatalog(), API_ROUTES), null, 2)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  mkdirSync(dirname(OPENAPI_FILE), { recursive: true });
  writeFileSync(OPENAPI_FILE, renderOpenApiDocument());
  console.log(`wrote ${OPENAPI_FILE}`);
}
