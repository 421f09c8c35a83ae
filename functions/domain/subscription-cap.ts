/**
 * Live subscriptions per tenant unless configured (MAX_SUBSCRIPTIONS_PER_TENANT, the construct's
 * `maxSubscriptionsPerTenant`): it bounds seed 001's list of "all". In a module of its own, free
 * of imports, so the functions that only read the setting do not bundle the request schemas (zod).
 */
export const DEFAULT_MAX_SUBSCRIPTIONS_PER_TENANT = 1000;
