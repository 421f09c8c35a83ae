// A tenant's first request in a fresh process (issue 21, item 3): local mode's API Gateway
// stand-in (bundled by bench/cold-path.ts, loaded before the clock starts) in front of the
// authorizer's and the api's Lambda bundles, each imported on its first invocation as Lambda
// does at a cold start. The parent passes { gateway, authorizer, api, publicPaths } as JSON in
// argv[2], learns the port over IPC, and gets { authorizerImportMs, apiImportMs } as each loads.
const config = JSON.parse(process.argv[2]);
const { startGateway } = await import(config.gateway);

const context = (functionName) => ({
  functionName,
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
  memoryLimitInMB: '256',
  awsRequestId: crypto.randomUUID(),
  logGroupName: `/aws/lambda/${functionName}`,
  logStreamName: 'cold',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 29_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});

/** The handler of `dir`/index.mjs, imported on the first call (timed, reported to the parent). */
function onDemand(name, dir) {
  let loaded;
  return async (event) => {
    if (!loaded) {
      const t = performance.now();
      const cpu = process.cpuUsage();
      loaded = (await import(`${dir}/index.mjs`)).handler;
      const used = process.cpuUsage(cpu);
      process.send?.({ loaded: name, ms: performance.now() - t, cpuMs: (used.user + used.system) / 1000 });
    }
    return loaded(event, context(name));
  };
}

const gateway = await startGateway({
  port: 0,
  host: '127.0.0.1',
  api: onDemand('api', config.api),
  authorizer: onDemand('authorizer', config.authorizer),
  publicPaths: config.publicPaths,
  authorizerCacheTtlSeconds: 300,
});
process.send?.({ port: gateway.port });
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
