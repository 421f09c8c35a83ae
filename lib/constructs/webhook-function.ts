import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { FunctionNetwork } from './egress.js';

/** The repository root: bundling runs esbuild from here and copies `events/` from here. */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Where the packed package keeps the pre-bundled handlers (`npm run build`: dist/handlers/<name>/
 * with index.mjs, its source map and events/). From the compiled dist/lib/constructs/ this is
 * dist/handlers; from this repository's lib/constructs/ it is a `handlers/` that does not exist,
 * so the repository bundles from source.
 */
export const PREBUNDLED_HANDLERS_DIR = fileURLToPath(new URL('../../handlers/', import.meta.url));

/** One runtime for every function: Node 24, the LTS line the code is developed and tested on. */
export const WEBHOOK_RUNTIME = lambda.Runtime.NODEJS_24_X;
/** esbuild's target for that runtime. */
export const WEBHOOK_ESBUILD_TARGET = 'node24';
/** Prefer a dependency's ESM build. */
export const WEBHOOK_MAIN_FIELDS = ['module', 'main'] as const;

/** The handlers under functions/handlers/, one Lambda each. */
export const HANDLER_NAMES = ['api', 'authorizer', 'fanout', 'sender', 'resumer', 'portal', 'inbound'] as const;
export type HandlerName = (typeof HANDLER_NAMES)[number];

/** Memory a function gets unless its construct or `memorySizes` says otherwise, MB. */
export const DEFAULT_MEMORY_SIZE = 256;
/**
 * What Lambda accepts, MB, in 1 MB steps; CPU is allocated in proportion to it
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html).
 */
export const LAMBDA_MEMORY_RANGE = { min: 128, max: 10_240 } as const;

/** An operator's memory per function, MB, over each function's own default (WebhookDeliveryProps.memorySizes). */
export type MemorySizes = Partial<Record<HandlerName, number>>;

/** `memorySizes` as given, refused at synth when a name is not a handler or a size is not Lambda's. */
export function checkMemorySizes(memorySizes: MemorySizes, name = 'memorySizes'): MemorySizes {
  for (const [handler, mb] of Object.entries(memorySizes)) {
    if (!(HANDLER_NAMES as readonly string[]).includes(handler))
      throw new Error(`${name}: "${handler}" is not a function; the functions are ${HANDLER_NAMES.join(', ')}`);
    if (!Number.isInteger(mb) || mb < LAMBDA_MEMORY_RANGE.min || mb > LAMBDA_MEMORY_RANGE.max)
      throw new Error(
        `${name}.${handler} must be a whole number of MB from ${LAMBDA_MEMORY_RANGE.min} to ${LAMBDA_MEMORY_RANGE.max} (Lambda's range, in 1 MB steps), got ${mb}`,
      );
  }
  return memorySizes;
}

/**
 * ESM output still has to load the CommonJS parts of some dependencies; esbuild's `require`
 * shim needs a real `require` in scope for that.
 */
export const ESM_REQUIRE_BANNER = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

export interface WebhookFunctionProps {
  /** Which handler: bundles `functions/handlers/<handler>.ts`, export `handler`. */
  readonly handler: HandlerName;
  readonly description: string;
  /** Merged over the common environment the stack passes. */
  readonly environment: Record<string, string>;
  /** The function's own memory, MB. @default DEFAULT_MEMORY_SIZE */
  readonly memorySize?: number;
  /** An operator's overrides by handler: this handler's entry wins over `memorySize`. @default none */
  readonly memorySizes?: MemorySizes;
  /** @default 30 seconds */
  readonly timeout?: Duration;
  /** Concurrency reserved for (and capping) the function. @default none: the account's unreserved pool */
  readonly reservedConcurrentExecutions?: number;
  /** X-Ray. @default lambda.Tracing.ACTIVE */
  readonly tracing?: lambda.Tracing;
  /** @default one month */
  readonly logRetention?: logs.RetentionDays;
  /** What happens to the log group when the function goes. @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * A directory holding `<handler>/index.mjs` already bundled: used as is (no esbuild, no sources).
   * @default PREBUNDLED_HANDLERS_DIR when it holds this handler, else bundle from source
   */
  readonly prebundledHandlersDir?: string;
  /** Run in these subnets (StaticEgress.network; the role must also get its ENI permissions). @default no VPC */
  readonly network?: FunctionNetwork;
  /** More shell commands after bundling from source, to put files beside `index.mjs`. */
  readonly afterBundling?: (outputDir: string) => string[];
}

