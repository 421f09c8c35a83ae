/**
 * What a running local mode writes under its data directory so that `npm run tenant` and
 * `npm run redrive` can find its emulators. Kept apart from pipeline.ts so the CLIs can read it
 * without loading the emulators.
 */
export const ENDPOINTS_FILE = 'local-endpoints.json';

export interface LocalEndpoints {
  apiUrl: string;
  dynamodbEndpoint: string;
  tableName: string;
  sqsEndpoint: string;
  deliveryQueueUrl: string;
  deadLetterQueueUrl: string;
  ingestQueueUrl: string;
  ingestDeadLetterQueueUrl?: string;
  busTargetDeadLetterQueueUrl?: string;
  /** The queue that stands in for an operator's rule on operational events (source `webhooks.operational`). */
  operationalEventsQueueUrl?: string;
  /** The stand-in for API Gateway's keys and usage plans, and the stage's plans (the stack's outputs' counterparts). */
  apiGateway?: {
    endpoint: string;
    restApiId: string;
    stage: string;
    defaultUsagePlanId: string;
    sharedUsagePlanId: string;
  };
  /** Inbound webhooks: the Secrets Manager stand-in the inbound CLI writes sources' secrets to, their names' prefix, the sources the start declared, and the queue that stands in for an operator's rule on the bus. */
  inbound?: {
    secretsManagerEndpoint: string;
    secretPrefix: string;
    declaredSources: string[];
    busOtherEventsQueueUrl: string;
    bodyBucket: string;
  };
  pid: number;
}
