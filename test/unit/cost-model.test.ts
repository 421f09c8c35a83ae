import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  type CostLines,
  type CostPhase,
  combineLines,
  DEFAULT_COST_ASSUMPTIONS,
  DEFAULT_EGRESS_BYTES,
  deadLetterNoticeDollarsPerMillion,
  interfaceEndpointsMonthly,
  natBytesPerAttempt,
  parkingTouches,
  priceCost,
  priceUsage,
  provisionedBreakEvenUtilization,
  provisionedConcurrencyMonthly,
  putEventsPerDeadLetter,
  splitPerEventAndDelivery,
  staticSourceIpsMonthly,
  sumLines,
} from '../../bench/cost-model.js';
import {
  type MeteredPhase,
  parkedWaitAlternatives,
  priceFailures,
  resumerMonthlyCost,
  splitPerLotAndHeld,
  splitRunAndBucket,
} from '../../bench/retry-cost.js';
import type { StackSettings } from '../../bench/stack-settings.js';
import type { UsageSnapshot } from '../../local/usage-meter.js';

const stack: StackSettings = {
  memoryMb: { api: 256, authorizer: 256, fanout: 256, sender: 512, resumer: 256, inbound: 256 },
  traced: { api: true, authorizer: true, fanout: true, sender: true, resumer: false, inbound: false },
  accessLogBytes: 474,
  emfBytesPerInvocation: { sender: 300, fanout: 200 },
  resumerEveryMinutes: 1,
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
    dynamodb: { readUnits: 1_000, writeUnits: 2_000, indexWriteUnits: 0, indexWrites: {}, requests: {}, items: {} },
    sqs: {
      'by AWS: SendMessage': 1_000,
      'by AWS: ReceiveMessage': 100,
      'by AWS: DeleteMessageBatch': 100,
      'by our code: SendMessageBatch': 100,
    },
    sqsEmptyReceives: 7,
    eventBridge: { putEventsCalls: 1_000, billedEvents: 1_000 },
    lambda: { api: lambda(0), authorizer: lambda(0), fanout: lambda(10), sender: lambda(100), resumer: lambda(0), inbound: lambda(0) },
    apiRequests: 0,
    logLines: 0,
    logBytes: 0,
  },
  calls: { 'SecretsManager.GetSecretValue': 2 },
  storageBytes: 1_000_000,
  isolatedMs: { api: 0, authorizer: 0, fanout: 100, sender: 40, resumer: 0, inbound: 0 },
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

/** A usage of round numbers: only what a test names is non-zero. */
function usageOf(
  x: {
    writeUnits?: number;
    readUnits?: number;
    indexWriteUnits?: number;
    gsi2Writes?: number;
    sqs?: Record<string, number>;
    invocations?: Partial<Record<'api' | 'authorizer' | 'fanout' | 'sender' | 'resumer' | 'inbound', number>>;
    samples?: Partial<Record<'sender' | 'resumer', number[]>>;
  } = {},
): UsageSnapshot {
  const fn = (n: 'api' | 'authorizer' | 'fanout' | 'sender' | 'resumer' | 'inbound') => ({
    invocations: x.invocations?.[n] ?? 0,
    billedMs: 0,
    errors: 0,
    samples: (n === 'sender' || n === 'resumer' ? x.samples?.[n] : undefined) ?? [],
  });
  return {
    dynamodb: {
      readUnits: x.readUnits ?? 0,
      writeUnits: x.writeUnits ?? 0,
      indexWriteUnits: x.indexWriteUnits ?? 0,
      indexWrites: x.gsi2Writes ? { gsi2: { writes: x.gsi2Writes, units: x.indexWriteUnits ?? 0 } } : {},
      requests: {},
      items: {},
    },
    sqs: x.sqs ?? {},
    sqsEmptyReceives: 0,
    eventBridge: { putEventsCalls: 0, billedEvents: 0 },
    lambda: {
      api: fn('api'),
      authorizer: fn('authorizer'),
      fanout: fn('fanout'),
      sender: fn('sender'),
      resumer: fn('resumer'),
      inbound: fn('inbound'),
    },
    apiRequests: 0,
    logLines: 0,
    logBytes: 0,
  };
}

