import { describe, expect, it } from 'vitest';
import { type CostPhase, DEFAULT_COST_ASSUMPTIONS, priceCost, splitPerEventAndDelivery } from '../../bench/cost-model.js';
import type { StackSettings } from '../../bench/stack-settings.js';

const stack: StackSettings = {
  memoryMb: { api: 256, authorizer: 256, fanout: 256, sender: 512, resumer: 256 },
  traced: { api: true, authorizer: true, fanout: true, sender: true, resumer: false },
  accessLogBytes: 474,
  emfBytesPerInvocation: { sender: 300, fanout: 200 },
};

const lambda = (invocations: number, billedMs = 0) => ({ invocations, errors: 0, billedMs, samples: [] });

/** 1,000 events put on the bus for 1 subscription, in round numbers a person can check. */
const phase: CostPhase = {
  path: 'bus',
  subscriptions: 1,
  events: 1_000,
  deliveries: 1_000,
  received: 1_000,
  seconds: 100,
  usage: {
    dynamodb: { readUnits: 1_000, writeUnits: 2_000, indexWriteUnits: 0, requests: {} },
    sqs: {
      'by AWS: SendMessage': 1_000,
      'by AWS: ReceiveMessage': 100,
      'by AWS: DeleteMessageBatch': 100,
      'by our code: SendMessageBatch': 100,
    },
    sqsEmptyReceives: 7,
    eventBridge: { putEventsCalls: 1_000, billedEvents: 1_000 },
    lambda: { api: lambda(0), authorizer: lambda(0), fanout: lambda(10), sender: lambda(100), resumer: lambda(0) },
    apiRequests: 0,
    logLines: 0,
    logBytes: 0,
  },
  calls: { 'SecretsManager.GetSecretValue': 2 },
  storageBytes: 1_000_000,
  isolatedMs: { api: 0, authorizer: 0, fanout: 100, sender: 40, resumer: 0 },
};

describe('priceCost', () => {
  it('prices each unit at its list price, per million deliveries', () => {
    const f = priceCost(phase, stack, { ...DEFAULT_COST_ASSUMPTIONS, xrayReservoirPerSecond: 0 });
    // 1,000 custom events at $1.00 per million, for 1,000 deliveries: $1.00 per million deliveries.
    expect(f.lines['EventBridge events']).toBeCloseTo(1.0, 10);
    // 1,200 requests by AWS at $0.40 per million: $0.48; 100 of ours: $0.04.
    expect(f.lines['SQS, mappings and bus rule']).toBeCloseTo(0.48, 10);
    expect(f.lines['SQS, our calls']).toBeCloseTo(0.04, 10);
    // 2 WRU and 1 RRU a delivery at $0.625 and $0.125 per million.
    expect(f.lines['DynamoDB writes']).toBeCloseTo(1.25, 10);
    expect(f.lines['DynamoDB reads']).toBeCloseTo(0.125, 10);
    // 110 invocations at $0.20 per million.
    expect(f.lines['Lambda requests']).toBeCloseTo(0.022, 10);
    // fan-out 10 x 0.1 s x 0.25 GB + sender 100 x 0.04 s x 0.5 GB = 2.25 GB-s at $0.0000133334.
    expect(f.lines['Lambda duration']).toBeCloseTo((2.25 * 0.0000133334 * 1e6) / 1000, 10);
    // 2 calls at $0.05 per 10,000.
    expect(f.lines['Secrets Manager']).toBeCloseTo((2 * 0.000005 * 1e6) / 1000, 10);
    // 110 traces, 5 % recorded at $5.00 per million.
    expect(f.lines['X-Ray traces']).toBeCloseTo((110 * 0.05 * 5) / 1000, 10);
    // Per invocation: 360 B of platform lines + 4 x 26 B; plus EMF 10 x 200 + 100 x 300; at $0.50 per GB.
    const logBytes = 110 * (360 + 104) + 10 * 200 + 100 * 300;
    expect(f.lines['CloudWatch Logs']).toBeCloseTo(((logBytes / 1e9) * 0.5 * 1e6) / 1000, 10);
    expect(f.lines['API Gateway requests']).toBe(0);
    expect(f.perMillion).toBeCloseTo(
      Object.values(f.lines).reduce((n, x) => n + x, 0),
      10,
    );
    // 1 MB for 1,000 deliveries, kept 30 days: $0.45 per GB-month with point-in-time recovery.
    expect(f.storagePerMillion).toBeCloseTo(((1_000_000 / 1e9) * 0.45 * 1e6) / 1000, 10);
    expect(f.perDelivery).toMatchObject({ readUnits: 1, writeUnits: 2, sqsRequests: 1.3, lambdaInvocations: 0.11, storageBytes: 1_000 });
  });

  it('takes the first trace of each second whole, then 5 %', () => {
    const f = priceCost(phase, stack);
    // 100 s: 100 traces from the reservoir, 5 % of the other 10.
    expect(f.lines['X-Ray traces']).toBeCloseTo(((100 + 0.5) * 5) / 1000, 10);
  });

  it('prices the API path with REST requests and their access logs', () => {
    const api: CostPhase = { ...phase, path: 'api', usage: { ...phase.usage, apiRequests: 1_000 } };
    const f = priceCost(api, stack, { ...DEFAULT_COST_ASSUMPTIONS, xrayReservoirPerSecond: 0 });
    expect(f.lines['API Gateway requests']).toBeCloseTo(3.5, 10);
    expect(f.lines['API Gateway access logs']).toBeCloseTo((((474 + 26) * 1_000) / 1e9) * 0.5 * 1e3, 10);
  });
});

describe('splitPerEventAndDelivery', () => {
  it('solves c(s) = E / s + D from the 2- and 10-subscription prices, and the one-subscription event from c(1)', () => {
    // E = 2, D = 1: c(2) = 2, c(10) = 1.2; an event with one subscription costs 1.4 (c(1) = 2.4).
    const x = splitPerEventAndDelivery(2.4, 2, 1.2);
    expect(x.perMillionEvents).toBeCloseTo(2, 10);
    expect(x.perMillionDeliveries).toBeCloseTo(1, 10);
    expect(x.perMillionEventsWithOneSubscription).toBeCloseTo(1.4, 10);
  });
});

describe('priceCost and tracing', () => {
  it('counts no traces of its own for a function that only passes sampled traces through', () => {
    const f = priceCost(
      phase,
      { ...stack, traced: { ...stack.traced, sender: false } },
      { ...DEFAULT_COST_ASSUMPTIONS, xrayReservoirPerSecond: 0 },
    );
    // Only the fan-out's 10 invocations start traces: 5 % of them at $5.00 per million.
    expect(f.lines['X-Ray traces']).toBeCloseTo((10 * 0.05 * 5) / 1000, 10);
  });
});
