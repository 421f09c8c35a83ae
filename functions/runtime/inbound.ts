import { DEFAULT_RETENTION_DAYS } from '../adapters/aws/dynamodb-deliveries.js';
import { DynamoInboundStore } from '../adapters/aws/dynamodb-inbound.js';
import { INBOUND_SECRET_PREFIX_ENV, INBOUND_SOURCES_ENV, type InboundSource, parseInboundSources } from '../domain/inbound/source.js';
import { optionalNumber, required, tableName } from './config.js';
import { documentClient } from './dynamodb.js';

/** The inbound function's settings (a module of their own: source parsing brings zod, which no other handler's config needs). */

/** Inbound sources the stack declares (the construct's `inboundSources`), as JSON in the environment. */
export const declaredInboundSources = (): InboundSource[] =>
  process.env[INBOUND_SOURCES_ENV] ? parseInboundSources(JSON.parse(process.env[INBOUND_SOURCES_ENV]), INBOUND_SOURCES_ENV) : [];
/** Prefix of the inbound sources' secrets (`webhooks-inbound/<namePrefix>/`). */
export const inboundSecretPrefix = () => required(INBOUND_SECRET_PREFIX_ENV);
/** Inbound events, their markers and tallies, and run-time sources (functions/domain/inbound). */
export const inboundStore = () =>
  new DynamoInboundStore(documentClient(), tableName(), optionalNumber('WEBHOOKS_RETENTION_DAYS') ?? DEFAULT_RETENTION_DAYS);
