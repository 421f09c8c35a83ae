import { type APIGatewayClient, GetAccountCommand } from '@aws-sdk/client-api-gateway';
import { type CloudFormationClient, ListStackResourcesCommand, type StackResourceSummary } from '@aws-sdk/client-cloudformation';
import {
  type EventSourceMappingConfiguration,
  GetAccountSettingsCommand,
  GetFunctionConcurrencyCommand,
  GetProvisionedConcurrencyConfigCommand,
  type LambdaClient,
  ListEventSourceMappingsCommand,
} from '@aws-sdk/client-lambda';
import { LAMBDA_CONCURRENCY_QUOTA_CODE, LAMBDA_MIN_UNRESERVED_CONCURRENCY } from '../../functions/domain/aws-limits.js';
import { type ConcurrencyNeeds, provisionedTotal, reservedTotal, unreservedPeak } from './concurrency-needs.js';

/**
 * `npm run preflight`: before a deploy, whether this account and Region can run the stack at its
 * own caps, from the operator's credentials. Lambda's account settings (GetAccountSettings: the
 * quota and what is left unreserved), the other SQS event source mappings of the account, which
 * draw on the same pool (ListEventSourceMappings), the stack's own reservations and mappings if it
 * is deployed already (ListStackResources, GetFunctionConcurrency, GetProvisionedConcurrencyConfig:
 * an update frees what it replaces), and API Gateway's account throttle and logging role (GetAccount). Says in plain lines what would be
 * throttled or refused, and which quota to raise to what.
 */

/** The account could not be read (credentials, permissions, Region): exit 3, nothing was checked. */
export class AccountUnreadable extends Error {
  override name = 'AccountUnreadable';
}

export interface PreflightClients {
  lambda: LambdaClient;
  apiGateway: APIGatewayClient;
  cloudFormation: CloudFormationClient;
}

export interface PreflightReport {
  /** Passed every check: the deploy would be neither refused nor throttled at its caps. */
  ok: boolean;
  lines: string[];
}

const n = (x: number) => x.toLocaleString('en-US');
const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
/** Mappings that consume nothing. */
const IDLE_STATES = new Set(['Disabled', 'Disabling', 'Deleting']);

async function read<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw new AccountUnreadable(`could not read ${what}: ${message(err)}`);
  }
}

/** The stack's resources by logical id, or undefined when it is not deployed (a first create). */
async function deployedResources(cfn: CloudFormationClient, stackName: string): Promise<Map<string, string> | undefined> {
  const byLogicalId = new Map<string, string>();
  let token: string | undefined;
  try {
    do {
      const page = await cfn.send(new ListStackResourcesCommand({ StackName: stackName, ...(token ? { NextToken: token } : {}) }));
      for (const r of page.StackResourceSummaries ?? ([] as StackResourceSummary[]))
        if (r.LogicalResourceId && r.PhysicalResourceId) byLogicalId.set(r.LogicalResourceId, r.PhysicalResourceId);
      token = page.NextToken;
    } while (token);
  } catch (err) {
    if (/does not exist/i.test(message(err))) return undefined;
    throw new AccountUnreadable(`could not read stack ${stackName}'s resources: ${message(err)}`);
  }
  return byLogicalId;
}

/** An alias's provisioned concurrency now (0 when it has none: Lambda answers ProvisionedConcurrencyConfigNotFoundException). */
async function readProvisioned(lambda: LambdaClient, functionName: string, qualifier: string): Promise<number> {
  try {
    const config = await lambda.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName: functionName, Qualifier: qualifier }));
    return config.RequestedProvisionedConcurrentExecutions ?? 0;
  } catch (err) {
    if ((err as { name?: string }).name === 'ProvisionedConcurrencyConfigNotFoundException') return 0;
    throw new AccountUnreadable(
      `could not read ${functionName}:${qualifier}'s provisioned concurrency (lambda:GetProvisionedConcurrencyConfig): ${message(err)}`,
    );
  }
}

async function sqsMappings(lambda: LambdaClient): Promise<EventSourceMappingConfiguration[]> {
  const all: EventSourceMappingConfiguration[] = [];
  let marker: string | undefined;
  do {
    const page = await read("the account's event source mappings (lambda:ListEventSourceMappings)", () =>
      lambda.send(new ListEventSourceMappingsCommand(marker ? { Marker: marker } : {})),
    );
    all.push(...(page.EventSourceMappings ?? []));
    marker = page.NextMarker;
  } while (marker);
  return all.filter((m) => (m.EventSourceArn ?? '').includes(':sqs:') && !IDLE_STATES.has(m.State ?? ''));
}

/**
 * API Gateway's CloudWatch role is one per account and Region: a stage writing access logs without
 * it fails the deploy ("CloudWatch Logs role ARN must be set in account settings to enable
 * logging"), and a stack that sets one replaces whatever role the account had.
 */
