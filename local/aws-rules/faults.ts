import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';

/**
 * Faults a test injects into the local twin, where AWS could produce them: SendMessageBatch
 * entries reported Failed while the rest of the batch is accepted, and handler invocations that
 * fail as a whole (a throw or a timeout: Lambda returns the entire batch to the queue). A
 * minimal hook for the ingest side; the sender side's port-call faults live in local/faults.ts.
 */

export interface SendEntryFault {
  /** Only batches sent to this queue; any queue when absent. */
  queueUrl?: string;
  /** Which entries fail, by message body; every entry when absent. */
  match?: (body: string) => boolean;
  /** How many entries fail before the fault is spent; for ever when absent. */
  times?: number;
  /** As SQS reports it: `InternalError` (not the sender's fault, worth a retry) by default. */
  code?: string;
  senderFault?: boolean;
}

export interface InvocationFault {
  /** `after`: the handler ran (its sends happened) and then the invocation failed, as a timeout does. */
  when: 'before' | 'after';
  /** Only batches holding a record whose body matches; every batch when absent. */
  match?: (body: string) => boolean;
  times?: number;
}

export class AwsFaults {
  /** How many faults have fired: a test can tell its fault was met. */
  injected = 0;
  private sendFaults: SendEntryFault[] = [];
  private invocationFaults = new Map<string, InvocationFault[]>();

  failSendEntries(fault: SendEntryFault): void {
    this.sendFaults.push({ ...fault });
  }

  failInvocations(handler: string, fault: InvocationFault): void {
    this.invocationFaults.set(handler, [...(this.invocationFaults.get(handler) ?? []), { ...fault }]);
  }

  clear(): void {
    this.injected = 0;
    this.sendFaults = [];
    this.invocationFaults.clear();
  }

  /** The fault an entry of a SendMessageBatch to `queueUrl` meets, if any (spending one of its times). */
  sendEntryFault(queueUrl: string, body: string): { code: string; senderFault: boolean } | undefined {
    for (const f of this.sendFaults) {
      if (f.queueUrl !== undefined && f.queueUrl !== queueUrl) continue;
      if (f.match && !f.match(body)) continue;
      if (f.times !== undefined) {
        if (f.times <= 0) continue;
        f.times--;
      }
      this.injected++;
      return { code: f.code ?? 'InternalError', senderFault: f.senderFault ?? false };
    }
    return undefined;
  }

  /** Wraps a queue-fed handler so that the invocation faults registered for `name` apply to it. */
  wrapHandler(name: string, handler: (event: SQSEvent) => Promise<SQSBatchResponse>): (event: SQSEvent) => Promise<SQSBatchResponse> {
    return async (event) => {
      const fault = this.invocationFault(name, event);
      if (fault?.when === 'before') throw new Error(`injected fault: ${name} invocation failed`);
      const result = await handler(event);
      if (fault?.when === 'after') throw new Error(`injected fault: ${name} invocation failed after its work (a timeout)`);
      return result;
    };
  }

  private invocationFault(name: string, event: SQSEvent): InvocationFault | undefined {
    for (const f of this.invocationFaults.get(name) ?? []) {
      if (f.match && !event.Records.some((r) => f.match!(r.body))) continue;
      if (f.times !== undefined) {
        if (f.times <= 0) continue;
        f.times--;
      }
      this.injected++;
      return f;
    }
    return undefined;
  }
}
