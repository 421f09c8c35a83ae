import * as z from 'zod';
import { MAX_TIME_CHARS } from './api-limits.js';
import { PORTAL_SESSION_TOKEN_PATTERN, PORTAL_TOKEN_CHARS } from './portal-tokens.js';

/** Requests and responses of the portal's routes (functions/app/portal-routes.ts). */

const time = (description: string) => z.iso.datetime().max(MAX_TIME_CHARS).meta({ description });

export const ExchangeLinkRequest = z
  .strictObject({
    link_token: z.string().min(1).max(200).meta({ description: "The `link` parameter of the portal link's fragment (`pl_...`)" }),
  })
  .meta({ id: 'ExchangePortalLinkRequest' });

export const PortalLinkResponse = z
  .object({
    url: z.string().meta({
      description: 'The portal page with a one-time token in its fragment (`#link=pl_...`); the fragment is never sent to a server',
    }),
    expires_time: time('The link works once, until then'),
  })
  .meta({ id: 'PortalLink' });

export const PortalSessionResponse = z
  .object({
    session_token: z.string().max(PORTAL_TOKEN_CHARS).regex(new RegExp(PORTAL_SESSION_TOKEN_PATTERN)).meta({
      description:
        'Send as `Authorization: Bearer <token>` with `Identity: portal-session`; valid only on the portal routes of this tenant',
    }),
    expires_time: time('The session ends then'),
  })
  .meta({ id: 'PortalSession' });

export const OUTCOME_HOURS = 24;
/** Reading stops after this many deliveries (`truncated` then says so): at most 20 queries of 100. */
export const MAX_OUTCOME_DELIVERIES = 2000;

/** Each hour counts some of the deliveries read, at most MAX_OUTCOME_DELIVERIES in all. */
const counted = z.int().min(0).max(MAX_OUTCOME_DELIVERIES).meta({ format: 'int32' });

export const OutcomesResponse = z
  .object({
    hours: z
      .array(
        z.object({
          hour: time('Start of the hour (UTC)'),
          succeeded: counted.meta({ description: 'Deliveries created in this hour that succeeded' }),
          failed: counted.meta({ description: 'Deliveries created in this hour that were dead-lettered or are retrying after a failure' }),
        }),
      )
      .min(OUTCOME_HOURS)
      .max(OUTCOME_HOURS)
      .meta({ description: `The last ${OUTCOME_HOURS} hours, oldest first` }),
    truncated: z
      .boolean()
      .meta({ description: `True when more than ${MAX_OUTCOME_DELIVERIES} deliveries were created; only the newest were counted` }),
  })
  .meta({ id: 'DeliveryOutcomes' });
