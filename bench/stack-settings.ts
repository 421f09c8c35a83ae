import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { LambdaName } from '../local/usage-meter.js';
// The CDK tests already know how to synthesize the stack without bundling and find each function.
import { buildStack, functionId } from '../test/cdk/support.js';

/** What the cost model takes from the deployed stack rather than from local mode. */
export interface StackSettings {
  /** Each function's memory, from the synthesized template. */
  memoryMb: Record<LambdaName, number>;
  /** Functions that start traces of their own (X-Ray `Active`); `PassThrough` ones only join sampled ones. */
  traced: Record<LambdaName, boolean>;
  /** One API Gateway access log line, from the stage's access log format with typical values. */
  accessLogBytes: number;
  /** The EMF metrics line a function writes per invocation (Powertools Metrics, measured). */
  emfBytesPerInvocation: Partial<Record<LambdaName, number>>;
  /** The resumer's schedule: minutes between the runs its EventBridge rule starts (`rate(1 minute)`). */
  resumerEveryMinutes: number;
}

interface Resource {
  Type: string;
  Properties: {
    MemorySize?: number;
    TracingConfig?: { Mode?: string };
    AccessLogSetting?: { DestinationArn?: unknown; Format?: string };
    ScheduleExpression?: string;
    Targets?: { Arn?: unknown }[];
  };
}

export function stackSettings(): StackSettings {
  const { template } = buildStack();
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const memory = (name: LambdaName) => Number(resources[functionId(template, name)]!.Properties.MemorySize ?? 128);
  const traced = (name: LambdaName) => resources[functionId(template, name)]!.Properties.TracingConfig?.Mode === 'Active';
  const stage = Object.values(resources).find((r) => r.Type === 'AWS::ApiGateway::Stage')!;
  const format = stage.Properties.AccessLogSetting?.Format ?? '';
  const resumerId = functionId(template, 'resumer');
  const rule = Object.values(resources).find(
    (r) => r.Type === 'AWS::Events::Rule' && JSON.stringify(r.Properties.Targets ?? []).includes(resumerId),
  );
  const rate = /^rate\((\d+) (minute|minutes|hour|hours)\)$/.exec(rule?.Properties.ScheduleExpression ?? '');
  if (!rate) throw new Error(`the resumer's schedule is not a rate in minutes or hours: ${rule?.Properties.ScheduleExpression}`);
  return {
    memoryMb: {
      api: memory('api'),
      authorizer: memory('authorizer'),
      fanout: memory('fanout'),
      sender: memory('sender'),
      resumer: memory('resumer'),
    },
    traced: {
      api: traced('api'),
      authorizer: traced('authorizer'),
      fanout: traced('fanout'),
      sender: traced('sender'),
      resumer: traced('resumer'),
    },
    accessLogBytes: accessLogLineBytes(format),
    resumerEveryMinutes: Number(rate[1]) * (rate[2]!.startsWith('hour') ? 60 : 1),
    emfBytesPerInvocation: {
      // A sender batch of ten successes; a fan-out batch. The api and authorizer write metrics on a cold start only.
      sender: emfBytes((m) => {
        m.addMetric('DeliverySucceeded', MetricUnit.Count, 10);
        for (let i = 0; i < 10; i++) m.addMetric('AttemptLatency', MetricUnit.Milliseconds, 40 + i);
      }),
      fanout: emfBytes((m) => {
        m.addMetric('EventsFannedOut', MetricUnit.Count, 10);
        m.addMetric('DeliveriesCreated', MetricUnit.Count, 10);
      }),
      // Every run: how far behind its buckets the resumer runs (functions/app/resumer.ts).
      resumer: emfBytes((m) => m.addMetric('ResumeLagSeconds', MetricUnit.Seconds, 65)),
    },
  };
}

/** `$context.*` variables replaced by values of a typical length (a request id is a UUID, a time 26 characters...). */
function accessLogLineBytes(format: string): number {
  const typical: Record<string, string> = {
    requestId: '8f5d3c3e-0d0b-4a4b-9c1d-2a3b4c5d6e7f',
    extendedRequestId: 'Kx3nGFQ1IAMEbXw=',
    requestTime: '30/Nov/2026:17:00:00 +0000',
    'identity.sourceIp': '203.0.113.17',
    'identity.userAgent': 'python-requests/2.32.3',
    httpMethod: 'POST',
    resourcePath: '/api/v0.1/events',
    path: '/api/v0.1/events',
    protocol: 'HTTP/1.1',
    status: '202',
    responseLength: '180',
    responseLatency: '35',
  };
  return Buffer.byteLength(format.replace(/\$context\.([A-Za-z.]+)/g, (_, k: string) => typical[k] ?? 'x'.repeat(24)));
}

/** The bytes Powertools writes to stdout when it flushes what `add` recorded. */
function emfBytes(add: (m: Metrics) => void): number {
  const metrics = new Metrics({ namespace: 'Webhooks', serviceName: 'webhooks' });
  add(metrics);
  let bytes = 0;
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
    return true;
  }) as typeof process.stdout.write;
  try {
    metrics.publishStoredMetrics();
  } finally {
    process.stdout.write = write;
  }
  return bytes;
}
