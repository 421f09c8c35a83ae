import type { Subscription } from './model.js';

/** The two documented API versions are two views of one stored subscription. */

export interface SubscriptionV01View {
  id: string;
  url: string;
  description: string;
  events: string[];
  version: string;
  secret: string;
  status: 'STATUS_ENABLED' | 'STATUS_DISABLED';
  created_time: string;
  updated_time: string;
}

export interface SubscriptionV0View {
  date_created: string;
  date_updated: string;
  webhook_id: string;
  callback_url: string;
  description: string;
  events: string[];
  status: 'enabled' | 'disabled';
  secret: string;
  deleted_at?: string;
}

export function toV01View(s: Subscription, secret: string): SubscriptionV01View {
  return {
    id: s.id,
    url: s.url,
    description: s.description,
    events: [...s.events],
    version: s.version,
    secret,
    status: s.status === 'enabled' ? 'STATUS_ENABLED' : 'STATUS_DISABLED',
    created_time: s.createdTime,
    updated_time: s.updatedTime,
  };
}

/** Seed 001 writes times without a zone ("2020-11-17T11:13:06.568119"); we keep UTC ISO 8601 with Z. */
export function toV0View(s: Subscription, secret: string): SubscriptionV0View {
  const view: SubscriptionV0View = {
    date_created: s.createdTime,
    date_updated: s.updatedTime,
    webhook_id: s.id,
    callback_url: s.url,
    description: s.description,
    events: [...s.events],
    status: s.deletedTime ? 'disabled' : s.status,
    secret,
  };
  if (s.deletedTime) view.deleted_at = s.deletedTime;
  return view;
}
