import type { APIGatewayProxyEvent } from 'aws-lambda';
import { CURSOR_PATTERN, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from '../domain/api-limits.js';
import { ApiError, validationError } from '../domain/errors.js';
import type { PageRequest } from '../ports.js';

export { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT };

const CURSOR = new RegExp(CURSOR_PATTERN);

/** What every route reads off the request: the authorizer's tenant (and its throttling key) and list paging. */

export function tenantOf(event: APIGatewayProxyEvent): string {
  const tenantId = event.requestContext?.authorizer?.tenantId as unknown;
  if (typeof tenantId !== 'string' || tenantId === '')
    throw new ApiError(401, 'unauthorized', 'Send your Identity and Authorization headers');
  return tenantId;
}

/** The tenant's own throttling key, as the authorizer found it (absent for a tenant without one). */
export function throttleKeyOf(event: APIGatewayProxyEvent): string | undefined {
  const key = event.requestContext?.authorizer?.throttleKey as unknown;
  return typeof key === 'string' && key !== '' ? key : undefined;
}

/** `limit` (1 to 100, default 50) and `cursor`. */
export function pageRequest(event: APIGatewayProxyEvent): PageRequest {
  const q = event.queryStringParameters ?? {};
  let limit = DEFAULT_PAGE_LIMIT;
  if (q.limit !== undefined) {
    if (!/^\d+$/.test(q.limit) || Number(q.limit) < 1 || Number(q.limit) > MAX_PAGE_LIMIT) {
      throw validationError([{ field: 'limit', message: `must be a whole number from 1 to ${MAX_PAGE_LIMIT}` }]);
    }
    limit = Number(q.limit);
  }
  if (q.cursor !== undefined && q.cursor !== '' && !CURSOR.test(q.cursor)) {
    throw new ApiError(400, 'invalid_cursor', 'cursor is not one this API gave out; start again without it');
  }
  return { limit, ...(q.cursor ? { cursor: q.cursor } : {}) };
}
