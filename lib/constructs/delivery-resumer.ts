import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { type MemorySizes, WebhookFunction } from './webhook-function.js';

/** The resumer's timeout; a run stops its work at two thirds of it (functions/app/resumer.ts), and the next goes on. */
export const RESUMER_TIMEOUT = Duration.seconds(60);

export interface DeliveryResumerProps {
  readonly environment: Record<string, string>;
  readonly logRetention?: logs.RetentionDays;
  readonly logRemovalPolicy?: RemovalPolicy;
  /** Memory by handler, over this construct's own defaults (WebhookDeliveryProps.memorySizes). @default none */
  readonly memorySizes?: MemorySizes;
}

/**
 * The resumer (functions/domain/parking.ts): once a minute it sends fresh delivery messages for
 * parked deliveries that have come due, probes the lots of endpoints that keep failing, and drains
 * the lots of those that answer again. One run at a time (reserved concurrency 1): a run owns the
 * due-time index's cursor. A failed or throttled run is not retried: the next minute's goes on
 * from the cursor, so nothing is skipped.
 */
export class DeliveryResumer extends Construct {
  readonly resumer: WebhookFunction;
  readonly schedule: events.Rule;

  constructor(scope: Construct, id: string, props: DeliveryResumerProps) {
    super(scope, id);
    this.resumer = new WebhookFunction(this, 'Resumer', {
      handler: 'resumer',
      description: 'Resumes parked webhook deliveries when due; probes and drains the lots of failing endpoints.',
      timeout: RESUMER_TIMEOUT,
      reservedConcurrentExecutions: 1,
      // No tracing library in it, and each run is its own trace: only traces sampled upstream (there are none).
      tracing: lambda.Tracing.PASS_THROUGH,
      environment: props.environment,
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      memorySizes: props.memorySizes,
    });
    this.resumer.function.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.seconds(60) });
    this.schedule = new events.Rule(this, 'EveryMinute', {
      description: 'Runs the webhook resumer once a minute.',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [new targets.LambdaFunction(this.resumer.function, { retryAttempts: 0, maxEventAge: Duration.seconds(60) })],
    });
  }
}
