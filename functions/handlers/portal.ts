import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { API_DOCS_PATH, createApiDocsAssets } from '../app/api-docs-assets.js';
import { createPortalAssets } from '../app/portal-assets.js';
import { RECEIVER_GUIDE_URL_ENV, validateReceiverGuideUrl } from '../domain/portal.js';

/**
 * The portal's files and the API reference page's, built at synth and shipped beside index.mjs
 * (lib/constructs/tenant-portal.ts): `portal/` and `api-docs/`.
 */
const root = process.env.LAMBDA_TASK_ROOT ?? process.cwd();
const filesIn = (dir: string) =>
  Object.fromEntries(readdirSync(join(root, dir)).map((name) => [name, readFileSync(join(root, dir, name), 'utf8')]));

const portal = createPortalAssets(filesIn('portal'), {
  receiverGuideUrl: validateReceiverGuideUrl(RECEIVER_GUIDE_URL_ENV, process.env[RECEIVER_GUIDE_URL_ENV]),
});
const apiDocs = createApiDocsAssets(filesIn('api-docs'));

export const handler: typeof portal = (event) =>
  event.path === API_DOCS_PATH || event.path.startsWith(`${API_DOCS_PATH}/`) ? apiDocs(event) : portal(event);
