import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_ROUTES } from '../functions/app/api.js';
import { buildOpenApiDocument } from '../functions/app/openapi.js';
import { loadCatalog } from '../functions/domain/catalog.js';

/**
 * Writes docs/openapi.json from the route table (functions/app/api.ts API_ROUTES) and the event
 * catalog in events/, and client/schema.ts, the typed client's types, from that document. Run
 * `npm run openapi` after changing either; test/unit/openapi.test.ts fails while one is stale.
 */

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const OPENAPI_FILE = join(ROOT, 'docs', 'openapi.json');
export const CLIENT_SCHEMA_FILE = join(ROOT, 'client', 'schema.ts');

export function renderOpenApiDocument(): string {
  return `${JSON.stringify(buildOpenApiDocument(loadCatalog(), API_ROUTES), null, 2)}\n`;
}

/** What this script uses of openapi-typescript (its own declarations need TypeScript 5's, see below). */
interface OpenApiTypescript {
  default(schema: object, options?: object): Promise<unknown>;
  astToString(ast: unknown): string;
}

/**
 * openapi-typescript builds its output with TypeScript 5's compiler API, which the project's
 * TypeScript 7 no longer has: it lives in the workspace tools/openapi-gen with a TypeScript 5 of
 * its own, and is resolved from there.
 */
function openapiTypescript(): OpenApiTypescript {
  return createRequire(join(ROOT, 'tools', 'openapi-gen', 'package.json'))('openapi-typescript') as OpenApiTypescript;
}

const SCHEMA_HEADER = `/**
 * Generated from docs/openapi.json by openapi-typescript (\`npm run openapi\`): do not edit.
 * test/unit/openapi.test.ts fails while it is stale. The client is client/index.ts.
 */

`;

/** The document's types (\`paths\`, \`components\`, \`operations\`), from the document as written to docs/openapi.json. */
export async function renderClientSchema(document = renderOpenApiDocument()): Promise<string> {
  const { default: openapiTS, astToString } = openapiTypescript();
  return SCHEMA_HEADER + astToString(await openapiTS(JSON.parse(document)));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const document = renderOpenApiDocument();
  const schema = await renderClientSchema(document);
  for (const [file, text] of [
    [OPENAPI_FILE, document],
    [CLIENT_SCHEMA_FILE, schema],
  ] as const) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    console.log(`wrote ${file}`);
  }
}
