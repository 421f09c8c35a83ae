import { createHash, randomBytes } from 'node:crypto';
import type { PortalTokenKind } from './portal.js';

/** Portal tokens are 256 random bits; only their sha256 is stored, so a table read reveals none. */

export function newPortalToken(kind: PortalTokenKind): string {
  return `${kind === 'link' ? 'pl' : 'ps'}_${randomBytes(32).toString('base64url')}`;
}

export function portalTokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
