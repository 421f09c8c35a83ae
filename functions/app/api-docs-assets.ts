import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ASSET_SECURITY_HEADERS, PORTAL_CSP, pathPrefixOf } from './portal-assets.js';

/**
 * The API reference page at `GET /api/docs`: Redoc rendering the API's own OpenAPI document
 * (`GET /api/openapi.json`, same origin). Served by the portal function, with the portal's
 * Content-Security-Policy, so the api function never carries Redoc's 1.1 MB.
 */

/**
 * The portal's CSP, but for Redoc's <style> elements: styles carry this answer's nonce (scripts
 * are still the page's own files alone; portal/build.ts hands the nonce to Redoc).
 */
export function apiDocsCsp(nonce: string): string {
  const csp = PORTAL_CSP.replace("style-src 'self'", `style-src 'self' 'nonce-${nonce}'`);
  if (csp === PORTAL_CSP) throw new Error("PORTAL_CSP has no style-src 'self' to extend");
  return csp;
}

export const API_DOCS_PATH = '/api/docs';
/** The document the page renders, as the api function serves it. */
export const API_DOCS_SPEC_PATH = '/api/openapi.json';

const TYPES: Record<string, string> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8' };

const BASE_MARK = '{{base}}';
const SPEC_MARK = '{{spec}}';
const NONCE_MARK = '{{nonce}}';

/** `/api/docs` and `/api/docs/` both answer the page, which names its files by absolute path. */
export function createApiDocsAssets(files: Record<string, string>) {
  return async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    if (event.httpMethod !== 'GET' && event.httpMethod !== 'HEAD')
      return { statusCode: 405, headers: { allow: 'GET, HEAD', 'content-type': 'text/plain' }, body: 'Method not allowed' };
    const path = event.path.slice(API_DOCS_PATH.length);
    const name = path === '' || path === '/' ? 'index.html' : path.slice(1);
    let body = Object.hasOwn(files, name) ? files[name] : undefined;
    let headers: Record<string, string> = ASSET_SECURITY_HEADERS;
    if (name === 'index.html' && body !== undefined) {
      const prefix = pathPrefixOf(event);
      const nonce = randomBytes(16).toString('base64');
      headers = { ...headers, 'content-security-policy': apiDocsCsp(nonce) };
      body = body
        .replaceAll(BASE_MARK, `${prefix}${API_DOCS_PATH}/`)
        .replaceAll(SPEC_MARK, `${prefix}${API_DOCS_SPEC_PATH}`)
        .replaceAll(NONCE_MARK, nonce);
    }
    const type = TYPES[name.slice(name.lastIndexOf('.') + 1)];
    if (body === undefined || !type) return { statusCode: 404, headers: { ...headers, 'content-type': 'text/plain' }, body: 'Not found' };
    return { statusCode: 200, headers: { ...headers, 'content-type': type }, body: event.httpMethod === 'HEAD' ? '' : body };
  };
}
