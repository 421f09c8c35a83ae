import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPortalAssets } from '../app/portal-assets.js';
import { RECEIVER_GUIDE_URL_ENV, validateReceiverGuideUrl } from '../domain/portal.js';

/** The portal's files, built at synth and shipped beside index.mjs (lib/constructs/tenant-portal.ts). */
const dir = join(process.env.LAMBDA_TASK_ROOT ?? process.cwd(), 'portal');
const files = Object.fromEntries(readdirSync(dir).map((name) => [name, readFileSync(join(dir, name), 'utf8')]));

export const handler = createPortalAssets(files, {
  receiverGuideUrl: validateReceiverGuideUrl(RECEIVER_GUIDE_URL_ENV, process.env[RECEIVER_GUIDE_URL_ENV]),
});
