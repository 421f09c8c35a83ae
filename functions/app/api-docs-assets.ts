import { randomBytes } from 'node:crypto';
import { createAssetServer, PORTAL_CSP, pathPrefixOf } from './portal-assets.js';

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

const BASE_MARK = '{{base}}';
const SPEC_MARK = '{{spec}}';
const NONCE_MARK = '{{nonce}}';

export function createApiDocsAssets(files: Record<string, string>) {
  return createAssetServer(API_DOCS_PATH, files, (event, html) => {
    const prefix = pathPrefixOf(event);
    const nonce = randomBytes(16).toString('base64');
    return {
      body: html
        .replaceAll(BASE_MARK, `${prefix}${API_DOCS_PATH}/`)
        .replaceAll(SPEC_MARK, `${prefix}${API_DOCS_SPEC_PATH}`)
        .replaceAll(NONCE_MARK, nonce),
      headers: { 'content-security-policy': apiDocsCsp(nonce) },
    };
  });
}
