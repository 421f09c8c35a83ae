import type { APIGatewayProxyEvent } from 'aws-lambda';
import { ApiError, validationError } from '../domain/errors.js';
import type { PageRequest } from '../ports.js';

/** What every route reads off the request: the authorizer's tenant and list paging. */

export function tenantOf(event: APIGatewayProxyEvent): string {
  const tenantId = event.requestContext?.authorizer?.tenantId as unknown;
  if (typeof tenantId !== 'string' || tenantId === '')
    throw new ApiError(401, 'unauthorized', 'Send your Identity and Authorization headers');
  return tenantId;
}

export function pageRequest(event: APIGatewayProxyEvent): PageRequest {
  const q = event.queryStringParameters ?? {};
  let limit = 50;
  if (q.limit !== undefined) {
    if (!/^\d+$/.test(q.limit) || Number(q.limit) < 1 || Number(q.limit) > 100) {
      throw validationError([{ field: 'limit', message: 'must be a whole number from 1 to 100' }]);
    }
    limit = Number(q.limit);
  }
  return { limit, ...(q.cursor ? { cursor: q.cursor } : {}) };
}
