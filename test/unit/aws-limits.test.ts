import type { SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { QueueEventBus } from '../../functions/adapters/local/queue-event-bus.js';
import {
  chunkByCountAndBytes,
  eventBridgeEventBytes,
  isSqsMessageGroupId,
  LAMBDA_SYNC_PAYLOAD_BYTES,
  PUT_EVENTS_MAX_ENTRY_BYTES,
  putEventsEntryBytes,
  SQS_MAX_MESSAGE_BYTES,
  sqsMessageBytes,
  utf8Bytes,
} from '../../functions/domain/aws-limits.js';
import {
  bodyGoesBeside,
  busEntry,
  EVENT_BODY_IN_ITEM_MAX_BYTES,
  eventBytes,
  fitsBusInline,
  MAX_EVENT_BYTES,
} from '../../functions/domain/bus-entry.js';
import {
  bodyKeyFor,
  contentOf,
  deliveryMessage,
  encodeDeliveryMessage,
  parseDeliveryMessage,
} from '../../functions/domain/delivery-message.js';
import { dynamoItemBytes } from '../../functions/domain/dynamodb-item-size.js';
import { messageGroupOf } from '../../functions/domain/message-group.js';
import { webhookBody } from '../../functions/domain/webhook-body.js';
import type { BatchQueue, QueueMessage } from '../../functions/ports.js';
import { byInvocationPayload } from '../../local/queue-poller.js';

describe('AWS size rules', () => {
  it('counts an SQS message as its body plus each attribute name, type and value, in UTF-8 bytes', () => {
    expect(sqsMessageBytes('héllo')).toBe(6);
    expect(sqsMessageBytes('x', { trace: { DataType: 'String', StringValue: 'ab' } })).toBe(1 + 5 + 6 + 2);
  });

  it('takes a MessageGroupId of 1 to 128 alphanumerics and punctuation, as SendMessage documents', () => {
    expect(isSqsMessageGroupId('tnt_0123456789abcdef01234567')).toBe(true);
    expect(isSqsMessageGroupId('a'.repeat(128))).toBe(true);
    expect(isSqsMessageGroupId(`!"#$%&'()*+,-./:;<=>?@[\\]^_\`{|}~`)).toBe(true);
    for (const bad of ['', 'a'.repeat(129), 'with space', 'tenänt', 'tab\t']) expect(isSqsMessageGroupId(bad)).toBe(false);
  });

  it('counts a PutEvents entry as EventBridge does: 14 bytes for Time, then Source, DetailType, Detail and Resources', () => {
    expect(putEventsEntryBytes({ Time: new Date(), Source: 'src', DetailType: 'dt', Detail: '{"a":"é"}', Resources: ['r1'] })).toBe(
      14 + 3 + 2 + 10 + 2,
    );
    expect(putEventsEntryBytes({ Source: 's', DetailType: 'd' })).toBe(2);
  });

  it('counts a DynamoDB item as names plus values: numbers by significant digits, maps and lists with their overheads', () => {
    expect(dynamoItemBytes({ s: 'abc', n: 12345, b: true, none: undefined })).toBe(1 + 3 + 1 + 4 + 1 + 1);
    // a map: 3 + per element (1 + name + value); a list: 3 + per element (1 + value)
    expect(dynamoItemBytes({ m: { k: 'v' }, l: ['x', 'y'] })).toBe(1 + (3 + 1 + 1 + 1) + 1 + (3 + 2 + 2));
    expect(dynamoItemBytes({ n: 1e20 })).toBe(1 + 2);
  });

  it('splits into batches by count and by bytes, and sets apart what is too large alone', () => {
    const { batches, oversized } = chunkByCountAndBytes([5, 5, 5, 12, 1, 1, 1, 1], (n) => n, 3, 10);
    expect(batches).toEqual([
      [5, 5],
      [5, 1, 1],
      [1, 1],
    ]);
    expect(oversized).toEqual([12]);
  });
});

describe("AWS's 2026 payload limits (1 MB)", () => {
  const event = (bytes: number) => {
    const e = { id: 'evt_1', type: 'card.created', timestamp: '2026-01-01T00:00:00.000Z', data: { blob: '' } };
    e.data.blob = 'x'.repeat(bytes - eventBytes(e));
    expect(eventBytes(e)).toBe(bytes);
    return e;
  };

  it('takes events up to 1 MiB as receivers get them; bodies over the item limit go beside the table', () => {
    expect(MAX_EVENT_BYTES).toBe(1_048_576);
    expect(MAX_EVENT_BYTES).toBe(SQS_MAX_MESSAGE_BYTES);
    expect(EVENT_BODY_IN_ITEM_MAX_BYTES).toBe(400 * 1024 - 8 * 1024);
    expect(bodyGoesBeside(EVENT_BODY_IN_ITEM_MAX_BYTES)).toBe(false);
    expect(bodyGoesBeside(EVENT_BODY_IN_ITEM_MAX_BYTES + 1)).toBe(true);
  });

  it("puts an event on the bus whole only while its entry is under 1 MB (1,000,000 bytes) by EventBridge's count", () => {
    const overhead = putEventsEntryBytes(busEntry('tnt_1', event(1000))) - 1000;
    expect(fitsBusInline('tnt_1', event(PUT_EVENTS_MAX_ENTRY_BYTES - overhead - 1))).toBe(true);
    expect(fitsBusInline('tnt_1', event(PUT_EVENTS_MAX_ENTRY_BYTES - overhead))).toBe(false);
    expect(fitsBusInline('tnt_1', event(MAX_EVENT_BYTES))).toBe(false);
  });

  it('counts the event EventBridge makes of an entry at least as large as the SQS message the twin makes of it', async () => {
    const sent: QueueMessage[] = [];
    const bus = new QueueEventBus(
      {
        trySendAll: async (m: QueueMessage[]) => {
          sent.push(...m);
          return [];
        },
      } as unknown as BatchQueue,
      'ap-southeast-2',
    );
    for (const e of [event(100), event(500_000)]) {
      const entry = busEntry('tnt_1', e);
      await bus.putEvents([entry]);
      const body = sent.at(-1)!.body;
      expect(eventBridgeEventBytes(entry)).toBeGreaterThanOrEqual(utf8Bytes(body));
      // By the fixed fields' longest values only: a few dozen bytes over, never a kilobyte.
      expect(eventBridgeEventBytes(entry) - utf8Bytes(body)).toBeLessThan(64);
    }
  });

  it('hands a function at most 6 MB of records an invocation, as the event source mapping does: ten 1 MiB messages are two', () => {
    const rec = (n: number, bytes: number) =>
      ({ messageId: `m${n}`, receiptHandle: 'r', body: 'x'.repeat(bytes), attributes: {} }) as unknown as SQSRecord;
    const big = Array.from({ length: 10 }, (_, n) => rec(n, SQS_MAX_MESSAGE_BYTES));
    const batches = byInvocationPayload(big);
    expect(batches.map((b) => b.length)).toEqual([5, 5]);
    for (const b of batches) expect(utf8Bytes(JSON.stringify({ Records: b }))).toBeLessThanOrEqual(LAMBDA_SYNC_PAYLOAD_BYTES);
    expect(batches.flat().map((r) => r.messageId)).toEqual(big.map((r) => r.messageId));
    expect(byInvocationPayload(Array.from({ length: 10 }, (_, n) => rec(n, 1000))).map((b) => b.length)).toEqual([10]);
  });
});

describe('delivery message format', () => {
  const event = { id: 'evt_1', type: 'card.created', timestamp: '2026-01-01T00:00:00.000Z', data: { note: 'line\nbreak "quoted"' } };

  it('is a one-line header and the exact body, which round-trips', () => {
    const m = deliveryMessage('tnt_1', 'sub_1', event, '2026-01-01T00:00:01.000Z', 2);
    const raw = encodeDeliveryMessage(m);
    expect(raw.split('\n')).toHaveLength(2);
    expect(raw.endsWith(m.body)).toBe(true);
    expect(parseDeliveryMessage(raw)).toEqual({ ...m });
  });

  it('still reads messages written before it (one JSON object with the body escaped inside)', () => {
    const m = deliveryMessage('tnt_1', 'sub_1', event, '2026-01-01T00:00:01.000Z');
    expect(parseDeliveryMessage(JSON.stringify(m))).toEqual(m);
  });

  it('carries the key of a body kept beside the table instead of the body, which nothing signs before it is read', () => {
    const key = bodyKeyFor('tnt_1', event.id, JSON.stringify(event));
    const m = deliveryMessage('tnt_1', 'sub_1', event, '2026-01-01T00:00:01.000Z', 0, contentOf({ event, bodyKey: key }));
    const raw = encodeDeliveryMessage(m);
    expect(raw.endsWith('\n')).toBe(true);
    expect(utf8Bytes(raw)).toBeLessThan(1024);
    const parsed = parseDeliveryMessage(raw);
    expect(parsed).toMatchObject({ bodyKey: key, body: '' });
    expect(() => webhookBody(parsed)).toThrow(/read it first/);
    // Without a key, the message carries the body.
    expect(contentOf({ event })).toBe(JSON.stringify(event));
  });

  it('keys a body by its tenant, event and content: the same put twice is one object, another body another', () => {
    const key = bodyKeyFor('tnt_1', 'evt_1', '{"a":1}');
    expect(key).toMatch(/^bodies\/[0-9a-f]{32}\/[0-9a-f]{32}\.json$/);
    expect(bodyKeyFor('tnt_1', 'evt_1', '{"a":1}')).toBe(key);
    expect(bodyKeyFor('tnt_1', 'evt_1', '{"a":2}')).not.toBe(key);
    expect(bodyKeyFor('tnt_2', 'evt_1', '{"a":1}')).not.toBe(key);
  });

  it('refuses what is not a delivery message', () => {
    expect(() => parseDeliveryMessage('{"hello":1}')).toThrow(/not a delivery message/);
    expect(() => parseDeliveryMessage('not json')).toThrow();
  });
});

describe('message groups', () => {
  it("takes a tenant's id as its MessageGroupId, and a digest of one SQS would not take", () => {
    expect(messageGroupOf('tnt_0123456789abcdef01234567')).toBe('tnt_0123456789abcdef01234567');
    const odd = messageGroupOf('a tenant with spaces');
    expect(isSqsMessageGroupId(odd)).toBe(true);
    expect(odd).toBe(messageGroupOf('a tenant with spaces'));
    expect(odd).not.toBe(messageGroupOf('another tenant'));
  });
});
