import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { budgetSpent } from '../../domain/errors.js';
import type { CallBudget } from '../../ports.js';
import { keys } from './dynamodb-keys.js';

/** How long a request may wait for the next second's budget before it is answered 503. */
export const DEFAULT_BUDGET_WAIT_MS = 1_000;
/** A second's item outlives its second by this much, then the table's TTL removes it. */
const ITEM_TTL_SECONDS = 120;

/**
 * An account-wide call budget in the table: one item per call and second, whose count a
 * conditional ADD raises only while it stays within the quota, so however many containers take
 * from it at once, no second grants more than the quota (DynamoDB applies the condition and the
 * ADD as one write), and the calls are made in the second they were granted for. A take that does
 * not fit waits for the next second once, then gives up with a 503 and Retry-After rather than
 * calling AWS into a ThrottlingException. Seconds are calendar
 * seconds of each container's clock (Lambda's are kept by NTP), as the quotas are written.
 *
 * Each take is one write unit; a refused one is too. A partition per second spreads them, and
 * no second of a budget takes more takes than the API's own stage lets requests through.
 */
export class DynamoCallBudget implements CallBudget {
  private readonly now: () => number;
  private readonly maxWaitMs: number;

  constructor(
    private readonly deps: {
      doc: DynamoDBDocumentClient;
      tableName: string;
      /** Calls a second, by call name; a call not named here is not budgeted. */
      limits: Readonly<Record<string, number>>;
      maxWaitMs?: number;
      now?: () => number;
    },
  ) {
    this.now = deps.now ?? Date.now;
    this.maxWaitMs = deps.maxWaitMs ?? DEFAULT_BUDGET_WAIT_MS;
  }

  async take(call: string, n: number): Promise<void> {
    const limit = this.deps.limits[call];
    if (limit === undefined || n <= 0) return;
    if (n > limit) throw new Error(`${n} ${call} calls at once can never fit a budget of ${limit} a second`);
    const deadline = this.now() + this.maxWaitMs;
    for (;;) {
      const second = Math.floor(this.now() / 1000);
      // A grant is for calls made in its second: one that came back after its second ended (a slow
      // write) is left spent, and the calls are taken again from the second they will be made in.
      if ((await this.tryTake(call, second, n, limit)) && Math.floor(this.now() / 1000) === second) return;
      const next = (second + 1) * 1000;
      if (next > deadline) throw budgetSpent(call, (next - this.now()) / 1000);
      // A little spread, so containers that waited do not all arrive in the same millisecond.
      await new Promise((r) => setTimeout(r, Math.max(0, next - this.now()) + Math.random() * 50));
    }
  }

  private async tryTake(call: string, second: number, n: number, limit: number): Promise<boolean> {
    try {
      await this.deps.doc.send(
        new UpdateCommand({
          TableName: this.deps.tableName,
          Key: keys.callBudget(call, second),
          UpdateExpression: 'ADD used :n SET #type = :type, #ttl = :ttl',
          ConditionExpression: 'attribute_not_exists(used) OR used <= :room',
          ExpressionAttributeNames: { '#type': 'type', '#ttl': 'ttl' },
          ExpressionAttributeValues: { ':n': n, ':room': limit - n, ':type': 'call_budget', ':ttl': second + ITEM_TTL_SECONDS },
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }
}