function loggingRoleCheck(
  needs: ConcurrencyNeeds,
  deployed: Map<string, string> | undefined,
  accountRole: string | undefined,
  pass: (line: string) => void,
  fail: (line: string, ...todo: string[]) => void,
  note: (line: string) => void,
): void {
  const { loggingStages, setsRole } = needs.apiGatewayLogging;
  if (!loggingStages.length) return;
  if (setsRole) {
    const ours = deployed?.get(setsRole);
    if (accountRole && !(ours && accountRole.endsWith(`/${ours}`)))
      note(
        `the account already has API Gateway's logging role (${accountRole}); this stack would set its own in its place (harmless to the account's other APIs). To keep the one it has: -c apiGatewayCloudWatchRole=false`,
      );
    else pass(`the stack sets API Gateway's logging role for ${loggingStages.join(', ')}`);
  } else if (accountRole) pass(`API Gateway's logging role (${accountRole}) is set: ${loggingStages.join(', ')} can write access logs`);
  else
    fail(
      `API Gateway has no logging role in this account and Region, and the stack sets none (apiGatewayCloudWatchRole=false): ${loggingStages.join(', ')} would fail the deploy`,
      'deploy without -c apiGatewayCloudWatchRole=false, so that the stack sets one',
    );
}

export async function preflight(
  needs: ConcurrencyNeeds,
  stackName: string | undefined,
  clients: PreflightClients,
): Promise<PreflightReport> {
  const lines: string[] = [];
  let ok = true;
  const pass = (line: string) => lines.push(`OK    ${line}`);
  const fail = (line: string, ...todo: string[]) => {
    ok = false;
    lines.push(`FAIL  ${line}`, ...todo.map((t) => `      ${t}`));
  };

  const settings = await read("Lambda's account settings (lambda:GetAccountSettings)", () =>
    clients.lambda.send(new GetAccountSettingsCommand({})),
  );
  const limit = settings.AccountLimit?.ConcurrentExecutions;
  const unreserved = settings.AccountLimit?.UnreservedConcurrentExecutions;
  if (limit === undefined || unreserved === undefined)
    throw new AccountUnreadable('Lambda answered GetAccountSettings without ConcurrentExecutions and UnreservedConcurrentExecutions');

  const deployed = stackName ? await deployedResources(clients.cloudFormation, stackName) : undefined;
  // An update replaces the stack's own reservations and mappings: what they take now is freed by it.
  let alreadyReserved = 0;
  for (const r of needs.reserved) {
    const fn = deployed?.get(r.logicalId);
    if (!fn) continue;
    const current = await read(`${fn}'s reserved concurrency (lambda:GetFunctionConcurrency)`, () =>
      clients.lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: fn })),
    );
    alreadyReserved += current.ReservedConcurrentExecutions ?? 0;
  }
  // Provisioned concurrency is allocated out of the same pool: an alias of this stack already has its own.
  for (const r of needs.provisioned) {
    const arn = deployed?.get(r.logicalId);
    const at = arn?.lastIndexOf(':') ?? -1;
    if (!arn || at < 0) continue;
    const current = await readProvisioned(clients.lambda, arn.slice(0, at), arn.slice(at + 1));
    alreadyReserved += current;
  }
  const ownMappings = new Set([...needs.mappings, ...needs.uncappedMappings].map((m) => deployed?.get(m.logicalId)).filter(Boolean));
  const others = (await sqsMappings(clients.lambda)).filter((m) => !ownMappings.has(m.UUID));
  const othersCapped = others.filter((m) => m.ScalingConfig?.MaximumConcurrency !== undefined);
  const othersTotal = othersCapped.reduce((t, m) => t + (m.ScalingConfig?.MaximumConcurrency ?? 0), 0);
  const throttle = await read("API Gateway's account settings (apigateway:GET /account)", () =>
    clients.apiGateway.send(new GetAccountCommand({})),
  );

  const peak = unreservedPeak(needs);
  const provisioning = provisionedTotal(needs);
  const reserving = reservedTotal(needs) + provisioning;
  const allocating = provisioning
    ? `reserving ${n(reservedTotal(needs))} and provisioning ${n(provisioning)}`
    : `reserving ${n(reserving)}`;
  const freeAfter = unreserved + alreadyReserved - reserving;
  const demand = peak + othersTotal;

  lines.push(
    `Stack ${stackName ?? '(template)'}${deployed ? ' (deployed: an update)' : ' (not deployed: a first create)'}: Lambda concurrency at its caps`,
    ...needs.mappings.map((m) => `  ${m.name}: up to ${n(m.concurrency)} (its SQS event source mapping's MaximumConcurrency)`),
    ...needs.stages.map(
      (s) =>
        `  ${s.name}: up to ${n(s.concurrency)} (a burst of ${n(s.burstLimit)} requests, ${s.functionsPerRequest} function${s.functionsPerRequest > 1 ? 's, with the authorizer,' : ''} each)`,
    ),
    ...needs.reserved.map((r) => `  ${r.name}: ${n(r.concurrency)} reserved`),
    ...needs.provisioned.map(
      (r) => `  ${r.name}: ${n(r.concurrency)} provisioned (allocated like a reservation; it also serves the first of its stage's burst)`,
    ),
    ...needs.uncappedMappings.map(
      (m) => `  ${m.name}: an SQS event source mapping without MaximumConcurrency (not counted: it takes what is free)`,
    ),
    `  in all ${n(peak)} from the unreserved pool, and ${n(reservedTotal(needs))} reserved${provisioning ? `, ${n(provisioning)} provisioned` : ''}`,
    `Account (lambda:GetAccountSettings): ConcurrentExecutions ${n(limit)}, UnreservedConcurrentExecutions ${n(unreserved)}`,
  );
  if (othersCapped.length)
    lines.push(
      `  other SQS event source mappings in this account and Region: ${othersCapped.length}, capped at ${n(othersTotal)} together`,
    );
  if (others.length > othersCapped.length)
    lines.push(`  and ${others.length - othersCapped.length} without MaximumConcurrency (not counted: they take what is free)`);

  // What the quota must grow by so that both hold: the reservation is allowed, and nothing is throttled.
  const grow = Math.max(LAMBDA_MIN_UNRESERVED_CONCURRENCY, demand) - freeAfter;
  let raiseSaid = false;
  const raiseQuota = () => {
    if (raiseSaid) return ['raise the quota as above'];
    raiseSaid = true;
    return [
      `raise the Lambda quota "Concurrent executions" (Service Quotas code ${LAMBDA_CONCURRENCY_QUOTA_CODE}) to at least ${n(limit + grow)}:`,
      `aws service-quotas request-service-quota-increase --service-code lambda --quota-code ${LAMBDA_CONCURRENCY_QUOTA_CODE} --desired-value ${limit + grow}`,
    ];
  };
  if (freeAfter >= LAMBDA_MIN_UNRESERVED_CONCURRENCY)
    pass(
      `${allocating} leaves ${n(freeAfter)} unreserved (Lambda refuses a reservation that leaves under ${LAMBDA_MIN_UNRESERVED_CONCURRENCY})`,
    );
  else
    fail(
      `the deploy would fail: ${allocating} (${[...needs.reserved, ...needs.provisioned].map((r) => r.name).join(', ')}) would leave ${n(freeAfter)} unreserved, and Lambda refuses a reservation that leaves under ${LAMBDA_MIN_UNRESERVED_CONCURRENCY}`,
      ...raiseQuota(),
    );
  if (demand <= freeAfter)
    pass(
      `the unreserved pool of ${n(freeAfter)} holds the stack's ${n(peak)}${othersTotal ? ` and the other mappings' ${n(othersTotal)}` : ''}, with ${n(freeAfter - demand)} left for every other function of the account`,
    );
  else {
    const shortBy = demand - freeAfter;
    const mappings = needs.mappings.reduce((t, m) => t + m.concurrency, 0);
    fail(
      `Lambda would throttle: at their caps ${[...needs.mappings.map((m) => m.name), ...needs.stages.map((st) => st.name)].join(', ')} take ${n(peak)}${othersTotal ? `, the account's other mappings ${n(othersTotal)}` : ''}, but only ${n(freeAfter)} would be unreserved: ${n(shortBy)} short (the *Throttles alarms would fire, deliveries wait in the queues)`,
      ...raiseQuota(),
      ...(mappings - shortBy >= 2 * needs.mappings.length
        ? [
            `or lower the mappings' caps by ${n(shortBy)} together (-c senderMaxConcurrency=... -c fanoutMaxConcurrency=..., 2 each at least)`,
          ]
        : []),
    );
  }

  loggingRoleCheck(needs, deployed, throttle.cloudwatchRoleArn, pass, fail, (line) => lines.push(`NOTE  ${line}`));

  const account = throttle.throttleSettings;
  for (const s of needs.stages) {
    if (account?.rateLimit === undefined || account.burstLimit === undefined) {
      fail(`${s.name}: API Gateway answered GetAccount without its throttle settings; check them in the console`);
      continue;
    }
    if (s.rateLimit <= account.rateLimit && s.burstLimit <= account.burstLimit)
      pass(
        `${s.name}'s throttle (${n(s.rateLimit)}/s, burst ${n(s.burstLimit)}) is within the account's (${n(account.rateLimit)}/s, burst ${n(account.burstLimit)})`,
      );
    else
      fail(
        `${s.name}'s throttle (${n(s.rateLimit)}/s, burst ${n(s.burstLimit)}) is above the account's (${n(account.rateLimit)}/s, burst ${n(account.burstLimit)}): API Gateway would answer 429 past the account's`,
        'raise the API Gateway quota "Throttle rate" (Service Quotas code L-8A5B8E43) or lower -c stageRateLimit / -c stageBurstLimit',
      );
  }
  return { ok, lines };
}
