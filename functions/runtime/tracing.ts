import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';

/**
 * Powertools Tracer (X-Ray), for the api and fan-out functions only: a handler subsegment with a
 * ColdStart annotation, and a subsegment per outgoing HTTPS call (the AWS SDK's calls to
 * DynamoDB, SQS, EventBridge, Secrets Manager). It costs about 125 KB of bundle and a module
 * init (`npm run bench`: "Tracer alone"); the sender does without: its receivers' POSTs go
 * through undici, which the Tracer does not see, and it runs at the highest volume.
 *
 * Responses are never captured: the api answers carry signing secrets. Outside Lambda the
 * Tracer turns itself off.
 */
export const tracer = new Tracer({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'webhooks' });

export const traceHandler = () => captureLambdaHandler(tracer, { captureResponse: false });
