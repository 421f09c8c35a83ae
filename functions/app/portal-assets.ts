import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { RECEIVER_GUIDE_FILE } from '../domain/portal.js';

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
  // The receiver guide (Markdown): plain text, which every browser shows rather than downloads.
  md: 'text/plain; charset=utf-8',
};

export const ASSET_SECURITY_HEADERS = {
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
/** Where index.html says where the receiver guide is (a meta tag the page reads). */
const GUIDE_MARK = '{{receiverGuide}}';
/** Where index.html says how to get a new link (a meta tag; empty: ask whoever gave you this one). */
const NEW_LINK_MARK = '{{newLinkHelp}}';

const attributeValue = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

export interface PortalAssetOptions {
  /** Where the page's links to the receiver guide point. @default the guide served beside the page */
  receiverGuideUrl?: string;
  /**
   * One sentence the page shows under "ask for a new portal link" when a link cannot be used.
   * Local mode, where the reader is their own operator, says which command prints one; a
   * deployment says nothing more, because its tenants get links from the operator's application.
   */
  newLinkHelp?: string;
}

/** What a page's index.html becomes for one request, and the headers it is answered with. */
export type RenderIndex = (event: APIGatewayProxyEvent, html: string) => { body: string; headers?: Record<string, string> };

/**
 * A page's files under `prefix` (`/portal`, `/api/docs`), GET and HEAD only, with
 * ASSET_SECURITY_HEADERS. The prefix with or without a trailing slash answers index.html, as
 * `renderIndex` makes it: the page names its files by absolute path, so it works whether or not
 * the gateway keeps the slash, and needs no redirect.
 */
export function createAssetServer(prefix: string, files: Record<string, string>, renderIndex: RenderIndex) {
  return async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    if (event.httpMethod !== 'GET' && event.httpMethod !== 'HEAD')
      return { statusCode: 405, headers: { allow: 'GET, HEAD', 'content-type': 'text/plain' }, body: 'Method not allowed' };
    const path = event.path.slice(prefix.length);
    const name = path === '' || path === '/' ? 'index.html' : path.slice(1);
    let body = Object.hasOwn(files, name) ? files[name] : undefined;
    let headers: Record<string, string> = ASSET_SECURITY_HEADERS;
    if (name === 'index.html' && body !== undefined) {
      const page = renderIndex(event, body);
      body = page.body;
      headers = { ...headers, ...page.headers };
    }
    const type = TYPES[name.slice(name.lastIndexOf('.') + 1)];
    if (body === undefined || !type) return { statusCode: 404, headers: { ...headers, 'content-type': 'text/plain' }, body: 'Not found' };
    return { statusCode: 200, headers: { ...headers, 'content-type': type }, body: event.httpMethod === 'HEAD' ? '' : body };
  };
}

export function createPortalAssets(files: Record<string, string>, options: PortalAssetOptions = {}) {
  return createAssetServer('/portal', files, (event, html) => {
    const base = `${pathPrefixOf(event)}/portal/`;
    return {
      body: html
        .replaceAll(BASE_MARK, base)
        .replaceAll(GUIDE_MARK, attributeValue(options.receiverGuideUrl ?? `${base}${RECEIVER_GUIDE_FILE}`))
        .replaceAll(NEW_LINK_MARK, attributeValue(options.newLinkHelp ?? '')),
    };
  });
}
