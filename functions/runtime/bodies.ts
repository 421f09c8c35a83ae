import type { BodyStore } from '../ports.js';
import { BODY_BUCKET_ENV, required } from './config.js';

/**
 * The body store (S3) for events too large for a table item. The S3 client is loaded on the first
 * such event: most containers never see one, and so never pay for its start-up.
 */
export function bodyStore(): BodyStore {
  const bucket = required(BODY_BUCKET_ENV);
  let store: Promise<BodyStore> | undefined;
  const load = () =>
    (store ??= Promise.all([import('@aws-sdk/client-s3'), import('../adapters/aws/s3-bodies.js')]).then(
      ([{ S3Client }, { S3BodyStore }]) => new S3BodyStore(new S3Client({}), bucket),
    ));
  return {
    put: async (key, body) => (await load()).put(key, body),
    get: async (key) => (await load()).get(key),
  };
}
