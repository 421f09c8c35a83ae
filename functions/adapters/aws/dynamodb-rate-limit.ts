import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { grantedSlots, RATE_ITEM_TTL_SECONDS, type RateLimit, slotIntervalMs } from '../../domain/rate-limit.js';
import type { RateSlots } from '../../ports.js';
import { keys } from './dynamodb-keys.js';

/** Tries of the two branches before giving up (each failure means the other branch holds now). */
const TRIES = 4;

/**
 * A subscription's rate limit slots in the table (functions/domain/rate-limit.ts): one item whose
 * `tat` (theoretical arrival time, epoch ms) a conditional update moves on by n slots at a time.
 * As with the call budget (dynamodb-call-budget.ts), DynamoDB applies the condition and the update
 * as one write, so however many sender instances take at once, no two get the same slot. The
 * update needs no read first: a busy limit (tat ahead of now) adds to tat; an idle one (tat behind
 * now, or no item yet) sets it from now. The condition tells which; the wrong guess fails and the
 * other is tried. The new tat comes back (UPDATED_NEW), and the slots follow from it.
 *
 * One write unit per take (the item is under 1 KB), whatever n: the sender takes a batch's slots
 * of a subscription at once. The item is in a partition of its own (keys.rateSlots), and
 * MAX_RATE_PER_SECOND keeps it under half a partition's 1,000 writes a second.
 */
export class DynamoRateSlots implements RateSlots {
  /** Which branch the last take of a subscription found: a busy limit stays busy, an idle one idle. */
  private readonly busy = new Map<string, boolean>();

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async take(tenantId: string, subscriptionId: string, limit: RateLimit, n: number, nowMs: number): Promise<number[]> {
    const k = `${tenantId}/${subscriptionId}`;
    let busy = this.busy.get(k) ?? false;
    const step = n * slotIntervalMs(limit);
    for (let tries = 1; ; tries++) {
      const tat = await this.update(tenantId, subscriptionId, busy, step, nowMs);
      if (tat !== undefined) {
        if (this.busy.size > 10_000) this.busy.clear();
        this.busy.set(k, busy);
        return grantedSlots(tat, nowMs, limit, n);
      }
      if (tries >= TRIES) throw new Error(`could not take rate limit slots of subscription ${subscriptionId}`);
      busy = !busy;
    }
  }

  private async update(tenantId: string, subscriptionId: string, busy: boolean, step: number, nowMs: number): Promise<number | undefined> {
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.rateSlots(tenantId, subscriptionId),
          UpdateExpression: busy ? 'SET tat = tat + :step, #ttl = :ttl' : 'SET tat = :from, #type = :type, #ttl = :ttl',
          ConditionExpression: busy ? 'tat >= :now' : 'attribute_not_exists(tat) OR tat < :now',
          ExpressionAttributeNames: busy ? { '#ttl': 'ttl' } : { '#ttl': 'ttl', '#type': 'type' },
          ExpressionAttributeValues: {
            ':now': nowMs,
            ':ttl': Math.ceil(nowMs / 1000) + RATE_ITEM_TTL_SECONDS,
            ...(busy ? { ':step': step } : { ':from': nowMs + step, ':type': 'rate_slots' }),
          },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return Number(out.Attributes?.tat);
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return undefined;
      throw err;
    }
  }
}
