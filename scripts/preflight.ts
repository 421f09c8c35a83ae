/**
 * Before `npx cdk deploy`: can this account and Region run the stack at its caps?
 *
 *   npm run preflight                                  the stack `npx cdk deploy` would deploy
 *   npm run preflight -- -c senderMaxConcurrency=200   with the same -c settings as the deploy
 *   npm run preflight -- --template cdk.out/Platform.template.json [--stack Platform]
 *                                                      a template your own app synthesized
 *
 * Uses your usual AWS credentials and Region. Prints one line per check. Exit codes: 0 every
 * check passed, 1 the deploy would be refused or throttled (the lines say what to raise), 2 bad
 * usage, 3 the account could not be read (credentials, permissions, Region).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { type CloudFormationTemplate, concurrencyNeeds } from './lib/concurrency-needs.js';
import { AccountUnreadable, preflight } from './lib/preflight.js';

const USAGE = `usage: npm run preflight -- [options]

Reads this account's Lambda and API Gateway settings (your AWS credentials and Region) and says
whether the stack, at its own caps, would be refused or throttled, and what quota to raise.

options:
  -c, --context KEY=VALUE   a context setting, as for npx cdk deploy (repeatable)
  --template FILE           check this synthesized template instead of synthesizing the app
  --stack NAME              the deployed stack to compare with (default: the app's stack name;
                            with --template, none: the check is for a first create)
  -h, --help                show this help

The credentials need lambda:GetAccountSettings, lambda:ListEventSourceMappings,
lambda:GetFunctionConcurrency, lambda:GetProvisionedConcurrencyConfig (with
provisionedConcurrency), cloudformation:ListStackResources and apigateway:GET on /account.`;

class UsageError extends Error {}

function parse(argv: string[]) {
  let values: { context?: string[]; template?: string; stack?: string; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        context: { type: 'string', short: 'c', multiple: true },
        template: { type: 'string' },
        stack: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  if (values.template && values.context?.length) throw new UsageError('-c settings apply to the app; a --template is already synthesized');
  const context: Record<string, string> = {};
  for (const pair of values.context ?? []) {
    const at = pair.indexOf('=');
    if (at < 1) throw new UsageError(`-c takes KEY=VALUE, got '${pair}'`);
    context[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return { context, template: values.template, stack: values.stack, help: values.help === true };
}

async function main(argv: string[]): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`preflight: ${err.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }

  let template: CloudFormationTemplate;
  let stackName = args.stack;
  try {
    if (args.template) template = JSON.parse(readFileSync(args.template, 'utf8')) as CloudFormationTemplate;
    else {
      // Loaded only here: synthesizing loads the whole CDK app.
      const { synthesizeApp } = await import('./lib/synth.js');
      const synthesized = synthesizeApp(args.context);
      template = synthesized.template;
      stackName ??= synthesized.stackName;
    }
  } catch (err) {
    process.stderr.write(
      `preflight: could not ${args.template ? `read ${args.template}` : 'synthesize the app'}: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    return 2;
  }

  const clients = { lambda: new LambdaClient({}), apiGateway: new APIGatewayClient({}), cloudFormation: new CloudFormationClient({}) };
  try {
    const report = await preflight(concurrencyNeeds(template), stackName, clients);
    process.stdout.write(
      `${report.lines.join('\n')}\n${report.ok ? 'preflight: every check passed' : 'preflight: the deploy would be refused or throttled (FAIL lines above)'}\n`,
    );
    return report.ok ? 0 : 1;
  } catch (err) {
    if (!(err instanceof AccountUnreadable)) throw err;
    process.stderr.write(`preflight: ${err.message} (check your AWS credentials, AWS_REGION and the permissions in --help)\n`);
    return 3;
  } finally {
    for (const c of Object.values(clients)) c.destroy();
  }
}

process.exitCode = await main(process.argv.slice(2));
