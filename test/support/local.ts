import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalPipeline, type LocalOptions, type LocalPipeline } from '../../local/pipeline.js';

/** Local mode in-process on free ports with a throw-away data directory. */
export interface TestPipeline extends LocalPipeline {
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>;
}

export async function startTestPipeline(options: LocalOptions = {}): Promise<TestPipeline> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'webhooks-test-'));
  const pipeline = await startLocalPipeline({ port: 0, ...options, dataDir });
  const call: TestPipeline['call'] = async (method, path, body, headers = {}) => {
    const res = await fetch(pipeline.url + path, {
      method,
      headers: {
        Identity: pipeline.credentials.identity,
        Authorization: pipeline.credentials.authorization,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON: the test sees the text.
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };
  return {
    ...pipeline,
    call,
    async stop() {
      await pipeline.stop();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
