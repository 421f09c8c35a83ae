import { Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/**
 * What an operator's own credentials need for the CLIs on a deployed stack, and nothing more:
 * exactly the calls scripts/lib/redrive.ts and scripts/lib/tenant-commands.ts (with
 * scripts/lib/throttle-plans.ts) make on AWS, and the permissions SQS asks of a message move
 * task's caller. test/cdk/operator-grants.test.ts runs those scripts against mocks and checks
 * the two sets are the same; docs/runbook.md prints them as a policy document.
 */

/**
 * What StartMessageMoveTask needs of its caller on the source queue (and SendMessage on the
 * destination); ListMessageMoveTasks needs ListMessageMoveTasks and GetQueueAttributes on it
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-api-permissions-reference.html).
 */
export const MOVE_TASK_SOURCE_ACTIONS = [
  'sqs:StartMessageMoveTask',
  'sqs:ListMessageMoveTasks',
  'sqs:ReceiveMessage',
  'sqs:DeleteMessage',
  'sqs:GetQueueAttributes',
] as const;

export interface OperatedPipeline {
  readonly scope: Construct;
  readonly deliveryQueue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly ingestQueue: sqs.Queue;
  readonly ingestDeadLetterQueue: sqs.Queue;
  readonly busTargetDeadLetterQueue: sqs.Queue;
  readonly table: dynamodb.Table;
  readonly api: apigw.RestApi;
  readonly stageName: string;
}

/** The CLIs find everything from the stack's outputs (scripts/lib/targets.ts). */
function grantDescribeStack(grantee: iam.IGrantable, p: OperatedPipeline): iam.Grant {
  return iam.Grant.addToPrincipal({ grantee, actions: ['cloudformation:DescribeStacks'], resourceArns: [Stack.of(p.scope).stackId] });
}

/**
 * `npm run redrive` on AWS. Default and `--status`: a move task from the delivery DLQ to the
 * delivery queue (their ARNs come from the outputs). `--ingest`: a move task from the ingest DLQ to
 * the ingest queue (ARNs asked of SQS: GetQueueAttributes), and the bus target DLQ, which is no
 * SQS queue's DLQ, received, sent to the ingest queue and deleted (released, ChangeMessageVisibility,
 * when the send fails). The queues are encrypted by SQS itself, so no KMS permission is needed.
 */
export function grantRedrive(grantee: iam.IGrantable, p: OperatedPipeline): iam.Grant {
  return grantDescribeStack(grantee, p)
    .combine(p.deadLetterQueue.grants.actions(grantee, [...MOVE_TASK_SOURCE_ACTIONS]))
    .combine(p.deliveryQueue.grants.actions(grantee, ['sqs:SendMessage']))
    .combine(p.ingestDeadLetterQueue.grants.actions(grantee, [...MOVE_TASK_SOURCE_ACTIONS]))
    .combine(p.ingestQueue.grants.actions(grantee, ['sqs:SendMessage', 'sqs:GetQueueAttributes']))
    .combine(
      p.busTargetDeadLetterQueue.grants.actions(grantee, ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility']),
    );
}

/**
 * `npm run tenant` on AWS: tenant and portal-link items in the table (GetItem, PutItem,
 * UpdateItem, Scan; no index), and API Gateway's control plane for per-tenant throttling, whose
 * IAM actions are the HTTP method on the resource path
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-control-access-using-iam-policies-to-create-and-manage-api.html):
 * API keys (create, delete), usage plans (list, read, create the plan for new limits), a plan's
 * keys (add, remove) and the stage's authorizer cache (flush). Keys and plans are made at run
 * time, so their paths end in `*`: API Gateway has no narrower resource for them.
 */
export function grantOperate(grantee: iam.IGrantable, p: OperatedPipeline): iam.Grant {
  const stack = Stack.of(p.scope);
  const path = (resource: string) => `arn:${stack.partition}:apigateway:${stack.region}::${resource}`;
  const control = (method: 'GET' | 'POST' | 'DELETE', resources: string[]) =>
    iam.Grant.addToPrincipal({ grantee, actions: [`apigateway:${method}`], resourceArns: resources.map(path) });
  return (
    grantDescribeStack(grantee, p)
      // The table alone: grants.actions would add its indexes, which no command reads.
      .combine(
        iam.Grant.addToPrincipal({
          grantee,
          actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Scan'],
          resourceArns: [p.table.tableArn],
        }),
      )
      .combine(control('GET', ['/usageplans', '/usageplans/*']))
      .combine(control('POST', ['/apikeys', '/usageplans', '/usageplans/*/keys']))
      .combine(
        control('DELETE', ['/apikeys/*', '/usageplans/*/keys/*', `/restapis/${p.api.restApiId}/stages/${p.stageName}/cache/authorizers`]),
      )
  );
}
