import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { paths } from './schema.js';

/**
 * The typed client for tenants: openapi-fetch's client over the types generated from
 * docs/openapi.json (client/schema.ts, `npm run openapi`). Every request carries the tenant's
 * Identity and Authorization headers; openapi-fetch adds `Content-Type: application/json` to
 * those with a body. docs/tenants/typed-client.md shows it in use.
 */

export type { components, operations, paths } from './schema.js';

export interface WebhooksClientOptions extends Omit<ClientOptions, 'baseUrl' | 'headers'> {
  /** The API's base URL: the stack's `ApiUrl` output, or local mode's (`http://127.0.0.1:3000`). */
  baseUrl: string;
  /** The tenant's `Identity` header (`idt_...`). */
  identity: string;
  /** The tenant's `Authorization` header (`key_...`). */
  authorization: string;
}

export type WebhooksClient = Client<paths>;

export function createWebhooksClient({ baseUrl, identity, authorization, ...options }: WebhooksClientOptions): WebhooksClient {
  return createClient<paths>({ ...options, baseUrl, headers: { Identity: identity, Authorization: authorization } });
}
