import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { API_STAGE_NAME } from '../../functions/domain/api-limits.js';
import { GATEWAY_RESPONSES, type GatewayResponse } from '../../functions/domain/gateway-responses.js';
import { PORTAL_EXCHANGE_PATH } from '../../functions/domain/portal.js';
import {
  DEFAULT_STAGE_THROTTLE,
  DEFAULT_TENANT_THROTTLE,
  RETRY_AFTER_SECONDS,
  SHARED_THROTTLE_KEY_ENV,
  type ThrottleLimits,
} from '../../functions/domain/throttle.js';
import { TenantPortal } from './tenant-portal.js';
import { TenantThrottling } from './tenant-throttling.js';
import { type MemorySizes, WebhookFunction } from './webhook-function.js';

/** How long API Gateway keeps an authorizer's answer for one (Identity, Authorization) pair. */
export const AUTHORIZER_CACHE_TTL = Duration.seconds(300);
export { API_STAGE_NAME };
/** Served without credentials so clients and tools can fetch the contract. */
export const OPENAPI_PATH = ['api', 'openapi.json'] as const;

export interface WebhookApiProps {
  readonly environment: Record<string, string>;
  /** Merged over `environment` for the api function only. */
  readonly apiEnvironment?: Record<string, string>;
  /** The REST API's name (API Gateway's metrics are per name). @default the construct id */
  readonly restApiName?: string;
  /** @default THREE_MONTHS */
  readonly accessLogRetention?: logs.RetentionDays;
  /** Retention of the functions' log groups. @default one month */
  readonly logRetention?: logs.RetentionDays;
  /** What happens to the log groups when the API goes. @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** Memory by handler, over this construct's own defaults (WebhookDeliveryProps.memorySizes). @default none */
  readonly memorySizes?: MemorySizes;
  /** The stage's limit, for every tenant and the public routes together. @default DEFAULT_STAGE_THROTTLE (100 a second, burst 200) */
  readonly stageThrottle?: ThrottleLimits;
  /** Each tenant's limit (the default usage plan) unless the tenant CLI gives it its own. @default DEFAULT_TENANT_THROTTLE (20, burst 40) */
  readonly tenantThrottle?: ThrottleLimits;
  /**
   * Set the account's API Gateway CloudWatch Logs role (AWS::ApiGateway::Account), which stage
   * logging needs once per account and region. Turn off when the account already has one.
   * @default true
   */
  readonly cloudWatchRole?: boolean;
  /** Where the tenant portal's links to the receiver guide point. @default the guide the portal serves */
  readonly receiverGuideUrl?: string;
  /**
   * Pre-initialized environments for the api and the authorizer: each one given gets a version
   * and an alias `live` with this many, and API Gateway invokes the alias. @default none: no
   * version, no alias, API Gateway invokes the function
   */
  readonly provisionedConcurrency?: ProvisionedConcurrency;
}

/** `provisionedConcurrency`: environments Lambda keeps initialized, per function (0 or unset: none). */
export interface ProvisionedConcurrency {
  readonly api?: number;
  readonly authorizer?: number;
}

export const PROVISIONED_FUNCTIONS = ['api', 'authorizer'] as const;

/** `provisionedConcurrency` as given, refused at synth unless each is a whole number from 0 for the api or the authorizer. */
export function checkProvisionedConcurrency(value: ProvisionedConcurrency, name = 'provisionedConcurrency'): ProvisionedConcurrency {
  for (const [fn, n] of Object.entries(value)) {
    if (!(PROVISIONED_FUNCTIONS as readonly string[]).includes(fn))
      throw new Error(`${name}: "${fn}" cannot have provisioned concurrency; only ${PROVISIONED_FUNCTIONS.join(' and ')} can`);
    if (n !== undefined && (!Number.isSafeInteger(n) || n < 0))
      throw new Error(`${name}.${fn} must be a whole number of environments from 0 (0: none), got ${n}`);
  }
  return value;
}

/** The alias API Gateway invokes when a function has provisioned concurrency. */
export const LIVE_ALIAS_NAME = 'live';

