import type { InboundDetail } from '../../functions/domain/inbound/event.js';
import type { LocalPipeline } from '../../local/pipeline.js';
import type { InboundTarget } from '../../scripts/lib/inbound-commands.js';
import { inboundTargetOf } from '../../scripts/lib/inbound-target.js';
import { openTarget } from '../../scripts/lib/targets.js';

/** Inbound webhooks in tests: the CLI's ports on a running local mode, the bus as an operator's rule sees it, a provider's POST. */

/** What `npm run inbound` acts on, in this process (the CLI's own code, against the pipeline's local endpoints). */
export async function inboundCli(p: LocalPipeline): Promise<InboundTarget & { close(): void }> {
  const target = await openTarget({ env: { WEBHOOKS_DATA_DIR: p.dataDir } });
  const inbound = inboundTargetOf(target);
  return {
    ...inbound,
    close() {
      inbound.close();
      target.close();
    },
  };
}

export interface BusEvent {
  source: string;
  'detail-type': string;
  time: string;
  detail: InboundDetail & Record<string, unknown>;
}

/** Every event on the bus no pipeline rule matched (the stand-in for an operator's rule to a queue), oldest first. */
export function otherBusEvents(p: LocalPipeline): BusEvent[] {
  return p.sqs
    .peek(p.sqs.busOtherEvents)
    .sort((a, b) => a.sentTimestamp - b.sentTimestamp)
    .map((m) => JSON.parse(m.body) as BusEvent);
}

/** A provider's POST to /inbound/<source>: the raw body as given, the headers as given. */
export async function postInbound(
  p: LocalPipeline,
  source: string,
  body: string | Buffer,
  headers: Record<string, string>,
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${p.url}/inbound/${source}`, { method: 'POST', headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // The test sees the text.
  }
  return { status: res.status, body: parsed };
}
