import { describe, expect, it } from 'vitest';
import { chunkByCountAndBytes, isSqsMessageGroupId, putEventsEntryBytes, sqsMessageBytes } from '../../functions/domain/aws-limits.js';
import { deliveryMessage, encodeDeliveryMessage, parseDeliveryMessage } from '../../functions/domain/delivery-message.js';
import { dynamoItemBytes } from '../../functions/domain/dynamodb-item-size.js';
import { messageGroupOf } from '../../functions/domain/message-group.js';

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
