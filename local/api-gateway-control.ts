import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiGatewayError, type ApiKeyRecord, type LocalUsagePlans, type UsagePlanRecord } from './usage-plans.js';

/**
 * API Gateway's control-plane REST API, the few operations of it the tenant CLI calls
 * (CreateApiKey, DeleteApiKey, CreateUsagePlan, GetUsagePlan, GetUsagePlans, CreateUsagePlanKey,
 * DeleteUsagePlanKey, FlushStageAuthorizersCache), on loopback over LocalUsagePlans: so the CLI's one API Gateway adapter
 * (`@aws-sdk/client-api-gateway`) runs against local mode as it does against AWS, the way the
 * SQS adapter runs against fauxqs. Errors carry `x-amzn-ErrorType`, from which the SDK builds
 * the same exceptions AWS's answers give.
 */

export interface ApiGatewayControl {
  endpoint: string;
  stop(): Promise<void>;
}

/** GetUsagePlans pages: 25 by default, 500 at most (API Gateway's bounds). */
const DEFAULT_PAGE = 25;
const MAX_PAGE = 500;

const keyJson = (k: ApiKeyRecord) => ({
  id: k.id,
  value: k.value,
  ...(k.name !== undefined ? { name: k.name } : {}),
  ...(k.description !== undefined ? { description: k.description } : {}),
  enabled: k.enabled,
  createdDate: k.createdDate,
  lastUpdatedDate: k.createdDate,
});
const planJson = (p: UsagePlanRecord) => ({
  id: p.id,
  name: p.name,
  ...(p.description !== undefined ? { description: p.description } : {}),
  apiStages: p.apiStages,
  ...(p.throttle ? { throttle: { rateLimit: p.throttle.rateLimit, burstLimit: p.throttle.burstLimit } } : {}),
});

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  if (!text) return {};
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new ApiGatewayError('BadRequestException', 400, 'Invalid JSON body');
  }
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

export interface ApiGatewayControlOptions {
  /** FlushStageAuthorizersCache: the gateway stand-in drops its cached authorizer answers. */
  flushAuthorizerCache?: (restApiId: string, stage: string) => void;
}

async function route(plans: LocalUsagePlans, options: ApiGatewayControlOptions, req: IncomingMessage): Promise<[number, unknown]> {
  const url = new URL(req.url ?? '/', 'http://local');
  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const op = `${req.method} /${parts.map((p, i) => (i % 2 === 1 ? '{}' : p)).join('/')}`;
  switch (op) {
    case 'POST /apikeys': {
      const body = await readJson(req);
      const key = plans.createApiKey({
        ...(str(body.name) !== undefined ? { name: str(body.name)! } : {}),
        ...(str(body.description) !== undefined ? { description: str(body.description)! } : {}),
        ...(typeof body.enabled === 'boolean' ? { enabled: body.enabled } : {}),
        ...(str(body.value) !== undefined ? { value: str(body.value)! } : {}),
      });
      return [201, keyJson(key)];
    }
    case 'DELETE /apikeys/{}':
      plans.deleteApiKey(parts[1]!);
      return [202, {}];
    case 'POST /usageplans': {
      const body = await readJson(req);
      const name = str(body.name);
      if (!name) throw new ApiGatewayError('BadRequestException', 400, 'Usage plan name is required');
      const throttle = body.throttle as { rateLimit?: number; burstLimit?: number } | undefined;
      const plan = plans.createUsagePlan({
        name,
        ...(str(body.description) !== undefined ? { description: str(body.description)! } : {}),
        apiStages: ((body.apiStages as { apiId: string; stage: string }[] | undefined) ?? []).map((s) => ({
          apiId: s.apiId,
          stage: s.stage,
        })),
        ...(throttle?.rateLimit !== undefined && throttle.burstLimit !== undefined
          ? { throttle: { rateLimit: throttle.rateLimit, burstLimit: throttle.burstLimit } }
          : {}),
      });
      return [201, planJson(plan)];
    }
    case 'GET /usageplans': {
      const all = plans.getUsagePlans(url.searchParams.get('keyId') ?? undefined);
      const limit = Math.min(MAX_PAGE, Number(url.searchParams.get('limit') ?? DEFAULT_PAGE) || DEFAULT_PAGE);
      const start = Number(url.searchParams.get('position') ?? 0) || 0;
      const page = all.slice(start, start + limit);
      return [200, { item: page.map(planJson), ...(start + limit < all.length ? { position: String(start + limit) } : {}) }];
    }
    case 'GET /usageplans/{}':
      return [200, planJson(plans.getUsagePlan(parts[1]!))];
    case 'POST /usageplans/{}/keys': {
      const body = await readJson(req);
      if (body.keyType !== 'API_KEY') throw new ApiGatewayError('BadRequestException', 400, 'keyType must be API_KEY');
      const key = plans.createUsagePlanKey(parts[1]!, str(body.keyId) ?? '');
      return [201, { id: key.id, type: 'API_KEY', value: key.value, ...(key.name !== undefined ? { name: key.name } : {}) }];
    }
    case 'DELETE /usageplans/{}/keys/{}':
      plans.deleteUsagePlanKey(parts[1]!, parts[3]!);
      return [202, {}];
    case 'DELETE /restapis/{}/stages/{}/cache/{}':
      if (parts[5] !== 'authorizers') break;
      options.flushAuthorizerCache?.(parts[1]!, parts[3]!);
      return [202, {}];
  }
  throw new ApiGatewayError('BadRequestException', 400, `${req.method} ${url.pathname} is not served by local mode's API Gateway stand-in`);
}

export async function startApiGatewayControl(
  plans: LocalUsagePlans,
  options: ApiGatewayControlOptions = {},
  port = 0,
): Promise<ApiGatewayControl> {
  const server: Server = createServer((req, res: ServerResponse) => {
    route(plans, options, req).then(
      ([status, body]) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      },
      (err: unknown) => {
        // Anything but a rule broken is the stand-in's own fault: a 5xx, which the SDK retries.
        const [status, type] = err instanceof ApiGatewayError ? [err.status, err.type] : [500, 'InternalServerError'];
        res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type });
        res.end(JSON.stringify({ message: err instanceof Error ? err.message : String(err) }));
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