describe('priceUsage', () => {
  it("prices a usage's lines in USD, with each invocation's billed time, and every trace at the sampled rate without a reservoir", () => {
    const u = usageOf({ writeUnits: 10, invocations: { fanout: 100, sender: 2 } });
    u.lambda.sender.billedMs = 3_000;
    const lines = priceUsage(u, { secretsCalls: 0, seconds: 0, durations: 'billed' }, stack);
    expect(lines['DynamoDB writes']).toBeCloseTo(10 * 0.625e-6, 15);
    // 3 s at 512 MB = 1.5 GB-s.
    expect(lines['Lambda duration']).toBeCloseTo(1.5 * 0.0000133334, 15);
    // 100 fan-out and 2 sender traces (this test's stack traces the sender), 5 % of them at $5 per million.
    expect(lines['X-Ray traces']).toBeCloseTo((100 + 2) * 0.05 * 5e-6, 15);
    expect(
      sumLines(
        combineLines([
          [lines, 2],
          [lines, -1],
        ]),
      ),
    ).toBeCloseTo(sumLines(lines), 15);
    // Per function: the sender's 2 invocations at 40 ms each (timed alone), whatever the meter billed.
    const alone = priceUsage(
      u,
      { secretsCalls: 0, seconds: 0, durations: { api: 0, authorizer: 0, fanout: 0, sender: 40, resumer: 'billed', inbound: 'billed' } },
      stack,
    );
    expect(alone['Lambda duration']).toBeCloseTo(2 * 0.04 * 0.5 * 0.0000133334, 15);
  });
});

describe('parkingTouches', () => {
  it("counts the due index's writes and queries, lot and lot-entry reads and writes, the cursor and the queue gauge", () => {
    const u = usageOf({
      gsi2Writes: 3,
      indexWriteUnits: 3,
      sqs: { 'by our code: GetQueueAttributes': 2, 'by our code: SendMessageBatch': 9 },
    });
    u.dynamodb.items = {
      'GetItem lot': 4,
      'UpdateItem lot': 1,
      'Query lot entries': 2,
      'BatchWriteItem lot entry': 5,
      'BatchWriteItem delivery': 50,
      'Query index gsi2': 16,
      'PutItem resumer cursor': 1,
      'GetItem resumer cursor': 1,
    };
    expect(parkingTouches(u)).toEqual({
      dueIndexWrites: 3,
      dueIndexQueries: 16,
      lotReads: 4,
      lotWrites: 1,
      lotEntryReads: 2,
      lotEntryWrites: 5,
      cursorCalls: 2,
      queueGaugeReads: 2,
    });
    expect(Object.values(parkingTouches(usageOf())).every((v) => v === 0)).toBe(true);
  });
});

