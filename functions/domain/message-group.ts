import { createHash } from 'node:crypto';
import { isSqsMessageGroupId } from './aws-limits.js';

/**
 * The MessageGroupId of a tenant's queue messages: the tenant id itself. Both queues are standard
 * queues, so SQS takes the group id as the tenant of a fair queue and hands out quieter tenants'
 * messages before a noisy tenant's backlog (docs/aws-rules.md). Tenant ids the code issues are
 * short ASCII (`tnt_` and hex); one SQS would not take (a producer names the tenant of an event
 * it puts on the bus) becomes a digest of it, so that tenant's messages still share one group
 * rather than failing to send.
 */
export function messageGroupOf(tenantId: string): string {
  if (isSqsMessageGroupId(tenantId)) return tenantId;
  return `tenant-sha256-${createHash('sha256').update(tenantId, 'utf8').digest('hex').slice(0, 32)}`;
}
