import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ACCOUNT_THROTTLE_ONLY, startLocalPipeline } from '../local/pipeline.js';
import { buildPortal } from '../portal/build.js';
import { launchChromium } from '../portal/chromium.js';
import { median } from './support.js';

/**
 * The tenant portal: its JS and CSS gzipped, and the time from opening a portal link to the
 * subscription list on screen (headless Chromium, local mode, a fresh browser context each run,
 * so nothing is cached), against the bare API call that list makes.
 */

export interface PortalFigure {
  jsGzipBytes: number;
  cssGzipBytes: number;
  subscriptions: number;
  runs: number;
  loadToListMs: number;
  loadToListRunsMs: number[];
  apiListMs: number;
  apiListRunsMs: number[];
}

export async function measurePortal(options: { runs: number; subscriptions: number; log: (line: string) => void }): Promise<PortalFigure> {
  const files = await buildPortal();
  const dataDir = mkdtempSync(join(tmpdir(), 'webhooks-bench-portal-'));
  const pipeline = await startLocalPipeline({ port: 0, dataDir, ...ACCOUNT_THROTTLE_ONLY });
  const browser = await launchChromium();
  try {
    const auth = { Identity: pipeline.credentials.identity, Authorization: pipeline.credentials.authorization };
    for (let i = 0; i < options.subscriptions; i++) {
      const res = await fetch(`${pipeline.url}/api/v0.1/webhooks`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ url: `http://127.0.0.1:9/hook-${i}`, description: `bench ${i}`, events: ['card.created'] }),
      });
      if (res.status !== 201) throw new Error(`creating a subscription answered ${res.status}`);
    }
    const loadRuns: number[] = [];
    const apiRuns: number[] = [];
    // One warm-up of each, not counted.
    for (let run = -1; run < options.runs; run++) {
      const link = await pipeline.portalLink();
      const context = await browser.newContext();
      const page = await context.newPage();
      const started = performance.now();
      await page.goto(link.url);
      await page
        .locator('table[aria-label="Subscriptions"] tbody tr')
        .nth(options.subscriptions - 1)
        .waitFor();
      const loadMs = performance.now() - started;
      await context.close();

      const apiStarted = performance.now();
      const res = await fetch(`${pipeline.url}/api/v0.1/webhooks?limit=50`, { headers: auth });
      await res.json();
      const apiMs = performance.now() - apiStarted;
      if (run >= 0) {
        loadRuns.push(loadMs);
        apiRuns.push(apiMs);
      }
    }
    const figure: PortalFigure = {
      jsGzipBytes: gzipSync(files['app.js'] ?? '').length,
      cssGzipBytes: gzipSync(files['app.css'] ?? '').length,
      subscriptions: options.subscriptions,
      runs: options.runs,
      loadToListMs: median(loadRuns),
      loadToListRunsMs: loadRuns,
      apiListMs: median(apiRuns),
      apiListRunsMs: apiRuns,
    };
    options.log(
      `  portal: ${(figure.jsGzipBytes / 1024).toFixed(1)} KiB JS + ${(figure.cssGzipBytes / 1024).toFixed(1)} KiB CSS gzipped; link to list ${figure.loadToListMs.toFixed(0)} ms (API list ${figure.apiListMs.toFixed(1)} ms)`,
    );
    return figure;
  } finally {
    await browser.close();
    await pipeline.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