describe('the cost of failures', () => {
  it("prices the resumer's month at its schedule: 43,200 runs of 16 empty queries, a cursor read and write", () => {
    const m = resumerMonthlyCost({
      everyMinutes: 1,
      shards: 16,
      emptyQueryReadUnits: 0.5,
      cursorReadUnits: 1,
      cursorWriteUnits: 1,
      memoryMb: 256,
      runMs: 20,
      logBytesPerRun: 1_000,
    });
    expect(m.runsPerMonth).toBe(43_200);
    // 43,200 x (16 x 0.5 + 1) = 388,800 read units at $0.125 per million.
    expect(m.lines['DynamoDB reads']).toBeCloseTo(0.0486, 10);
    expect(m.lines['DynamoDB writes']).toBeCloseTo(0.027, 10);
    expect(m.lines['Lambda requests']).toBeCloseTo(0.00864, 10);
    // 43,200 x 0.02 s x 0.25 GB = 216 GB-s.
    expect(m.lines['Lambda duration']).toBeCloseTo(216 * 0.0000133334, 10);
    // 43.2 MB at $0.50 per GB.
    expect(m.lines['CloudWatch Logs']).toBeCloseTo(0.0216, 10);
    expect(m.total).toBeCloseTo(0.0486 + 0.027 + 0.00864 + 216 * 0.0000133334 + 0.0216, 10);
  });

  it('prices a parked 12-hour wait three ways, beyond a wait in flight', () => {
    const x = parkedWaitAlternatives({ waitSeconds: 43_200, batch: 10, senderBatchMs: 20, senderMemoryMb: 512, dueIndexPerMillion: 1.5 });
    // 48 legs of 15 minutes: 48 sends of a tenth of a request ($0.04 per million each); 47 hops of a
    // receive and a delete share ($0.04 each), a half read unit ($0.0625), an invocation share ($0.02)
    // and its time (0.1 x 0.02 s x 0.5 GB); the failed attempt's message deleted instead of kept in flight.
    const hop = 0.04 + 0.0625 + 0.04 + 0.02 + 0.1 * 0.02 * 0.5 * 0.0000133334 * 1e6;
    expect(x.delayChain.hops).toBe(48);
    expect(x.delayChain.perMillion).toBeCloseTo(48 * 0.04 + 47 * hop, 10);
    expect(x.delayChain.perMillion).toBeCloseTo(10.184, 3);
    // One Scheduler invocation ($1.00 per million) and its unbatched SendMessage ($0.40).
    expect(x.scheduler.perMillion).toBeCloseTo(1.4, 10);
    expect(x.dueIndex.perMillion).toBe(1.5);
    // A wait of one leg costs the chain only its send.
    expect(
      parkedWaitAlternatives({ waitSeconds: 900, batch: 10, senderBatchMs: 20, senderMemoryMb: 512, dueIndexPerMillion: 0 }).delayChain
        .perMillion,
    ).toBeCloseTo(0.04, 10);
  });

  it("splits the resumer's empty runs into what a run and a bucket cost", () => {
    const lines = (usd: number) => combineLines([[{ ...zeroLines(), 'DynamoDB reads': usd }, 1]]);
    // A run costs 1, a bucket 2: four runs of a bucket each 12, one run of 13 buckets 27.
    const { perRun, perBucket } = splitRunAndBucket({ lines: lines(12), runs: 4, buckets: 4 }, { lines: lines(27), runs: 1, buckets: 13 });
    expect(perRun['DynamoDB reads']).toBeCloseTo(1, 12);
    expect(perBucket['DynamoDB reads']).toBeCloseTo(2, 12);
  });

  it('solves c(h) = L / h + D from two lot sizes', () => {
    // L = $0.01 a lot, D = $3 per million held deliveries.
    const x = splitPerLotAndHeld({ held: 50, perDelivery: 0.01 / 50 + 3e-6 }, { held: 200, perDelivery: 0.01 / 200 + 3e-6 });
    expect(x.perLot).toBeCloseTo(0.01, 12);
    expect(x.perHeld).toBeCloseTo(3e-6, 15);
  });

  it('prices a step as the difference of phases, less the resumer runs and buckets it would have swept empty', () => {
    const none = { runs: 0, buckets: 0, resumed: 0, probes: 0 };
    const phase = (name: string, deliveries: number, usage: UsageSnapshot, resumer = none): MeteredPhase => ({
      name,
      deliveries,
      seconds: 10,
      usage,
      secretsCalls: 0,
      resumer,
    });
    // An empty run reads its cursor (1 unit), a bucket costs 16 queries of half a unit and a cursor write.
    const empty = (runs: number, buckets: number) => ({ readUnits: runs + 8 * buckets, writeUnits: buckets, resumer: runs });
    const eMany = empty(1, 10);
    const eFew = empty(5, 5);
    const held = (h: number) => {
      // Per delivery the baseline's 1 write, 0.5 read, 0.1 receive; per lot 10 writes; per held delivery 4 writes; 3 runs over 6 buckets.
      const e = empty(3, 6);
      return phase(
        `H ${h}`,
        h,
        usageOf({
          writeUnits: h + 10 + 4 * h + e.writeUnits,
          readUnits: 0.5 * h + e.readUnits,
          sqs: { 'by AWS: ReceiveMessage': 0.1 * h },
          invocations: { resumer: 3 },
        }),
        { runs: 3, buckets: 6, resumed: h, probes: 1 },
      );
    };
    const eB = empty(1, 13);
    const phases = [
      phase('A', 1_000, usageOf({ writeUnits: 1_000, readUnits: 500, sqs: { 'by AWS: ReceiveMessage': 100 } })),
      // One failed attempt in flight: a write and half a read unit per delivery, a tenth of a receive and of a visibility change.
      phase(
        'C',
        1_000,
        usageOf({
          writeUnits: 2_000,
          readUnits: 1_000,
          sqs: { 'by AWS: ReceiveMessage': 200, 'by our code: ChangeMessageVisibilityBatch': 100 },
        }),
      ),
      // Parked: one more write, the index write and its removal, a read by the resumer and one by the sender, a send, a receive and a delete share.
      phase(
        'B',
        1_000,
        usageOf({
          writeUnits: 3_000 + eB.writeUnits,
          indexWriteUnits: 2_000,
          gsi2Writes: 2_000,
          readUnits: 2_000 + eB.readUnits,
          sqs: {
            'by AWS: ReceiveMessage': 300,
            'by our code: ChangeMessageVisibilityBatch': 100,
            'by our code: SendMessageBatch': 100,
            'by AWS: DeleteMessageBatch': 100,
          },
          invocations: { resumer: 1 },
        }),
        { runs: 1, buckets: 13, resumed: 1_000, probes: 0 },
      ),
      phase('E many buckets', 0, usageOf({ ...eMany, invocations: { resumer: 1 } }), { runs: 1, buckets: 10, resumed: 0, probes: 0 }),
      phase('E one bucket', 0, usageOf({ ...eFew, invocations: { resumer: 5 }, samples: { resumer: [10, 12, 14, 16, 18] } }), {
        runs: 5,
        buckets: 5,
        resumed: 0,
        probes: 0,
      }),
      held(100),
      held(400),
    ];
    const noLogs = { ...stack, emfBytesPerInvocation: {} };
    const f = priceFailures(phases, noLogs, {
      durations: { api: 0, authorizer: 0, fanout: 0, sender: 20, resumer: 'billed', inbound: 'billed' },
    });
    // In flight: 1 write ($0.625), 0.5 read ($0.0625), 0.1 receive and 0.1 visibility change ($0.08) per step.
    expect(f.inFlightStep.perMillion).toBeCloseTo(0.7675, 10);
    expect(f.inFlightStep.units).toMatchObject({ writeUnits: 1, readUnits: 0.5, sqsRequests: 0.2, dueIndexWrites: 0 });
    // Parked: 3 writes ($1.875), 1 read ($0.125), 0.3 requests ($0.12); the resumer's run is fixed, so no invocation.
    expect(f.parkedStep.perMillion).toBeCloseTo(2.12, 10);
    expect(f.parkedStep.units).toMatchObject({ writeUnits: 3, readUnits: 1, dueIndexWrites: 2, lambdaInvocations: 0 });
    // Held: 4 writes a held delivery ($2.50 per million), 10 a lot ($6.25 per million lots).
    expect(f.held.perMillion.perMillion).toBeCloseTo(2.5, 8);
    expect(f.held.perLot).toBeCloseTo(10 * 0.625e-6, 14);
    expect(f.emptyResumer).toMatchObject({ runMs: 14 });
    expect(f.emptyResumer.perRunReadUnits).toBeCloseTo(1, 10);
    expect(f.emptyResumer.perBucketReadUnits).toBeCloseTo(8, 10);
    expect(f.emptyResumer.perBucketWriteUnits).toBeCloseTo(1, 10);
    // A run: 1 read unit, an invocation and its platform log lines (360 + 4 x 26 bytes); a bucket: 8 read units, 1 write.
    const perRun = 0.125e-6 + 0.2e-6 + ((360 + 104) / 1e9) * 0.5;
    const perBucket = 8 * 0.125e-6 + 0.625e-6;
    expect(f.emptyResumer.perRun).toBeCloseTo(perRun, 15);
    expect(f.emptyResumer.perBucket).toBeCloseTo(perBucket, 15);
    expect(f.resumerMonthlyMetered).toBeCloseTo(43_200 * (perRun + perBucket), 10);
    expect(f.resumerMonthly.runMs).toBe(14);
    expect(f.parkedWait12h.dueIndex.perMillion).toBeCloseTo(2.12 - 0.7675, 10);
    expect(f.commonPathParking.dueIndexWrites).toBe(0);
  });
});

