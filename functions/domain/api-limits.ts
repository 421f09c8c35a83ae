/**
 * Bounds of what the API takes and answers, declared once: the request schemas enforce them and
 * the OpenAPI document states them (as maxLength, maxItems, maximum), so the two cannot differ.
 */

/** Items per page of a list (`limit`), and the page when none is asked for. */
export const DEFAULT_PAGE_LIMIT = 50;
export const MAX_PAGE_LIMIT = 100;

/**
 * A page cursor: base64url of the position (functions/adapters/aws/cursor.ts). Those the API
 * gives out are far shorter; anything longer or of other characters was never one of them.
 */
export const MAX_CURSOR_CHARS = 1024;
export const CURSOR_PATTERN = `^[A-Za-z0-9_-]{1,${MAX_CURSOR_CHARS}}$`;

/**
 * No id we issue is longer than this (UUIDs are 36, delivery ids 36, event ids at most 128);
 * anything longer is answered 404 before it reaches DynamoDB, whose keys stop at 1,024 bytes
 * for a sort key and 2,048 for a partition key.
 */
export const MAX_ID_LENGTH = 128;
/** The characters of every id: UUIDs, `evt_`/`rcv_` ids, and a publisher's own event ids (requests.ts PublishEvent). */
export const ID_PATTERN = '^[A-Za-z0-9_.:-]+$';

/** An event type's name (the catalog's, or a subscription's filter such as `card*`). */
export const MAX_EVENT_TYPE_CHARS = 200;
/** The characters of an event type's name: the catalog refuses a file whose type has others (catalog.ts). */
export const EVENT_TYPE_PATTERN = `^[A-Za-z0-9_.-]{1,${MAX_EVENT_TYPE_CHARS}}$`;
/** A subscription's event filter: a type, or a prefix then `*` (event-matching.ts isValidFilterSyntax). */
export const EVENT_FILTER_PATTERN = '^[A-Za-z0-9_.-]*\\*?$';

/**
 * An ISO 8601 time as taken (a request's `since`) or answered: at most nanoseconds and a
 * `+hh:mm` offset, `2026-03-01T00:00:00.123456789+05:30`. Answers have six fraction digits and
 * `Z`, as the seeds write them (27).
 */
export const MAX_TIME_CHARS = 35;

/** The start of a receiver's answer an attempt keeps (functions/app/webhook-client.ts reads no more). */
export const RESPONSE_EXCERPT_BYTES = 4096;

/** Counts answered with no bound of their own are 32-bit (OpenAPI's int32). */
export const INT32_MAX = 2 ** 31 - 1;

/** The deployed API's one stage (lib/constructs/webhook-api.ts): its URL is `https://<api>.execute-api.<region>.amazonaws.com/prod`. */
export const API_STAGE_NAME = 'prod';
