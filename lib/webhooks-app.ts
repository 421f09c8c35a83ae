import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parseSchedule } from '../functions/domain/retry-schedule.js';
import { WebhooksStack } from './webhooks-stack.js';

export const DEFAULT_STACK_NAME = 'Webhooks';

/**
 * The CDK app (bin/webhooks.ts runs it): the WebhooksStack, configured from context
 * (cdk.json or `-c key=value`), checked by cdk-nag's AwsSolutions pack, which fails the synth
 * on any finding that is not acknowledged with a reason.
 *
 *   stackName                       another name, e.g. for a second copy in one account
 *   retrySchedule                   seconds before each retry, comma-separated: 5,60,600
 *   alarmTopicArn                   SNS topic for the alarms
 *   apiGatewayCloudWatchRole=false  when the account already has API Gateway's logging role
 *   secretRotationOverlapSeconds    how long a rotated-out secret keeps signing (86400)
 *   retentionDays                   days of delivery history (30)
 *   attemptTimeoutSeconds           per-attempt HTTP timeout (5)
 */
export function createWebhooksApp(props?: AppProps): { app: App; stack: WebhooksStack } {
  const app = new App(props);

  const context = (key: string): string | undefined => {
    const value: unknown = app.node.tryGetContext(key);
    if (value === undefined || value === null || value === '') return undefined;
    return Array.isArray(value) ? value.join(',') : String(value);
  };

  const numberFrom = (key: 'secretRotationOverlapSeconds' | 'retentionDays' | 'attemptTimeoutSeconds') => {
    const v = context(key);
    if (v === undefined) return {};
    if (!/^\d+$/.test(v)) throw new Error(`context ${key} must be a whole number, got "${v}"`);
    return { [key]: Number(v) };
  };

  const stackName = context('stackName') ?? DEFAULT_STACK_NAME;
  const schedule = context('retrySchedule');
  const stack = new WebhooksStack(app, stackName, {
    stackName,
    retrySchedule: schedule === undefined ? undefined : parseSchedule(schedule),
    alarmTopicArn: context('alarmTopicArn'),
    apiGatewayCloudWatchRole: context('apiGatewayCloudWatchRole') !== 'false',
    ...numberFrom('secretRotationOverlapSeconds'),
    ...numberFrom('retentionDays'),
    ...numberFrom('attemptTimeoutSeconds'),
  });

  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
