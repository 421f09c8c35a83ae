import type { LocalPipeline } from '../../local/pipeline.js';

/** Polls `probe` until it returns a value (not undefined), or fails after `timeoutMs`. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Until local mode has nothing left to do with what it accepted: no message ready, delayed or in
 * flight on the ingest or the delivery queue. The API answers 202 once the event is on the
 * ingest queue and every stage deletes its message only after its work (a POST included), so a
 * delivery that was going to be made has been made by then: a test can assert an absence.
 * Waits parked out of the queue (parking.ts) are not covered: a test with parked deliveries
 * waits for them by name.
 */
export async function queuesSettled(p: Pick<LocalPipeline, 'sqs'>, timeoutMs = 30_000): Promise<void> {
  await eventually(
    'the ingest and delivery queues to empty',
    async () =>
      [p.sqs.ingest, p.sqs.delivery].every((q) => {
        const s = p.sqs.inspect(q);
        return s.ready + s.delayed + s.inflight === 0;
      }) || undefined,
    timeoutMs,
  );
}
