import * as z from 'zod';

/** Requests and responses of the portal's routes (functions/app/portal-routes.ts). */

const time = (description: string) => z.iso.datetime().meta({ description });

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
    session_token: z.string().meta({
      description:
        'Send as `Authorization: Bearer <token>` with `Identity: portal-session`; valid only on the portal routes of this tenant',
    }),
    expires_time: time('The session ends then'),
  })
  .meta({ id: 'PortalSession' });

export const OUTCOME_HOURS = 24;
/** Reading stops after this many deliveries (`truncated` then says so): at most 20 queries of 100. */
export const MAX_OUTCOME_DELIVERIES = 2000;

export const OutcomesResponse = z
  .object({
    hours: z
      .array(
        z.object({
          hour: time('Start of the hour (UTC)'),
          succeeded: z.int().meta({ description: 'Deliveries created in this hour that succeeded' }),
          failed: z.int().meta({ description: 'Deliveries created in this hour that were dead-lettered or are retrying after a failure' }),
        }),
      )
      .meta({ description: `The last ${OUTCOME_HOURS} hours, oldest first` }),
    truncated: z
      .boolean()
      .meta({ description: `True when more than ${MAX_OUTCOME_DELIVERIES} deliveries were created; only the newest were counted` }),
  })
  .meta({ id: 'DeliveryOutcomes' });
