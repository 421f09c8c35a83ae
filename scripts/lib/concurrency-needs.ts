/**
 * How much Lambda concurrency a synthesized stack takes at its own caps, read from its template,
 * so that the numbers are the ones the deploy will set (the construct's defaults, its props, the
 * `-c` settings), never restated:
 *
 *   an SQS event source mapping    up to its ScalingConfig.MaximumConcurrency (none: uncapped)
 *   a REST API stage               a burst of B requests holds at most B environments of the
 *                                  functions behind it and, on the authorizer's cache misses, B
 *                                  of its authorizer: B x (1 + authorizers)
 *   ReservedConcurrentExecutions   taken out of the account's unreserved pool at deploy time
 *   ProvisionedConcurrencyConfig   (of an alias or version) the same: provisioned concurrency counts
 *                                  towards the Regional quota (https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html);
 *                                  also counted in its stage's burst, which it serves first: at
 *                                  worst that many too many
 */

/** The parts of a template read here. */
interface TemplateResource {
  Type?: string;
  Properties?: {
    EventSourceArn?: unknown;
    FunctionName?: unknown;
    ScalingConfig?: { MaximumConcurrency?: unknown };
    ReservedConcurrentExecutions?: unknown;
    MethodSettings?: { ResourcePath?: string; HttpMethod?: string; ThrottlingBurstLimit?: unknown; ThrottlingRateLimit?: unknown }[];
    RestApiId?: unknown;
    StageName?: unknown;
    ProvisionedConcurrencyConfig?: { ProvisionedConcurrentExecutions?: unknown };
    Name?: unknown;
    AccessLogSetting?: unknown;
    CloudWatchRoleArn?: unknown;
  };
}
export interface CloudFormationTemplate {
  Resources?: Record<string, TemplateResource>;
  Outputs?: Record<string, { Value?: unknown }>;
}

export interface CappedUse {
  /** A name for the line: the stack output that names the function (`Sender`), else its logical id. */
  name: string;
  /** Logical id in the template (to find what is already deployed). */
  logicalId: string;
  concurrency: number;
}

export interface ConcurrencyNeeds {
  /** SQS event source mappings with a MaximumConcurrency. */
  mappings: CappedUse[];
  /** SQS event source mappings without one: they scale as far as the account lets them. */
  uncappedMappings: CappedUse[];
  /** API stages: their burst times the functions a request may hold. */
  stages: (CappedUse & { burstLimit: number; rateLimit: number; functionsPerRequest: number })[];
  /** Functions with reserved concurrency. */
  reserved: CappedUse[];
  /** Aliases and versions with provisioned concurrency (their logical ids). */
  provisioned: CappedUse[];
  /**
   * API Gateway's logging, an account setting: the stages that write access logs (which need the
   * account's CloudWatch role, or the deploy fails), and the role the stack sets as that role, if it does.
   */
  apiGatewayLogging: { loggingStages: string[]; setsRole?: string };
}

const sum = (uses: readonly CappedUse[]) => uses.reduce((n, u) => n + u.concurrency, 0);
/** What the stack can use of the unreserved pool at once, all caps reached. */
export const unreservedPeak = (n: ConcurrencyNeeds) => sum(n.mappings) + sum(n.stages);
export const reservedTotal = (n: ConcurrencyNeeds) => sum(n.reserved);
export const provisionedTotal = (n: ConcurrencyNeeds) => sum(n.provisioned);

const logicalIdOf = (value: unknown): string | undefined => {
  const v = value as { Ref?: unknown; 'Fn::GetAtt'?: unknown } | undefined;
  if (typeof v?.Ref === 'string') return v.Ref;
  if (Array.isArray(v?.['Fn::GetAtt'])) return String(v['Fn::GetAtt'][0]);
  return undefined;
};

export function concurrencyNeeds(template: CloudFormationTemplate): ConcurrencyNeeds {
  const resources = template.Resources ?? {};
  const outputs = template.Outputs ?? {};
  // WebhooksStack names its functions in outputs (SenderFunctionName: Ref): the friendliest name there is.
  const nameOf = (logicalId: string) => {
    const output = Object.entries(outputs).find(([key, o]) => key.endsWith('FunctionName') && logicalIdOf(o.Value) === logicalId);
    return output ? output[0].slice(0, -'FunctionName'.length) : logicalId;
  };
  const needs: ConcurrencyNeeds = {
    mappings: [],
    uncappedMappings: [],
    stages: [],
    reserved: [],
    provisioned: [],
    apiGatewayLogging: { loggingStages: [] },
  };

  for (const [id, r] of Object.entries(resources)) {
    const p = r.Properties ?? {};
    const source = logicalIdOf(p.EventSourceArn);
    const fromSqs = source ? resources[source]?.Type === 'AWS::SQS::Queue' : String(p.EventSourceArn ?? '').includes(':sqs:');
    if (r.Type === 'AWS::Lambda::EventSourceMapping' && fromSqs) {
      const fn = logicalIdOf(p.FunctionName) ?? id;
      const cap = p.ScalingConfig?.MaximumConcurrency;
      const use = { name: nameOf(fn), logicalId: id, concurrency: typeof cap === 'number' ? cap : 0 };
      (typeof cap === 'number' ? needs.mappings : needs.uncappedMappings).push(use);
    }
    if (r.Type === 'AWS::Lambda::Function' && typeof p.ReservedConcurrentExecutions === 'number')
      needs.reserved.push({ name: nameOf(id), logicalId: id, concurrency: p.ReservedConcurrentExecutions });
    const provisioned = p.ProvisionedConcurrencyConfig?.ProvisionedConcurrentExecutions;
    if ((r.Type === 'AWS::Lambda::Alias' || r.Type === 'AWS::Lambda::Version') && typeof provisioned === 'number') {
      const fn = logicalIdOf(p.FunctionName) ?? id;
      const qualifier = r.Type === 'AWS::Lambda::Alias' && typeof p.Name === 'string' ? `alias ${p.Name}` : 'a version';
      needs.provisioned.push({ name: `${nameOf(fn)} (${qualifier})`, logicalId: id, concurrency: provisioned });
    }
    if (r.Type === 'AWS::ApiGateway::Account') {
      const role = logicalIdOf(p.CloudWatchRoleArn);
      if (role) needs.apiGatewayLogging.setsRole = role;
    }
    if (r.Type === 'AWS::ApiGateway::Stage' && p.AccessLogSetting)
      needs.apiGatewayLogging.loggingStages.push(`API stage ${typeof p.StageName === 'string' ? p.StageName : id}`);
    if (r.Type === 'AWS::ApiGateway::Stage') {
      const all = (p.MethodSettings ?? []).find((m) => m.ResourcePath === '/*' && m.HttpMethod === '*');
      if (typeof all?.ThrottlingBurstLimit !== 'number' || typeof all.ThrottlingRateLimit !== 'number') continue;
      const api = logicalIdOf(p.RestApiId);
      const authorizers = Object.values(resources).filter(
        (a) => a.Type === 'AWS::ApiGateway::Authorizer' && logicalIdOf(a.Properties?.RestApiId) === api,
      ).length;
      const functionsPerRequest = 1 + (authorizers > 0 ? 1 : 0);
      needs.stages.push({
        name: `API stage ${typeof p.StageName === 'string' ? p.StageName : id}`,
        logicalId: id,
        burstLimit: all.ThrottlingBurstLimit,
        rateLimit: all.ThrottlingRateLimit,
        functionsPerRequest,
        concurrency: all.ThrottlingBurstLimit * functionsPerRequest,
      });
    }
  }
  return needs;
}
