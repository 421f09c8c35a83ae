/**
 * AWS list prices the cost figures use: us-east-1, USD, on-demand, no free tier. Read from the
 * pricing pages below on 2026-11-30; update the date with the numbers.
 */
export const PRICES_DATE = '2026-11-30';
export const PRICES_REGION = 'us-east-1';

export const PRICES = {
  secretsManager: {
    /** https://aws.amazon.com/secrets-manager/pricing/ */
    perSecretMonth: 0.4,
    perApiCall: 0.05 / 10_000,
  },
  dynamodb: {
    /** https://aws.amazon.com/dynamodb/pricing/on-demand/ (Standard table class) */
    perGbMonth: 0.25,
    perReadRequestUnit: 0.125 / 1_000_000,
    perWriteRequestUnit: 0.625 / 1_000_000,
    /** Storage counts each item's raw bytes plus 100 bytes of overhead (same page, "Data storage"). */
    itemOverheadBytes: 100,
  },
} as const;