function memorySizeOf(props: WebhookFunctionProps): number {
  const override = props.memorySizes?.[props.handler];
  if (override !== undefined) checkMemorySizes({ [props.handler]: override });
  return override ?? props.memorySize ?? DEFAULT_MEMORY_SIZE;
}

/** The pre-bundled directory of `handler` under `dir`, if it is there. */
export function prebundledHandler(handler: HandlerName, dir = PREBUNDLED_HANDLERS_DIR): string | undefined {
  const path = join(dir, handler);
  return existsSync(join(path, 'index.mjs')) ? path : undefined;
}

/**
 * The shared defaults of every webhook Lambda: bundled locally with the project's esbuild (never
 * Docker) to a minified ESM `index.mjs` with a source map, the event catalog (`events/`) copied
 * beside it, arm64, X-Ray, its own log group, and its own role that may write to that log group
 * and nothing else until a construct grants more. In the packed package the same bundle comes
 * pre-built (scripts/build-package.ts) and is used as an asset as it is.
 */
export class WebhookFunction extends Construct {
  readonly function: lambda.Function;
  readonly logGroup: logs.LogGroup;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: WebhookFunctionProps) {
    super(scope, id);

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs the webhooks ${props.handler} function of ${Stack.of(this).stackName}`,
    });
    this.logGroup.grants.write(this.role);

    const common = {
      description: props.description,
      runtime: WEBHOOK_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: memorySizeOf(props),
      timeout: props.timeout ?? Duration.seconds(30),
      tracing: props.tracing ?? lambda.Tracing.ACTIVE,
      logGroup: this.logGroup,
      role: this.role,
      environment: props.environment,
      ...(props.reservedConcurrentExecutions !== undefined ? { reservedConcurrentExecutions: props.reservedConcurrentExecutions } : {}),
      ...(props.network ? { ...props.network, securityGroups: [...props.network.securityGroups] } : {}),
    };
    const prebundled = prebundledHandler(props.handler, props.prebundledHandlersDir);
    this.function = prebundled
      ? new lambda.Function(this, 'Function', { ...common, code: lambda.Code.fromAsset(prebundled), handler: 'index.handler' })
      : bundledFromSource(this, props.handler, common, props.afterBundling);

    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions.',
    });
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'Pinned to nodejs24.x, the Node.js LTS line the handlers are developed and tested on; moved forward deliberately.',
    });
  }
}

/** NodejsFunction with the local esbuild, from functions/handlers/<handler>.ts of this repository. */
function bundledFromSource(
  scope: Construct,
  handler: HandlerName,
  common: Omit<lambda.FunctionProps, 'code' | 'handler'>,
  afterBundling?: (outputDir: string) => string[],
): NodejsFunction {
  const entry = join(PROJECT_ROOT, 'functions', 'handlers', `${handler}.ts`);
  if (!existsSync(entry))
    throw new Error(`the ${handler} handler is neither pre-bundled (${PREBUNDLED_HANDLERS_DIR}) nor in the sources (${entry})`);
  return new NodejsFunction(scope, 'Function', {
    ...common,
    entry,
    handler: 'handler',
    projectRoot: PROJECT_ROOT,
    depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
    bundling: {
      forceDockerBundling: false,
      format: OutputFormat.ESM,
      target: WEBHOOK_ESBUILD_TARGET,
      mainFields: [...WEBHOOK_MAIN_FIELDS],
      banner: ESM_REQUIRE_BANNER,
      minify: true,
      sourceMap: true,
      sourceMapMode: SourceMapMode.DEFAULT,
      sourcesContent: false,
      // Ship the SDK version the code was tested against rather than the runtime's.
      bundleAwsSDK: true,
      commandHooks: {
        beforeBundling: () => [],
        beforeInstall: () => [],
        // The catalog is read at run time from $LAMBDA_TASK_ROOT/events (functions/domain/catalog.ts).
        afterBundling: (inputDir: string, outputDir: string) => [
          `cp -r "${join(inputDir, 'events')}" "${join(outputDir, 'events')}"`,
          ...(afterBundling?.(outputDir) ?? []),
        ],
      },
    },
  });
}
