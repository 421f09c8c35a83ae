import { createHash, randomBytes } from 'node:crypto';
import type { PortalTokenKind } from './portal.js';

/** Portal tokens are 256 random bits; only their sha256 is stored, so a table read reveals none. */

const TOKEN_BYTES = 32;
/** `pl_` or `ps_` and base64url of TOKEN_BYTES, unpadded. */
export const PORTAL_TOKEN_CHARS = 3 + Math.ceil((TOKEN_BYTES * 4) / 3);
export const PORTAL_SESSION_TOKEN_PATTERN = '^ps_[A-Za-z0-9_-]+$';

export function newPortalToken(kind: PortalTokenKind): string {
  return `${kind === 'link' ? 'pl' : 'ps'}_${randomBytes(TOKEN_BYTES).toString('base64url')}`;
}

export function portalTokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
