/** An error the API answers as JSON: a stable code and a message a person can act on. */
export interface FieldProblem {
  field: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: FieldProblem[],
    /** Headers the answer carries besides JSON's (Retry-After on a 429 or 503). */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

/**
 * What API Gateway answers for a failure of its own, the authorizer's included (the stack's
 * DEFAULT_5XX gateway response), and local mode's stand-in with it.
 */
export const GATEWAY_FAILURE = {
  status: 500,
  code: 'internal_error',
  message: 'The service failed to handle the request; retry it later.',
} as const;

/** A refusal the client may retry, and after how many seconds (at least 1: Retry-After counts whole seconds). */
export function retryLater(statusCode: 429 | 503, code: string, message: string, seconds: number): ApiError {
  return new ApiError(statusCode, code, message, undefined, { 'Retry-After': String(Math.max(1, Math.ceil(seconds))) });
}

export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} was not found`);

export function validationError(problems: FieldProblem[]): ApiError {
  const summary = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
  return new ApiError(400, 'validation_failed', `The request is not valid. ${summary}`, problems);
}

/**
 * A shared capacity is spent for now (an AWS quota of the account, not the client's own rate):
 * 503 `temporarily_unavailable`, the code the API already answers when it cannot count a request,
 * and which clients retry as a 429. `reason` says which capacity, for the operator reading logs.
 */
export function temporarilyUnavailable(reason: string, seconds = 1): ApiError {
  return retryLater(
    503,
    'temporarily_unavailable',
    `The service cannot take this request right now (${reason}); retry after the number of seconds in the Retry-After header.`,
    seconds,
  );
}

/** An account-wide budget of an AWS call (functions/ports.ts CallBudget) has nothing left this second. */
export const budgetSpent = (call: string, seconds = 1): ApiError =>
  temporarilyUnavailable(`this second's share of the account's ${call} quota is taken`, seconds);