function zeroLines(): CostLines {
  return combineLines([]);
}

describe('static source IPs a month (staticSourceIps)', () => {
  it('is $36 a zone (720 NAT gateway-hours at $0.045 and public IPv4-hours at $0.005) plus $0.045 per GB through the NAT', () => {
    const one = staticSourceIpsMonthly(1, 0);
    expect(one.perZone).toBeCloseTo(36, 6);
    expect(staticSourceIpsMonthly(2, 0).fixed).toBeCloseTo(72, 6);
    expect(staticSourceIpsMonthly(3, 0).fixed).toBeCloseTo(108, 6);
    // Every attempt on a new connection: 300 + 350 + 300 + 400 + 6,000 = 7,350 bytes; a million is 7.35 GB, $0.33075.
    expect(natBytesPerAttempt(DEFAULT_EGRESS_BYTES)).toBe(7_350);
    const busy = staticSourceIpsMonthly(2, 30e6);
    expect(busy.perMillionAttempts).toBeCloseTo(0.33075, 6);
    expect(busy.processing).toBeCloseTo(30 * 0.33075, 6);
    expect(busy.total).toBeCloseTo(72 + 30 * 0.33075, 6);
    // Connections kept alive: the handshake is paid once in a while only.
    expect(natBytesPerAttempt({ ...DEFAULT_EGRESS_BYTES, newConnectionShare: 0.1 })).toBe(1_950);
  });

  it('interface endpoints for SQS and Secrets Manager would add $14.40 a zone', () => {
    expect(interfaceEndpointsMonthly(1, 2)).toBeCloseTo(14.4, 6);
    expect(interfaceEndpointsMonthly(2, 2)).toBeCloseTo(28.8, 6);
  });
});

