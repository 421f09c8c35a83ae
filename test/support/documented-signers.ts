import { createHmac } from 'node:crypto';

/**
 * Shopify and Slack publish no library that signs as they do (only verifiers inside their app
 * frameworks), so the end-to-end tests sign by the documented algorithm, written here once and
 * held to each provider's published example by test/unit/inbound-schemes.test.ts ("documented
 * signers"). Stripe, GitHub, Standard Webhooks and Svix requests are signed by their own libraries.
 */

/** Shopify: base64 of HMAC-SHA256 of the raw body, keyed with the client secret (https://shopify.dev/docs/apps/build/webhooks/verify-deliveries). */
export const shopifyHmac = (secret: string, body: string | Buffer): string => createHmac('sha256', secret).update(body).digest('base64');

/** Slack: `v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<body>` (https://api.slack.com/authentication/verifying-requests-from-slack). */
export function slackHeaders(secret: string, body: string, timestamp = Math.floor(Date.now() / 1000)): Record<string, string> {
  return {
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`,
  };
}
