#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parseSchedule } from '../functions/domain/retry-schedule.js';
import { WebhooksStack } from '../lib/webhooks-stack.js';

/**
 * `npx cdk deploy` deploys the stack `Webhooks`. Context (cdk.json or `-c key=value`):
 *   stackName        another name, e.g. for a second copy in the same account
 *   retrySchedule    seconds before each retry, comma-separated: -c retrySchedule=5,60,600
 *   alarmTopicArn    SNS topic for the alarms
 *   apiGatewayCloudWatchRole=false  when the account already has API Gateway's logging role
 */
const app = new App();

const context = (key: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(key);
  if (value === undefined || value === null || value === '') return undefined;
  return Array.isArray(value) ? value.join(',') : String(value);
};

const stackName = context('stackName') ?? 'Webhooks';
const schedule = context('retrySchedule');

new WebhooksStack(app, stackName, {
  stackName,
  retrySchedule: schedule === undefined ? undefined : parseSchedule(schedule),
  alarmTopicArn: context('alarmTopicArn'),
  apiGatewayCloudWatchRole: context('apiGatewayCloudWatchRole') !== 'false',
});

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