describe('operational events on the bill', () => {
  it('a dead letter costs one PutEvents alone in its batch, a tenth of one ten to a batch, never less', () => {
    expect(putEventsPerDeadLetter(1)).toBe(1);
    expect(putEventsPerDeadLetter(4)).toBe(0.25);
    expect(putEventsPerDeadLetter(10)).toBe(0.1);
    expect(putEventsPerDeadLetter(10_000)).toBe(0.1);
    expect(putEventsPerDeadLetter(0)).toBe(1);
  });

  it("a notice is an event on the bus, then a delivery to each of the tenant's watchers", () => {
    expect(deadLetterNoticeDollarsPerMillion(1.5, 0.9, 0)).toBe(1.5);
    expect(deadLetterNoticeDollarsPerMillion(1.5, 0.9, 2)).toBeCloseTo(3.3);
  });
});

describe('provisioned concurrency a month (provisionedConcurrency)', () => {
  // 256 MB is 0.25 GB; a 30-day month 2,592,000 s; $0.0000033334 per GB-second on arm64.
  const perEnvironment256 = 0.25 * 2_592_000 * 0.0000033334;

  it('is $2.16 an environment at 256 MB, used or not: api and authorizer with 2 each $8.64, 1 each $4.32, 5 each $21.60', () => {
    expect(perEnvironment256).toBeCloseTo(2.16004, 5);
    const two = provisionedConcurrencyMonthly([
      { memoryMb: 256, environments: 2 },
      { memoryMb: 256, environments: 2 },
    ]);
    expect(two.byFunction).toEqual([2 * perEnvironment256, 2 * perEnvironment256]);
    expect(two.fixed).toBeCloseTo(8.64, 2);
    expect(two.total).toBe(two.fixed);
    const each = (n: number) =>
      provisionedConcurrencyMonthly([
        { memoryMb: 256, environments: n },
        { memoryMb: 256, environments: n },
      ]).fixed;
    expect(each(1)).toBeCloseTo(4.32, 2);
    expect(each(5)).toBeCloseTo(21.6, 2);
    expect(each(0)).toBe(0);
  });

  it('scales with memory: a 1,024 MB api with one environment is four times a 256 MB one', () => {
    expect(provisionedConcurrencyMonthly([{ memoryMb: 1024, environments: 1 }]).fixed).toBeCloseTo(4 * perEnvironment256, 10);
  });

  it('bills what the warm environments serve at $0.0000077778 per GB-second instead of $0.0000133334', () => {
    // A million 100 ms invocations at 256 MB: 25,000 GB-seconds.
    const busy = provisionedConcurrencyMonthly([{ memoryMb: 256, environments: 1 }], 25_000);
    expect(busy.servedDuration).toBeCloseTo(25_000 * 0.0000077778, 10);
    expect(busy.onDemandDuration).toBeCloseTo(25_000 * 0.0000133334, 10);
    expect(busy.total).toBeCloseTo(perEnvironment256 + 25_000 * 0.0000077778, 10);
  });

  it('costs no more than on demand only for an environment busy 60 % of the month or more', () => {
    expect(provisionedBreakEvenUtilization()).toBeCloseTo(0.6, 3);
    // At that share, one 256 MB environment's month on demand equals its provisioned month.
    const busySeconds = provisionedBreakEvenUtilization() * 2_592_000;
    const warm = provisionedConcurrencyMonthly([{ memoryMb: 256, environments: 1 }], busySeconds * 0.25);
    expect(warm.total).toBeCloseTo(warm.onDemandDuration, 6);
  });

  it("is what the sizing page's Cold starts section states", () => {
    // Whitespace folded: the page is wrapped by hand.
    const readme = readFileSync(new URL('../../docs/operators/sizing-and-quotas.md', import.meta.url), 'utf8').replace(/\s+/g, ' ');
    const dollars = (x: number) => `$${x.toFixed(2)}`;
    const both = (n: number) =>
      provisionedConcurrencyMonthly([
        { memoryMb: 256, environments: n },
        { memoryMb: 256, environments: n },
      ]).fixed;
    expect(readme).toContain(`**${dollars(perEnvironment256)} an environment at 256 MB**`);
    expect(readme).toContain(`**1 each ${dollars(both(1))} a month, 2 each ${dollars(both(2))}, 5 each ${dollars(both(5))}**`);
  });
});
