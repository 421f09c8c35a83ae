import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { BodyStore } from '../../ports.js';

/**
 * Event bodies too large for a DynamoDB item, one object each, in a bucket whose lifecycle rule
 * expires them with the retention (lib/constructs/event-bodies.ts). Keys are content addressed
 * (bodyKeyFor), so a repeated put writes the same bytes.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
 */
export class S3BodyStore implements BodyStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async put(key: string, body: string): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: 'application/json' }));
  }

  async get(key: string): Promise<string | undefined> {
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return await out.Body!.transformToString('utf-8');
    } catch (err) {
      if (err instanceof NoSuchKey || (err as { name?: string }).name === 'NoSuchKey') return undefined;
      throw err;
    }
  }
}