interface ErrorResponse {
  type: apigw.ResponseType;
  /** Omitted for the DEFAULT_* types so the original status (429, 504...) is kept. */
  statusCode?: string;
  code: string;
  /** A JSON string literal, or a `$context` variable that renders as one. */
  messageJson: string;
  /** Answer `Retry-After` (static: a gateway response cannot compute one). */
  retryAfter?: boolean;
}

/**
 * Errors API Gateway answers itself (before or instead of the api function) in the same shape
 * the api function uses: `{"error": {"code", "message"}}`. Declared in GATEWAY_RESPONSES, which
 * local mode's stand-in and the OpenAPI document read too.
 */
export const GATEWAY_ERRORS: readonly ErrorResponse[] = Object.entries(GATEWAY_RESPONSES).map(([type, r]: [string, GatewayResponse]) => ({
  type: apigw.ResponseType.of(type),
  ...(r.status !== undefined ? { statusCode: String(r.status) } : {}),
  code: r.code,
  messageJson: r.message !== undefined ? JSON.stringify(r.message) : '$context.error.messageString',
  ...(r.retryAfter ? { retryAfter: true } : {}),
}));

/** Fields of the JSON access log; all quoted so a missing value ("-") keeps the line valid JSON. */
const ACCESS_LOG_FIELDS: Record<string, string> = {
  requestId: '$context.requestId',
  extendedRequestId: '$context.extendedRequestId',
  requestTime: '$context.requestTime',
  ip: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  httpMethod: '$context.httpMethod',
  resourcePath: '$context.resourcePath',
  path: '$context.path',
  protocol: '$context.protocol',
  status: '$context.status',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationStatus: '$context.integration.status',
  integrationLatency: '$context.integration.latency',
  principalId: '$context.authorizer.principalId',
  authorizerStatus: '$context.authorizer.status',
  authorizerLatency: '$context.authorizer.latency',
  authorizerError: '$context.authorizer.error',
  errorType: '$context.error.responseType',
  errorMessage: '$context.error.message',
  xrayTraceId: '$context.xrayTraceId',
};

/**
 * The tenant-facing REST API: every path goes to the api function through a Lambda proxy
 * integration, behind a REQUEST authorizer on the Identity and Authorization headers, except
 * `GET /api/openapi.json`, which is public. Authorized methods require an API key, which the
 * authorizer supplies (key source AUTHORIZER): the usage plan of each tenant's key throttles
 * it (TenantThrottling), the stage throttles everything together.
 */
export class WebhookApi extends Construct {
  readonly api: apigw.RestApi;
  readonly apiFunction: WebhookFunction;
  readonly authorizerFunction: WebhookFunction;
  readonly authorizer: apigw.RequestAuthorizer;
  /** What API Gateway invokes for the api: its `live` alias with provisioned concurrency, else the function. */
  readonly apiTarget: lambda.IFunction;
  /** What API Gateway invokes for the authorizer (as `apiTarget`). */
  readonly authorizerTarget: lambda.IFunction;
  readonly accessLogGroup: logs.LogGroup;
  /** The stage's execution log (errors only), which API Gateway would otherwise make itself, kept for ever. */
  readonly executionLogGroup: logs.LogGroup;
  readonly portal: TenantPortal;
  readonly throttling: TenantThrottling;

