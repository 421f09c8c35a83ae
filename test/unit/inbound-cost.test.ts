import { describe, expect, it } from 'vitest';
import { priceInbound } from '../../bench/inbound.js';
import type { StackSettings } from '../../bench/stack-settings.js';
import type { UsageSnapshot } from '../../local/usage-meter.js';

/** The inbound cost figure (bench/inbound.ts) against a usage priced by hand at bench/prices.ts's list prices. */

const stack: StackSettings = {
  memoryMb: { api: 256, authorizer: 256, fanout: 256, sender: 512, resumer: 256, inbound: 256 },
  traced: { api: true, authorizer: true, fanout: true, sender: false, resumer: false, inbound: true },
  accessLogBytes: 474,
  emfBytesPerInvocation: {},
  resumerEveryMinutes: 1,
};
const fn = (invocations = 0, billedMs = 0) => ({ invocations, errors: 0, billedMs, samples: [] });

/** 1,000 inbound events: 5 write units each (item 2, its gsi1 copy 2, the marker 1), one bus entry, one invocation and one API request each. */
const usage: UsageSnapshot = {
  dynamodb: { readUnits: 0, writeUnits: 3_000, indexWriteUnits: 2_000, indexWrites: {}, requests: {}, items: {} },
  // Locally the other-events queue stands in for the operator's rule: not the pipeline's cost.
  sqs: { 'by AWS: SendMessage': 1_000 },
  sqsEmptyReceives: 0,
  eventBridge: { putEventsCalls: 1_000, billedEvents: 1_000 },
  lambda: { api: fn(), authorizer: fn(), fanout: fn(), sender: fn(), resumer: fn(), inbound: fn(1_000, 9_000) },
  apiRequests: 1_000,
  logLines: 0,
  logBytes: 0,
};

describe('priceInbound', () => {
  it('prices a million inbound events line by line', () => {
    const c = priceInbound(
      { usage, events: 1_000, secretsCalls: 2, seconds: 0, inboundMs: 5, storedBytesPerEvent: 3_000, retentionDays: 30 },
      stack,
    );
    expect(c.lines['API Gateway requests']).toBeCloseTo(1_000 * 3.5e-6, 12);
    expect(c.lines['DynamoDB writes']).toBeCloseTo(5_000 * 0.625e-6, 12);
    expect(c.lines['EventBridge events']).toBeCloseTo(1_000 * 1e-6, 12);
    expect(c.lines['SQS, mappings and bus rule']).toBe(0);
    expect(c.lines['Lambda requests']).toBeCloseTo(1_000 * 0.2e-6, 12);
    // 5 ms timed alone, not the 9 ms billed under load: 1,000 x 0.005 s x 0.25 GB.
    expect(c.lines['Lambda duration']).toBeCloseTo(1_000 * 0.005 * 0.25 * 0.0000133334, 12);
    expect(c.lines['Secrets Manager']).toBeCloseTo(2 * 0.05e-4, 12);
    // Lambda's START/END/REPORT lines (360 bytes and 4 events of 26 bytes' metadata an invocation) at $0.50 per GB.
    expect(c.lines['CloudWatch Logs']).toBeCloseTo((1_000 * (360 + 4 * 26) * 0.5) / 1e9, 12);
    // An access log line of 474 bytes (+26) a request; a trace a request, 5 % of them recorded at $5 per million.
    expect(c.lines['API Gateway access logs']).toBeCloseTo((1_000 * 500 * 0.5) / 1e9, 12);
    expect(c.lines['X-Ray traces']).toBeCloseTo(1_000 * 0.05 * 5e-6, 12);
    // Per million: $3.50 API Gateway, $3.125 DynamoDB, $1.00 EventBridge, $0.20 Lambda requests, $0.0167 duration,
    // $0.01 Secrets Manager, $0.232 Lambda's log lines, $0.25 access logs, $0.25 traces.
    expect(c.perMillion).toBeCloseTo(3.5 + 3.125 + 1 + 0.2 + 0.0166675 + 0.01 + 0.232 + 0.25 + 0.25, 4);
    expect(c.perEvent).toEqual({ writeUnits: 5, readUnits: 0, billedBusEvents: 1, invocations: 1, apiRequests: 1 });
    // 3,000 bytes x a million = 3 GB for a month at $0.25 + $0.20 (PITR).
    expect(c.storagePerMillion).toBeCloseTo(3 * 0.45, 10);
  });
});
