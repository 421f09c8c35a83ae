import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

/**
 * Serves the portal's files (index.html, app.js, app.css) with the headers that make the page
 * safe: a Content-Security-Policy that allows only the page's own script and style files (no
 * inline script, no eval) and API calls to its own origin; no framing; no Referer.
 */

export const PORTAL_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

const SECURITY_HEADERS = {
  'content-security-policy': PORTAL_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  // Revalidated on each load: the files are small and a deploy must show at once.
  'cache-control': 'no-cache',
};

/**
 * What the caller's URL has before the resource path: the stage (`/prod`), a base path mapping,
 * or nothing (a custom domain, local mode).
 */
export function pathPrefixOf(event: APIGatewayProxyEvent): string {
  const full = event.requestContext?.path ?? event.path;
  return full.endsWith(event.path) ? full.slice(0, full.length - event.path.length) : '';
}

/** Where index.html names its script and style: `{{base}}app.js`. */
const BASE_MARK = '{{base}}';

/**
 * `/portal` and `/portal/` both answer the page, which names its files by absolute path, so it
 * works whether or not the gateway keeps the trailing slash and needs no redirect.
 */
export function createPortalAssets(files: Record<string, string>) {
  return async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    const path = event.path.replace(/^\/portal/, '');
    if (event.httpMethod !== 'GET' && event.httpMethod !== 'HEAD')
      return { statusCode: 405, headers: { allow: 'GET, HEAD', 'content-type': 'text/plain' }, body: 'Method not allowed' };
    const name = path === '' || path === '/' ? 'index.html' : path.slice(1);
    let body = Object.hasOwn(files, name) ? files[name] : undefined;
    if (name === 'index.html' && body !== undefined) body = body.replaceAll(BASE_MARK, `${pathPrefixOf(event)}/portal/`);
    const type = TYPES[name.slice(name.lastIndexOf('.') + 1)];
    if (body === undefined || !type)
      return { statusCode: 404, headers: { ...SECURITY_HEADERS, 'content-type': 'text/plain' }, body: 'Not found' };
    return { statusCode: 200, headers: { ...SECURITY_HEADERS, 'content-type': type }, body: event.httpMethod === 'HEAD' ? '' : body };
  };
}