  constructor(scope: Construct, id: string, props: WebhookApiProps) {
    super(scope, id);
    const stageThrottle = props.stageThrottle ?? DEFAULT_STAGE_THROTTLE;

    this.apiFunction = new WebhookFunction(this, 'Api', {
      handler: 'api',
      description: 'Webhook subscriptions, deliveries, retries, test events and publishing for tenants.',
      // API Gateway gives up after 29 s.
      timeout: Duration.seconds(28),
      environment: { ...props.environment, ...props.apiEnvironment },
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      memorySizes: props.memorySizes,
    });
    this.authorizerFunction = new WebhookFunction(this, 'Authorizer', {
      handler: 'authorizer',
      description: 'Finds the tenant for the Identity and Authorization headers.',
      timeout: Duration.seconds(10),
      environment: props.environment,
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      memorySizes: props.memorySizes,
    });

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? logs.RetentionDays.THREE_MONTHS,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });

    this.api = new apigw.RestApi(this, 'RestApi', {
      restApiName: props.restApiName,
      description: 'Webhook subscriptions and deliveries for tenants.',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      // The authorizer names each request's API key; clients never send one (X-API-Key is ignored).
      apiKeySourceType: apigw.ApiKeySourceType.AUTHORIZER,
      cloudWatchRole: props.cloudWatchRole ?? true,
      // CDK refuses a removal policy for a role it does not create.
      ...((props.cloudWatchRole ?? true) ? { cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN } : {}),
      deployOptions: {
        stageName: API_STAGE_NAME,
        description: 'Webhooks API',
        tracingEnabled: true,
        metricsEnabled: true,
        // Errors only, and never bodies: requests carry credentials and signing secrets.
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        accessLogDestination: new apigw.LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: apigw.AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
        throttlingRateLimit: stageThrottle.rateLimit,
        throttlingBurstLimit: stageThrottle.burstLimit,
      },
    });
    // The stack exports ApiUrl itself; drop the RestApi's own generated output.
    this.api.node.tryRemoveChild('Endpoint');

    // With execution logging on, API Gateway makes `API-Gateway-Execution-Logs_<api id>/<stage>`
    // the first time the stage logs, outside the stack, with no retention and never deleted
    // (https://docs.aws.amazon.com/apigateway/latest/developerguide/rest-api-execution-logging.html).
    // Made here instead, with the functions' retention and removal policy, and before the stage
    // exists, so that API Gateway never gets to make it first.
    this.executionLogGroup = new logs.LogGroup(this, 'ExecutionLogs', {
      logGroupName: `API-Gateway-Execution-Logs_${this.api.restApiId}/${API_STAGE_NAME}`,
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.api.deploymentStage.node.addDependency(this.executionLogGroup);

    // With provisioned concurrency API Gateway must invoke the alias: only its version has the warm
    // environments ($LATEST never does). The integrations' invoke permissions then name the alias.
    if (props.provisionedConcurrency) checkProvisionedConcurrency(props.provisionedConcurrency);
    this.apiTarget = liveAlias(this.apiFunction, props.provisionedConcurrency?.api);
    this.authorizerTarget = liveAlias(this.authorizerFunction, props.provisionedConcurrency?.authorizer);

    this.authorizer = new apigw.RequestAuthorizer(this, 'RequestAuthorizer', {
      handler: this.authorizerTarget,
      identitySources: [apigw.IdentitySource.header('Identity'), apigw.IdentitySource.header('Authorization')],
      resultsCacheTtl: AUTHORIZER_CACHE_TTL,
    });

    const integration = new apigw.LambdaIntegration(this.apiTarget, { proxy: true, allowTestInvoke: false });
    const authorized: apigw.MethodOptions = {
      authorizationType: apigw.AuthorizationType.CUSTOM,
      authorizer: this.authorizer,
      // Per-tenant throttling: the key is the authorizer's usageIdentifierKey, never the client's.
      apiKeyRequired: true,
    };

    // Everything, authorized. `/api` and `/api/{proxy+}` are explicit so that adding the public
    // `/api/openapi.json` beside them never changes how the other `/api/...` paths route.
    const methods: apigw.Method[] = [];
    methods.push(this.api.root.addMethod('ANY', integration, authorized));
    methods.push(this.api.root.addProxy({ defaultIntegration: integration, defaultMethodOptions: authorized, anyMethod: true }).anyMethod!);
    const apiResource = this.api.root.addResource(OPENAPI_PATH[0]);
    methods.push(apiResource.addMethod('ANY', integration, authorized));
    methods.push(apiResource.addProxy({ defaultIntegration: integration, defaultMethodOptions: authorized, anyMethod: true }).anyMethod!);
    const openapi = apiResource
      .addResource(OPENAPI_PATH[1])
      .addMethod('GET', integration, { authorizationType: apigw.AuthorizationType.NONE });

    // The portal page exchanges its one-time link token here: public, the token is the credential.
    // Every resource down to it gets the authorized ANY and {proxy+} of /api, so that sibling
    // paths (/api/v0.1/webhooks...) route exactly as they do without it.
    const exchangeParts = PORTAL_EXCHANGE_PATH.split('/').slice(2);
    let parent = apiResource;
    for (const part of exchangeParts.slice(0, -1)) {
      parent = parent.addResource(part);
      methods.push(parent.addMethod('ANY', integration, authorized));
      methods.push(parent.addProxy({ defaultIntegration: integration, defaultMethodOptions: authorized, anyMethod: true }).anyMethod!);
    }
    const exchange = parent
      .addResource(exchangeParts[exchangeParts.length - 1]!)
      .addMethod('POST', integration, { authorizationType: apigw.AuthorizationType.NONE });
    Validations.of(exchange).acknowledge(
      { id: 'AwsSolutions-APIG4', reason: 'The portal link exchange is public: the one-time link token in its body is the credential.' },
      { id: 'AwsSolutions-COG4', reason: 'The portal link exchange is public on purpose.' },
    );

    this.portal = new TenantPortal(this, 'Portal', {
      api: this.api,
      receiverGuideUrl: props.receiverGuideUrl,
      memorySizes: props.memorySizes,
    });

    this.throttling = new TenantThrottling(this, 'Throttling', {
      api: this.api,
      tenantThrottle: props.tenantThrottle ?? DEFAULT_TENANT_THROTTLE,
      stageThrottle,
    });
    this.authorizerFunction.function.addEnvironment(SHARED_THROTTLE_KEY_ENV, this.throttling.sharedKeyValue);

    for (const e of GATEWAY_ERRORS) {
      this.api.addGatewayResponse(`${e.type.responseType}Response`, {
        type: e.type,
        statusCode: e.statusCode,
        templates: { 'application/json': `{"error":{"code":"${e.code}","message":${e.messageJson}}}` },
        // Static values are quoted, as gateway response headers take them.
        ...(e.retryAfter ? { responseHeaders: { 'Retry-After': `'${RETRY_AFTER_SECONDS}'` } } : {}),
      });
    }

    for (const method of methods) {
      Validations.of(method).acknowledge({
        id: 'AwsSolutions-COG4',
        reason: 'Tenants authenticate with Identity and Authorization headers checked by a Lambda REQUEST authorizer, not Cognito.',
      });
    }
    Validations.of(openapi).acknowledge(
      {
        id: 'AwsSolutions-APIG4',
        reason: 'GET /api/openapi.json is the public API description; it reveals no tenant data.',
      },
      {
        id: 'AwsSolutions-COG4',
        reason: 'GET /api/openapi.json is public on purpose.',
      },
    );
    const cloudWatchRole = this.api.node.tryFindChild('CloudWatchRole');
    if (cloudWatchRole) {
      Validations.of(cloudWatchRole).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          'The account-level role API Gateway uses to write stage logs; AWS maintains this service-role policy for exactly that purpose.',
      });
    }
    Validations.of(this.api).acknowledge(
      {
        id: 'AwsSolutions-APIG2',
        reason:
          'A single Lambda proxy serves every route; the api function validates each request body and parameter (zod) and answers 400 with a stable error code.',
      },
      {
        id: 'AwsSolutions-APIG3',
        reason:
          'WAF is an operator choice with its own cost; stage throttling and the authorizer guard the API. Attach a web ACL to the stage if the account requires one.',
      },
    );
  }
}

/** The function's `live` alias on its current version with `environments` provisioned, or the function itself for none. */
function liveAlias(fn: WebhookFunction, environments: number | undefined): lambda.IFunction {
  if (!environments) return fn.function;
  // currentVersion is a new version whenever the code or configuration changes; the old one is
  // deleted once the alias has moved (Version's default removal policy).
  return new lambda.Alias(fn, 'Live', {
    aliasName: LIVE_ALIAS_NAME,
    version: fn.function.currentVersion,
    provisionedConcurrentExecutions: environments,
  });
}
