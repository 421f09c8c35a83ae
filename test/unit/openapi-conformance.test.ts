import { describe, expect, it } from 'vitest';
import { GATEWAY_RESPONSES } from '../../functions/domain/gateway-responses.js';
import { RETRY_AFTER_SECONDS } from '../../functions/domain/throttle.js';
import { GATEWAY_ERRORS } from '../../lib/constructs/webhook-api.js';
import { loadConformance } from '../support/openapi-conformance.js';

/** The check every e2e answer goes through (test/support/local.ts): it must catch what does not fit, and pass what does. */

const conformance = loadConformance();
const JSON_TYPE = { 'content-type': 'application/json' };
const error = (code: string, message = 'A message a person can act on') => JSON.stringify({ error: { code, message } });
// As the API writes seed 001's times: with the Z that the seed's own examples lack (date-time needs an offset).
const V0_ITEM = {
  date_created: '2020-11-17T11:13:06.568119Z',
  date_updated: '2020-11-17T11:13:06.568119Z',
  webhook_id: '522e9ec7-b17d-4d92-8270-c2e1741dd6e0',
  callback_url: 'https://www.octopussy.com/webhook/route',
  description: 'KYC state changes.',
  events: ['kyc.verification.success'],
  status: 'enabled',
  secret: 'whsec_XqTEJtniwuEhp0A1c1cTJNsmpR/qgOfB',
};

describe('the OpenAPI conformance check', () => {
  it("passes seed 001's list at both of its paths", () => {
    for (const path of ['/api/v0/webhooks', '/api/v0/webhooks/'])
      expect(conformance.check({ method: 'GET', path, status: 200, headers: JSON_TYPE, body: JSON.stringify([V0_ITEM]) })).toEqual([]);
  });

  it('catches a body that does not match, naming the field', () => {
    const { secret: _, ...noSecret } = V0_ITEM;
    const problems = conformance.check({
      method: 'GET',
      path: '/api/v0/webhooks/',
      status: 200,
      headers: JSON_TYPE,
      body: JSON.stringify([noSecret]),
    });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain("must have required property 'secret'");
  });

  it('catches a status the operation does not document, and a Content-Type it does not', () => {
    // Any 4xx is documented (API Gateway's own refusals, the 4XX range); a 502 is not.
    expect(
      conformance.check({ method: 'GET', path: '/api/v0/webhooks', status: 502, headers: JSON_TYPE, body: error('bad_gateway') })[0],
    ).toContain('not 502');
    expect(
      conformance.check({ method: 'GET', path: '/api/v0/webhooks', status: 418, headers: JSON_TYPE, body: error('bad_request') }),
    ).toEqual([]);
    expect(
      conformance.check({ method: 'GET', path: '/api/v0/webhooks', status: 200, headers: { 'content-type': 'text/plain' }, body: '[]' })[0],
    ).toContain('Content-Type text/plain');
  });

  it('holds Retry-After, x-next-cursor and Location to the document', () => {
    const limited = { method: 'GET', path: '/api/v0/webhooks', status: 429, body: error('rate_limited') };
    expect(conformance.check({ ...limited, headers: JSON_TYPE })[0]).toContain('Retry-After is required');
    expect(conformance.check({ ...limited, headers: { ...JSON_TYPE, 'Retry-After': 'soon' } })[0]).toContain('Retry-After');
    expect(conformance.check({ ...limited, headers: { ...JSON_TYPE, 'Retry-After': String(RETRY_AFTER_SECONDS) } })).toEqual([]);
    // v0 documents its cursor header; v0.1 carries the cursor in the body and documents none.
    const cursor = { ...JSON_TYPE, 'x-next-cursor': 'abc' };
    expect(conformance.check({ method: 'GET', path: '/api/v0/webhooks', status: 200, headers: cursor, body: '[]' })).toEqual([]);
    const v01 = JSON.stringify({ webhook_subscriptions: [], next_cursor: null });
    expect(conformance.check({ method: 'GET', path: '/api/v0.1/webhooks', status: 200, headers: cursor, body: v01 })[0]).toContain(
      'sends x-next-cursor',
    );
  });

  it('takes a path no operation has for no route: a 404 or 405 in the errors shape only', () => {
    expect(
      conformance.check({ method: 'GET', path: '/api/v0.1/webhooks/', status: 404, headers: JSON_TYPE, body: error('not_found') }),
    ).toEqual([]);
    expect(
      conformance.check({ method: 'PUT', path: '/api/v0/webhooks', status: 405, headers: JSON_TYPE, body: error('method_not_allowed') }),
    ).toEqual([]);
    expect(conformance.check({ method: 'GET', path: '/api/v0.1/nothing', status: 200, headers: JSON_TYPE, body: '{}' })[0]).toContain(
      'no operation',
    );
    expect(conformance.check({ method: 'GET', path: '/api/v0.1/nothing', status: 404, headers: JSON_TYPE, body: 'gone' })[0]).toContain(
      'not JSON',
    );
  });

  it("passes each of API Gateway's own answers, as the stack renders them, on an authorized route", () => {
    for (const e of GATEWAY_ERRORS) {
      const declared = GATEWAY_RESPONSES[e.type.responseType as keyof typeof GATEWAY_RESPONSES];
      // DEFAULT_*: the status API Gateway chose, not one of ours. MISSING_AUTHENTICATION_TOKEN:
      // every path has a resource (`{proxy+}`), so it never answers a documented route.
      if (!('status' in declared) || e.type.responseType === 'MISSING_AUTHENTICATION_TOKEN') continue;
      const body = JSON.parse(`{"error":{"code":"${e.code}","message":${e.messageJson}}}`);
      const headers = { ...JSON_TYPE, ...(e.retryAfter ? { 'Retry-After': String(RETRY_AFTER_SECONDS) } : {}) };
      for (const [method, path] of [
        ['GET', '/api/v0/webhooks/'],
        ['PATCH', '/api/v0.1/webhooks/487a7f29-7b80-467d-b20d-7b60c3a14cf0'],
      ] as const) {
        expect(
          conformance.check({ method, path, status: Number(e.statusCode), headers, body: JSON.stringify(body) }),
          e.type.responseType,
        ).toEqual([]);
      }
    }
  });
});
