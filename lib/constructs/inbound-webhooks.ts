import { ArnFormat, Duration, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { INBOUND_PREFIX } from '../../functions/adapters/aws/dynamodb-keys.js';
import { INBOUND_SECRET_PREFIX_ENV, INBOUND_SOURCES_ENV, type InboundSource } from '../../functions/domain/inbound/source.js';
import type { EventBodies } from './event-bodies.js';
import { type MemorySizes, WebhookFunction } from './webhook-function.js';

/** Providers wait 3 s (Slack) to 10 s (GitHub) for an answer; the function answers well within, or not at all. */
export const INBOUND_TIMEOUT = Duration.seconds(10);
/** Where large inbound bodies go in the body bucket (inboundBodyKey): the inbound function may put and read only there. */
export const INBOUND_BODY_PREFIX = 'bodies/inbound/';
/** The API path providers POST to: `<ApiUrl>inbound/<source>`. */
export const INBOUND_PATH_PART = 'inbound';

export interface InboundWebhooksProps {
  readonly api: apigw.RestApi;
  /** The functions' common environment (table, bucket, log settings...). */
  readonly environment: Record<string, string>;
  readonly sources: readonly InboundSource[];
  readonly table: dynamodb.ITable;
  readonly bus: events.EventBus;
  readonly bodies: EventBodies;
  /** `webhooks-inbound/<namePrefix>/`: where the sources' secrets are in Secrets Manager. */
  readonly secretPrefix: string;
  readonly logRetention?: logs.RetentionDays;
  readonly logRemovalPolicy?: RemovalPolicy;
  /** Memory by handler, over this construct's own defaults (WebhookDeliveryProps.memorySizes). @default none */
  readonly memorySizes?: MemorySizes;
}

/**
 * Inbound webhooks (docs/inbound-webhooks.md): `POST <ApiUrl>inbound/{source}` with no authorizer
 * and no API key (the provider's signature is the credential), integrated with a function of its
 * own. Its own function, not a route of the api function: it takes unauthenticated traffic, so
 * its role reaches only what inbound events need (the table's `INBOUND#` items, the sources'
 * secrets, the bus, `bodies/inbound/`) and none of the tenants' data or signing secrets; a flood
 * of it scales and is throttled apart from the tenants' API (its own function, and API Gateway
 * throttles each method of a stage apart); its bundle has none of the route table, so a cold
 * start stays short against providers' timeouts (Slack waits 3 s).
 */
export class InboundWebhooks extends Construct {
  readonly inboundFunction: WebhookFunction;
  readonly method: apigw.Method;

  constructor(scope: Construct, id: string, props: InboundWebhooksProps) {
    super(scope, id);
    const stack = Stack.of(this);

    this.inboundFunction = new WebhookFunction(this, 'Inbound', {
      handler: 'inbound',
      description: "Verifies providers' webhooks (POST /inbound/{source}), stores them and puts them on the bus.",
      timeout: INBOUND_TIMEOUT,
      environment: {
        ...props.environment,
        EVENT_BUS_NAME: props.bus.eventBusName,
        [INBOUND_SOURCES_ENV]: JSON.stringify(props.sources),
        [INBOUND_SECRET_PREFIX_ENV]: props.secretPrefix,
      },
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      memorySizes: props.memorySizes,
    });
    const fn = this.inboundFunction.function;

    const integration = new apigw.LambdaIntegration(fn, { proxy: true, allowTestInvoke: false });
    this.method = props.api.root
      .addResource(INBOUND_PATH_PART)
      .addResource('{source}')
      // No authorizer, so no API key to require: like the other public methods, it meets the stage's limit alone.
      .addMethod('POST', integration, { authorizationType: apigw.AuthorizationType.NONE });
    Validations.of(this.method).acknowledge(
      {
        id: 'AwsSolutions-APIG4',
        reason:
          "Inbound webhooks come from providers (Stripe, GitHub, ...) that send no credentials of ours: each request's signature over its body is verified by the inbound function against its source's secret, and refused with 401 otherwise.",
      },
      { id: 'AwsSolutions-COG4', reason: 'Providers cannot authenticate with Cognito; the request signature is the credential.' },
    );

    // ---- Least privilege: the inbound items of the table, and nothing else of it. ----
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:GetItem', 'dynamodb:Query'],
        resources: [props.table.tableArn],
        // Every key it writes or reads starts with INBOUND# (dynamodb-keys.ts); a tenant's never does.
        // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${INBOUND_PREFIX}*`] } },
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject', 's3:GetObject'],
        resources: [props.bodies.bucket.arnForObjects(`${INBOUND_BODY_PREFIX}*`)],
      }),
    );
    // Not bus.grantPutEventsTo: that allows events:PutEvents on every bus ("*").
    props.bus.grants.actions(fn, ['events:PutEvents']);
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [
          stack.formatArn({
            service: 'secretsmanager',
            resource: 'secret',
            resourceName: `${props.secretPrefix}*`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
  }
}
