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

export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} was not found`);

export function validationError(problems: FieldProblem[]): ApiError {
  const summary = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
  return new ApiError(400, 'validation_failed', `The request is not valid. ${summary}`, problems);
}
