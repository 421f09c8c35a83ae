import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { AddressPolicy } from '../domain/address-policy.js';
import type { Catalog } from '../domain/catalog.js';
import type { VerificationMode } from '../domain/verification.js';
import type {
  BodyStore,
  DeliveryStore,
  EventBus,
  PortalSessionStore,
  Queue,
  RecoveryStore,
  SecretStore,
  SubscriptionRepository,
} from '../ports.js';
import type { ListSecretCache } from './list-secrets.js';
import type { OperationalEvents } from './operational-events.js';
import type { PortalLifetimes } from './portal-access.js';
import type { Route } from './route-table.js';
import type { SubscriptionService } from './subscriptions.js';

export interface ApiDeps {
  subscriptions: SubscriptionRepository;
  secrets: SecretStore;
  bus: EventBus;
  store: DeliveryStore;
  /** Bodies too large for the table's items (ports.ts); every real wiring passes one. */
  bodies?: BodyStore;
  /** The delivery queue: manual retries and test events skip fan-out. */
  deliveries: Queue;
  catalog: Catalog;
  /** Operational events the API reports (a tenant's disable); every real wiring passes one. */
  operational?: OperationalEvents;
  policy: AddressPolicy;
  secretNamePrefix: string;
  /** How long a rotated-out secret keeps signing; 24 h unless configured. */
  rotationOverlapSeconds?: number;
  /** Live subscriptions a tenant may have; DEFAULT_MAX_SUBSCRIPTIONS_PER_TENANT unless configured. */
  maxSubscriptionsPerTenant?: number;
  /**
   * Lists' signing secrets kept per container (functions/app/list-secrets.ts): given for
   * per-subscription storage, whose BatchGetSecretValue has a small account-wide quota; envelope
   * storage reads its sealed secrets from DynamoDB and needs none.
   */
  listSecretCache?: ListSecretCache;
  /**
   * The operator's endpoint verification setting (functions/domain/verification.ts). Every real
   * wiring passes one; without it subscriptions get no verification field, as before it.
   */
  verificationMode?: VerificationMode;
  /** Recoveries (functions/app/recovery.ts) and the table's retention, which bounds their windows; every real wiring passes them. */
  recoveries?: { store: RecoveryStore; retentionDays: number; ratePerSecond?: number };
  /** The tenant portal's links and sessions; the portal routes need it (every real wiring passes one). */
  portal?: PortalSessionStore;
  /** DEFAULT_PORTAL_LIFETIMES unless configured. */
  portalLifetimes?: PortalLifetimes;
  /** The addresses deliveries come from (the construct's `staticSourceIps`, WEBHOOKS_SOURCE_IPS); none when unset. */
  sourceIps?: readonly string[];
  /** The API's public base URL (portal links point below it); derived from the request on API Gateway. */
  baseUrl?: (event: APIGatewayProxyEvent) => string;
  now?: () => Date;
  log?: (level: 'error', message: string, detail: Record<string, unknown>) => void;
}

/** What every route handler is given besides its request: built once per API instance. */
export interface ApiContext {
  deps: ApiDeps;
  service: SubscriptionService;
  now: () => Date;
  rotationOverlapSeconds: number;
  /** The table being served, for the OpenAPI route. */
  routes: readonly ApiRoute[];
}

export type ApiRoute = Route<ApiContext>;
