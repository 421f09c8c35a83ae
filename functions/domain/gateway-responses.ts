import { GATEWAY_FAILURE } from './errors.js';
import { THROTTLE_ERRORS } from './throttle.js';

/**
 * What API Gateway answers itself, before or instead of the api function, declared once: the
 * stack renders each as a gateway response (lib/constructs/webhook-api.ts), local mode's stand-in
 * answers the same (local/http-gateway.ts), and the OpenAPI document describes them
 * (functions/app/openapi.ts). Keys are API Gateway's response types.
 *
 * `status` undefined keeps the status API Gateway chose (the DEFAULT_* types: 400, 415, 502...);
 * `message` undefined renders API Gateway's own `$context.error.messageString`.
 */
export interface GatewayResponse {
  status?: number;
  code: string;
  message?: string;
  /** Answered with `Retry-After` (a static value on AWS: a gateway response cannot compute one). */
  retryAfter?: true;
  /** When API Gateway gives it, for the document. */
  cause: string;
}

export const GATEWAY_RESPONSES = {
  UNAUTHORIZED: {
    status: 401,
    code: 'unauthorized',
    message: 'Send the tenant credentials in the Identity and Authorization headers.',
    cause:
      'The Identity or Authorization header is missing (API Gateway answers without calling the authorizer), or the authorizer refused them: an unknown identity, a wrong or revoked key, a tenant that is not active, or a portal session that is unknown or has ended',
  },
  ACCESS_DENIED: {
    status: 403,
    code: 'forbidden',
    message: 'These credentials are not valid or may not use this resource.',
    cause: "The authorizer's policy does not cover this method and path: a portal session calling a route the portal may not",
  },
  MISSING_AUTHENTICATION_TOKEN: {
    status: 404,
    code: 'not_found',
    message: 'No route matches this method and path.',
    cause: 'No resource and method of the REST API matches the request',
  },
  REQUEST_TOO_LARGE: {
    status: 413,
    code: 'payload_too_large',
    message: 'The request body is too large.',
    cause: "The body is larger than API Gateway's 10 MB payload limit (the api function's own limit, 1 MiB, answers 413 too)",
  },
  THROTTLED: {
    ...THROTTLE_ERRORS.rateLimited,
    retryAfter: true,
    cause: "The tenant's own request rate (its API key's usage plan), the stage's or the account's was exceeded",
  },
  INVALID_API_KEY: {
    ...THROTTLE_ERRORS.keyUnavailable,
    retryAfter: true,
    cause: "The tenant's throttling key is being moved between usage plans (for a moment its requests cannot be counted)",
  },
  INTEGRATION_TIMEOUT: {
    status: 504,
    code: 'timeout',
    message: 'The request took too long; retry it.',
    cause: 'The api function did not answer within 29 seconds',
  },
  DEFAULT_4XX: { code: 'bad_request', cause: 'Any other request API Gateway refuses itself' },
  DEFAULT_5XX: {
    code: GATEWAY_FAILURE.code,
    message: GATEWAY_FAILURE.message,
    cause: 'The authorizer failed (an error other than a refusal, or a timeout), or API Gateway could not call the api function',
  },
} as const satisfies Record<string, GatewayResponse>;

export type GatewayResponseType = keyof typeof GATEWAY_RESPONSES;
