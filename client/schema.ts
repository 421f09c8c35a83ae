/**
 * Generated from docs/openapi.json by openapi-typescript (`npm run openapi`): do not edit.
 * test/unit/openapi.test.ts fails while it is stale. The client is client/index.ts.
 */

export interface paths {
    "/api/v0.1/webhooks": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List subscriptions */
        get: operations["listSubscriptionsV01"];
        put?: never;
        /**
         * Create a subscription
         * @description A tenant may have a limited number of live subscriptions (1,000 unless the operator set another); past it, 409 `subscription_limit_reached`.
         */
        post: operations["createSubscriptionV01"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v0.1/webhooks/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get a subscription */
        get: operations["getSubscriptionV01"];
        put?: never;
        post?: never;
        /**
         * Delete a subscription
         * @description It gets no new deliveries; deliveries already queued are skipped.
         */
        delete: operations["deleteSubscriptionV01"];
        options?: never;
        head?: never;
        /** Update a subscription */
        patch: operations["updateSubscriptionV01"];
        trace?: never;
    };
    "/api/v0.1/webhooks/{id}/secret/rotate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Rotate the signing secret
         * @description Deliveries are signed with both the new and the previous secret until `previous_secret_expires_time`, so receivers can switch without losing events. At most one rotation per subscription every 10 minutes; sooner, 429 `rotation_rate_limited` with Retry-After.
         */
        post: operations["rotateSecret"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v0.1/webhooks/{id}/verify": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Verify the endpoint again
         * @description Sends a new `webhook.endpoint.verification` request to the subscription's URL (docs/tenants/api.md, "Endpoint verification"): `verification.status` is `pending` until the endpoint answers it, and the subscription's events wait unsent meanwhile; a request under way is superseded. Under the `none` setting the subscription is verified at once. 409 when the subscription is disabled.
         */
        post: operations["verifySubscription"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v0.1/webhooks/{id}/deliveries": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List deliveries
         * @description Deliveries of events to this subscription, newest first.
         */
        get: operations["listDeliveries"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v0.1/webhooks/{id}/deliveries/{delivery_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get a delivery and its attempts */
        get: operations["getDelivery"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v0.1/webhooks/{id}/deliveries/{delivery_id}/retry": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Retry a delivery
         * @description Sends the same event again (same `webhook-id`), as a new attempt. 409 when the subscription is disabled.
         */
        post: operations["retryDelivery"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v0.1/webhooks/{id}/test": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Send a test event
         * @description Queues a `webhook.test` event for this subscription only; it is signed and retried like any other. 409 when the subscription is disabled.
         */
        post: operations["sendTestEvent"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v0.1/webhooks/{id}/recover": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Recover failed deliveries since a time
         * @description Queues again every dead-lettered delivery of the subscription created in the window, and every one skipped while it was disabled, each once however often this is called (at once or in turn). Answered 202 after a first share of the work; follow `href` until `status` is `done`. 409 when the subscription is disabled (enable it first).
         */
        post: operations["recoverSubscription"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v0.1/webhooks/{id}/recoveries/{recovery_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Follow a recovery */
        get: operations["getRecovery"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v0.1/portal/sessions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Create a portal link
         * @description A link to the tenant portal for people at the tenant. The one-time token is in the fragment; the page exchanges it for a session token that works only on the portal routes of this tenant.
         */
        post: operations["createPortalLink"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v0.1/portal/session-tokens": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Exchange a portal link for a session
         * @description Public: the link token is the credential, and works once. Answers 401 `link_expired` for a used, expired or unknown link.
         */
        post: operations["exchangePortalLink"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v0.1/webhooks/{id}/outcomes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Outcomes per hour
         * @description Of the deliveries created in each of the last 24 hours, how many succeeded and how many failed.
         */
        get: operations["getDeliveryOutcomes"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v0.1/event-types": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List the event types
         * @description The catalog: every event type with the JSON Schema of its `data` and an example.
         */
        get: operations["listEventTypes"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v0.1/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Publish an event
         * @description Delivers the event to every subscription of this tenant whose `events` match its type. 409 when the id was published with other data.
         */
        post: operations["publishEvent"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v0.1/source-ips": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The addresses webhooks come from
         * @description The IPv4 addresses every delivery (retries and test events too) is sent from, when the operator fixed them (`staticSourceIps`); an empty list otherwise. They change only when the operator changes that setting.
         */
        get: operations["getSourceIps"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v0/webhooks": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List subscriptions */
        get: operations["listSubscriptionsV0"];
        put?: never;
        /**
         * Create a subscription
         * @description A tenant may have a limited number of live subscriptions (1,000 unless the operator set another); past it, 409 `subscription_limit_reached`.
         */
        post: operations["createSubscriptionV0"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v0/webhooks/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List subscriptions (with a trailing slash)
         * @description The same operation as `GET /api/v0/webhooks`, at the path with a trailing slash, as seed 001's samples write it.
         */
        get: operations["listSubscriptionsV0TrailingSlash"];
        put?: never;
        /**
         * Create a subscription (with a trailing slash)
         * @description The same operation as `POST /api/v0/webhooks`, at the path with a trailing slash, as seed 001's samples write it.
         *
         *     A tenant may have a limited number of live subscriptions (1,000 unless the operator set another); past it, 409 `subscription_limit_reached`.
         */
        post: operations["createSubscriptionV0TrailingSlash"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v0/webhooks/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get a subscription */
        get: operations["getSubscriptionV0"];
        put?: never;
        post?: never;
        /**
         * Delete a subscription
         * @description Answers with `deleted_at` and `status: disabled`.
         */
        delete: operations["deleteSubscriptionV0"];
        options?: never;
        head?: never;
        /** Update a subscription */
        patch: operations["updateSubscriptionV0"];
        trace?: never;
    };
    "/api/openapi.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** This OpenAPI document */
        get: operations["getOpenApiDocument"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export interface webhooks {
    "account.history.ready": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * An account's history export is ready to download (seed 002's example subscription).
         * @description Verify the signature with any Standard Webhooks library before trusting the body.
         */
        post: operations["receive.account.history.ready"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "card.created": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * A card was created for a customer (seed 001 adds it to a subscription with add_events).
         * @description Verify the signature with any Standard Webhooks library before trusting the body.
         */
        post: operations["receive.card.created"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "kyc.verification.error": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * The KYC check could not be completed because of an error.
         * @description Verify the signature with any Standard Webhooks library before trusting the body.
         */
        post: operations["receive.kyc.verification.error"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "kyc.verification.failure": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * The customer's identity could not be verified.
         * @description Verify the signature with any Standard Webhooks library before trusting the body.
         */
        post: operations["receive.kyc.verification.failure"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "kyc.verification.success": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * The customer's identity was verified (seed 000: your system listens for it instead of polling the KYC endpoint).
         * @description Verify the signature with any Standard Webhooks library before trusting the body.
         */
        post: operations["receive.kyc.verification.success"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "kyc.verification.timeout": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * The KYC check did not finish in time.
         * @description Verify the signature with any Standard Webhooks library before trusting the body.
         */
        post: operations["receive.kyc.verification.timeout"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    transactions: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * A transaction on an account changed state, for example a payment was confirmed by the bank (seed 001).
         * @description Verify the signature with any Standard Webhooks library before trusting the body.
         */
        post: operations["receive.transactions"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "webhook.delivery.dead_lettered": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Platform event: a delivery to one of your subscriptions failed every attempt of its retry schedule and was dead-lettered (it can still be retried by hand). Never delivered to the subscription it is about.
         * @description Verify the signature with any Standard Webhooks library before trusting the body.
         */
        post: operations["receive.webhook.delivery.dead_lettered"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "webhook.endpoint.failing": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Platform event: a subscription's endpoint keeps failing, so its deliveries are held (not attempted) while the pipeline probes it; they resume when it answers. Never delivered to the subscription it is about.
         * @description Verify the signature with any Standard Webhooks library before trusting the body.
         */
        post: operations["receive.webhook.endpoint.failing"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "webhook.endpoint.recovered": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Platform event: a subscription's endpoint that was failing answered again; its held deliveries are being sent. Never delivered to the subscription it is about.
         * @description Verify the signature with any Standard Webhooks library before trusting the body.
         */
        post: operations["receive.webhook.endpoint.recovered"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "webhook.endpoint.verification": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Sent by the platform to a subscription's URL when it is created, when its URL changes, and when a verification is requested again (POST /api/v0.1/webhooks/{id}/verify). Signed like every delivery. Answer 2xx within the attempt timeout with the challenge as the body, or as {"challenge": "..."}; until then the subscription receives nothing else. Cannot be published by tenants.
         * @description Verify the signature with any Standard Webhooks library before trusting the body.
         */
        post: operations["receive.webhook.endpoint.verification"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "webhook.subscription.disabled": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Platform event: a subscription was disabled and gets no new events: its receiver answered 410 Gone (endpoint_gone), someone disabled it through the API or the portal (disabled_by_tenant), or it kept failing (endpoint_failing). Never delivered to the subscription it is about.
         * @description Verify the signature with any Standard Webhooks library before trusting the body.
         */
        post: operations["receive.webhook.subscription.disabled"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "webhook.subscription.verified": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Platform event: a subscription's endpoint completed the verification handshake, proving it is the receiver's. Never delivered to the subscription it is about.
         * @description Verify the signature with any Standard Webhooks library before trusting the body.
         */
        post: operations["receive.webhook.subscription.verified"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "webhook.test": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * A test event, sent by POST /api/v0.1/webhooks/{id}/test
         * @description Verify the signature with any Standard Webhooks library before trusting the body.
         */
        post: operations["receive.webhook.test"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export interface components {
    schemas: {
        /** @description Seed 002. `events` lists 1 to 100 event types or prefix wildcards such as `card*`; `url` must be https and resolve to a public address. */
        CreateSubscriptionV01Request: {
            url: string;
            description?: string;
            events: string[];
            filter?: components["schemas"]["PayloadFilter"] | null;
            headers?: components["schemas"]["CustomHeaders"];
            rate_limit?: components["schemas"]["RateLimit"] | null;
            /** @enum {string} */
            version?: "0.1";
            /** @enum {string} */
            status?: "STATUS_ENABLED" | "STATUS_DISABLED";
        };
        /** @description Seed 001. `callback_url` must be https and resolve to a public address. */
        CreateSubscriptionV0Request: {
            callback_url: string;
            description?: string;
            events: string[];
            filter?: components["schemas"]["PayloadFilter"] | null;
            headers?: components["schemas"]["CustomHeaders"];
            rate_limit?: components["schemas"]["RateLimit"] | null;
        };
        /**
         * @description Static headers sent with every delivery of the subscription, such as an API key the receiver expects: at most 5, names HTTP tokens (case-insensitive, no repeats), values printable ASCII of at most 1000 characters without line breaks, 2048 bytes in all. Refused: webhook-id, webhook-timestamp, webhook-signature, content-type, user-agent, connection, keep-alive, te, trailer, transfer-encoding, upgrade, host, content-length, content-encoding, expect, and names starting with webhook- or proxy-. Values are stored encrypted with the signing secret and never answered in full. In a request the object replaces the whole set; null or {} removes them.
         * @example {
         *       "X-Api-Key": "k_live_5f2b9c1e7a"
         *     }
         */
        CustomHeaders: {
            [key: string]: unknown;
        } | null;
        Delivery: {
            /** @description The delivery id */
            id: string;
            /** @description The event id, sent as `webhook-id` on every attempt */
            event_id: string;
            /** @example card.created */
            event_type: string;
            status: components["schemas"]["DeliveryStatus"];
            /**
             * Format: int32
             * @description Attempts made so far
             */
            attempts: number;
            /**
             * Format: date-time
             * @description When the delivery was queued
             */
            created_time: string;
            /**
             * Format: date-time
             * @description When the delivery last changed
             */
            updated_time: string;
            /**
             * Format: int32
             * @description HTTP status of the last attempt; null when it got none
             */
            last_status_code: number | null;
            /** @description Why the last attempt failed or the delivery was skipped; null otherwise */
            last_error: string | null;
            /**
             * Format: date-time
             * @description When the next automatic attempt is due, for a pending delivery that failed
             */
            next_attempt_time: string | null;
        };
        DeliveryAttempt: {
            /**
             * Format: int32
             * @description 1 for the first attempt
             */
            attempt: number;
            /**
             * Format: date-time
             * @description When the attempt started
             */
            time: string;
            /**
             * Format: int32
             * @description HTTP status of the answer; null when none came (timeout, network error, refused address)
             */
            status_code: number | null;
            /** @description Why the attempt failed; null on success */
            error: string | null;
            latency_ms: number;
            /** @description The start of the response body; empty when none came */
            response_excerpt: string;
        };
        DeliveryDetail: {
            /** @description The delivery id */
            id: string;
            /** @description The event id, sent as `webhook-id` on every attempt */
            event_id: string;
            /** @example card.created */
            event_type: string;
            status: components["schemas"]["DeliveryStatus"];
            /**
             * Format: int32
             * @description Attempts made so far
             */
            attempts: number;
            /**
             * Format: date-time
             * @description When the delivery was queued
             */
            created_time: string;
            /**
             * Format: date-time
             * @description When the delivery last changed
             */
            updated_time: string;
            /**
             * Format: int32
             * @description HTTP status of the last attempt; null when it got none
             */
            last_status_code: number | null;
            /** @description Why the last attempt failed or the delivery was skipped; null otherwise */
            last_error: string | null;
            /**
             * Format: date-time
             * @description When the next automatic attempt is due, for a pending delivery that failed
             */
            next_attempt_time: string | null;
            attempt_log: components["schemas"]["DeliveryAttempt"][];
        };
        DeliveryList: {
            deliveries: components["schemas"]["Delivery"][];
            /** @description Pass as `cursor` to fetch the next page; null on the last page */
            next_cursor: string | null;
        };
        DeliveryOutcomes: {
            /** @description The last 24 hours, oldest first */
            hours: {
                /**
                 * Format: date-time
                 * @description Start of the hour (UTC)
                 */
                hour: string;
                /**
                 * Format: int32
                 * @description Deliveries created in this hour that succeeded
                 */
                succeeded: number;
                /**
                 * Format: int32
                 * @description Deliveries created in this hour that were dead-lettered or are retrying after a failure
                 */
                failed: number;
            }[];
            /** @description True when more than 2000 deliveries were created; only the newest were counted */
            truncated: boolean;
        };
        DeliveryResponse: {
            delivery: components["schemas"]["DeliveryDetail"];
        };
        /**
         * @description pending: queued or waiting for a retry; dead_lettered: every attempt failed; skipped: the subscription was disabled or deleted before sending
         * @enum {string}
         */
        DeliveryStatus: "pending" | "succeeded" | "dead_lettered" | "skipped";
        Error: {
            error: {
                /**
                 * @description Stable, machine-readable code
                 * @example validation_failed
                 */
                code: string;
                /** @description What went wrong and what to do about it */
                message: string;
                /** @description One entry per invalid field (validation_failed only) */
                details?: components["schemas"]["FieldProblem"][];
            };
        };
        /**
         * @description An account's history export is ready to download (seed 002's example subscription).
         * @example {
         *       "account_id": "b1c4a3e0-5d2a-4f6e-9a53-6d0f2d1e7c88",
         *       "from_date": "2022-05-01",
         *       "to_date": "2022-05-31",
         *       "download_url": "https://files.example.com/history/b1c4a3e0.csv"
         *     }
         */
        "EventData.account.history.ready": {
            account_id: string;
            /** Format: date */
            from_date?: string;
            /** Format: date */
            to_date?: string;
            /** Format: uri */
            download_url?: string;
        } & {
            [key: string]: unknown;
        };
        /**
         * @description A card was created for a customer (seed 001 adds it to a subscription with add_events).
         * @example {
         *       "card_id": "0c7ad3a2-1b6e-4bb5-9ad1-3f0f1b8f9d51",
         *       "customer_id": "931e2341-c3eb-4681-97d4-f6e09d90da14",
         *       "last_four": "4242",
         *       "card_type": "debit"
         *     }
         */
        "EventData.card.created": {
            card_id: string;
            customer_id: string;
            last_four?: string;
            /** @enum {string} */
            card_type?: "debit" | "credit" | "prepaid";
        } & {
            [key: string]: unknown;
        };
        /**
         * @description The KYC check could not be completed because of an error.
         * @example {
         *       "customer_id": "931e2341-c3eb-4681-97d4-f6e09d90da14",
         *       "status": "error",
         *       "reason": "provider_unavailable"
         *     }
         */
        "EventData.kyc.verification.error": {
            customer_id: string;
            /** @constant */
            status: "error";
            reason?: string;
        } & {
            [key: string]: unknown;
        };
        /**
         * @description The customer's identity could not be verified.
         * @example {
         *       "customer_id": "931e2341-c3eb-4681-97d4-f6e09d90da14",
         *       "status": "failure",
         *       "reason": "document_mismatch"
         *     }
         */
        "EventData.kyc.verification.failure": {
            customer_id: string;
            /** @constant */
            status: "failure";
            reason?: string;
        } & {
            [key: string]: unknown;
        };
        /**
         * @description The customer's identity was verified (seed 000: your system listens for it instead of polling the KYC endpoint).
         * @example {
         *       "customer_id": "931e2341-c3eb-4681-97d4-f6e09d90da14",
         *       "status": "success"
         *     }
         */
        "EventData.kyc.verification.success": {
            customer_id: string;
            /** @constant */
            status: "success";
            reason?: string;
        } & {
            [key: string]: unknown;
        };
        /**
         * @description The KYC check did not finish in time.
         * @example {
         *       "customer_id": "931e2341-c3eb-4681-97d4-f6e09d90da14",
         *       "status": "timeout",
         *       "reason": "no_response_within_24h"
         *     }
         */
        "EventData.kyc.verification.timeout": {
            customer_id: string;
            /** @constant */
            status: "timeout";
            reason?: string;
        } & {
            [key: string]: unknown;
        };
        /**
         * @description A transaction on an account changed state, for example a payment was confirmed by the bank (seed 001).
         * @example {
         *       "transaction_id": "5f0d8a6e-0f4b-4c21-b9a5-3c5b1f6e2a10",
         *       "account_id": "b1c4a3e0-5d2a-4f6e-9a53-6d0f2d1e7c88",
         *       "amount": "25.00",
         *       "currency": "USD",
         *       "state": "completed"
         *     }
         */
        "EventData.transactions": {
            transaction_id: string;
            account_id: string;
            amount: string;
            currency: string;
            /** @enum {string} */
            state: "pending" | "completed" | "failed" | "returned" | "disputed";
        } & {
            [key: string]: unknown;
        };
        /**
         * @description Platform event: a delivery to one of your subscriptions failed every attempt of its retry schedule and was dead-lettered (it can still be retried by hand). Never delivered to the subscription it is about.
         * @example {
         *       "subscription_id": "0f8e2c1a-4d1b-4a8e-9c7e-2b1d5f3a6c90",
         *       "url": "https://example.com/webhooks",
         *       "delivery_id": "dlv_3b9f0c2e7a5d4e1f8c6b2a9d0e7f1c3a",
         *       "event_id": "evt_0c7ad3a2-1b6e-4bb5-9ad1-3f0f1b8f9d51",
         *       "event_type": "card.created",
         *       "attempts": 8,
         *       "dead_lettered_time": "2026-03-01T18:04:05.000Z",
         *       "last_attempt": {
         *         "time": "2026-03-01T18:04:05.000Z",
         *         "status_code": 503
         *       }
         *     }
         */
        "EventData.webhook.delivery.dead_lettered": {
            /** @description The subscription this is about (the API's `id` / `webhook_id`) */
            subscription_id: string;
            /**
             * Format: uri
             * @description The subscription's URL when this happened
             */
            url: string;
            delivery_id: string;
            /** @description The dead-lettered event's id (its `webhook-id`) */
            event_id: string;
            event_type: string;
            attempts: number;
            /** Format: date-time */
            dead_lettered_time: string;
            /** @description The last attempt: its time, and the receiver's status code or the error */
            last_attempt?: {
                /** Format: date-time */
                time: string;
                status_code?: number;
                error?: string;
            };
        } & {
            [key: string]: unknown;
        };
        /**
         * @description Platform event: a subscription's endpoint keeps failing, so its deliveries are held (not attempted) while the pipeline probes it; they resume when it answers. Never delivered to the subscription it is about.
         * @example {
         *       "subscription_id": "0f8e2c1a-4d1b-4a8e-9c7e-2b1d5f3a6c90",
         *       "url": "https://example.com/webhooks",
         *       "failing_since": "2026-03-01T12:00:00.000Z",
         *       "last_attempt": {
         *         "time": "2026-03-01T11:59:58.000Z",
         *         "error": "timeout"
         *       }
         *     }
         */
        "EventData.webhook.endpoint.failing": {
            /** @description The subscription this is about (the API's `id` / `webhook_id`) */
            subscription_id: string;
            /**
             * Format: uri
             * @description The subscription's URL when this happened
             */
            url: string;
            /**
             * Format: date-time
             * @description When its deliveries started being held
             */
            failing_since: string;
            /** @description The last attempt: its time, and the receiver's status code or the error */
            last_attempt?: {
                /** Format: date-time */
                time: string;
                status_code?: number;
                error?: string;
            };
        } & {
            [key: string]: unknown;
        };
        /**
         * @description Platform event: a subscription's endpoint that was failing answered again; its held deliveries are being sent. Never delivered to the subscription it is about.
         * @example {
         *       "subscription_id": "0f8e2c1a-4d1b-4a8e-9c7e-2b1d5f3a6c90",
         *       "url": "https://example.com/webhooks",
         *       "failing_since": "2026-03-01T12:00:00.000Z",
         *       "recovered_time": "2026-03-01T12:42:10.000Z"
         *     }
         */
        "EventData.webhook.endpoint.recovered": {
            /** @description The subscription this is about (the API's `id` / `webhook_id`) */
            subscription_id: string;
            /**
             * Format: uri
             * @description The subscription's URL when this happened
             */
            url: string;
            /** Format: date-time */
            failing_since: string;
            /** Format: date-time */
            recovered_time: string;
        } & {
            [key: string]: unknown;
        };
        /**
         * @description Sent by the platform to a subscription's URL when it is created, when its URL changes, and when a verification is requested again (POST /api/v0.1/webhooks/{id}/verify). Signed like every delivery. Answer 2xx within the attempt timeout with the challenge as the body, or as {"challenge": "..."}; until then the subscription receives nothing else. Cannot be published by tenants.
         * @example {
         *       "subscription_id": "487a7f29-7b80-467d-b20d-7b60c3a14cf0",
         *       "url": "https://example.com/webhooks",
         *       "challenge": "Vb0Qq2lH3z3cFZ8xJk9tQm1rYw4sPe7d"
         *     }
         */
        "EventData.webhook.endpoint.verification": {
            subscription_id: string;
            url: string;
            challenge: string;
        };
        /**
         * @description Platform event: a subscription was disabled and gets no new events: its receiver answered 410 Gone (endpoint_gone), someone disabled it through the API or the portal (disabled_by_tenant), or it kept failing (endpoint_failing). Never delivered to the subscription it is about.
         * @example {
         *       "subscription_id": "0f8e2c1a-4d1b-4a8e-9c7e-2b1d5f3a6c90",
         *       "url": "https://example.com/webhooks",
         *       "reason": "endpoint_gone",
         *       "disabled_time": "2026-03-01T12:00:00.000Z",
         *       "last_attempt": {
         *         "time": "2026-03-01T12:00:00.000Z",
         *         "status_code": 410
         *       }
         *     }
         */
        "EventData.webhook.subscription.disabled": {
            /** @description The subscription this is about (the API's `id` / `webhook_id`) */
            subscription_id: string;
            /**
             * Format: uri
             * @description The subscription's URL when this happened
             */
            url: string;
            /** @enum {string} */
            reason: "endpoint_gone" | "disabled_by_tenant" | "endpoint_failing";
            /** Format: date-time */
            disabled_time: string;
            /** Format: date-time */
            failing_since?: string;
            /** @description The last attempt: its time, and the receiver's status code or the error */
            last_attempt?: {
                /** Format: date-time */
                time: string;
                status_code?: number;
                error?: string;
            };
        } & {
            [key: string]: unknown;
        };
        /**
         * @description Platform event: a subscription's endpoint completed the verification handshake, proving it is the receiver's. Never delivered to the subscription it is about.
         * @example {
         *       "subscription_id": "0f8e2c1a-4d1b-4a8e-9c7e-2b1d5f3a6c90",
         *       "url": "https://example.com/webhooks",
         *       "verified_time": "2026-03-01T12:00:00.000Z"
         *     }
         */
        "EventData.webhook.subscription.verified": {
            /** @description The subscription this is about (the API's `id` / `webhook_id`) */
            subscription_id: string;
            /**
             * Format: uri
             * @description The subscription's URL when this happened
             */
            url: string;
            /** Format: date-time */
            verified_time: string;
        } & {
            [key: string]: unknown;
        };
        EventType: {
            /** @example card.created */
            type: string;
            description: string;
            /** @description JSON Schema (2020-12) of the event `data` */
            schema: {
                [key: string]: unknown;
            };
            /** @description An example `data` object */
            example: {
                [key: string]: unknown;
            };
            /** @description The platform's own event (`webhook.*`): about your subscriptions, sent by the pipeline. Subscribe to it like any type; it cannot be published */
            operational: boolean;
            /**
             * @description Present (false) on platform types no subscription receives, such as `webhook.endpoint.verification`, sent to the endpoint being verified alone
             * @enum {boolean}
             */
            subscribable?: false;
        };
        EventTypeList: {
            event_types: components["schemas"]["EventType"][];
        };
        ExchangePortalLinkRequest: {
            /** @description The `link` parameter of the portal link's fragment (`pl_...`) */
            link_token: string;
        };
        FieldProblem: {
            /**
             * @description Dotted path of the field, such as `events.0`
             * @example url
             */
            field: string;
            /** @example must use https */
            message: string;
        };
        /**
         * @description Beyond `events`, only events whose `data` matches this EventBridge event pattern of `data` fields (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html): fields AND; a field's list of values or matchers ORs; a field that is an array in the event matches if any element does; a missing field matches only `{"exists": false}`. Matchers: exact values (string, number, boolean, null), `{"prefix": "..."}` (strings), `{"numeric": [">", 0, "<=", 5]}` (numbers; one comparison, or a lower then an upper bound), `{"exists": true | false}`, `{"anything-but": "v" | 5 | ["v", ...] | {"prefix": "..."}}`. At most 4096 bytes as JSON and 10 levels of nested fields. In a request, null removes the filter; an answer leaves it out when there is none.
         * @example {
         *       "amount": [
         *         {
         *           "numeric": [
         *             ">=",
         *             100
         *           ]
         *         }
         *       ],
         *       "card": {
         *         "brand": [
         *           "visa",
         *           "mastercard"
         *         ]
         *       }
         *     }
         */
        PayloadFilter: {
            [key: string]: unknown;
        };
        PortalLink: {
            /** @description The portal page with a one-time token in its fragment (`#link=pl_...`); the fragment is never sent to a server */
            url: string;
            /**
             * Format: date-time
             * @description The link works once, until then
             */
            expires_time: string;
        };
        PortalSession: {
            /** @description Send as `Authorization: Bearer <token>` with `Identity: portal-session`; valid only on the portal routes of this tenant */
            session_token: string;
            /**
             * Format: date-time
             * @description The session ends then
             */
            expires_time: string;
        };
        PublishedEvent: {
            /**
             * @description The event id; receivers get it as `webhook-id`
             * @example evt_0c7ad3a2-1b6e-4bb5-9ad1-3f0f1b8f9d51
             */
            id: string;
            /** @example card.created */
            type: string;
            /**
             * Format: date-time
             * @description When the event was accepted
             */
            timestamp: string;
        };
        /** @description Which `data` goes with which `type`: one alternative per event type of the catalog that tenants may publish */
        PublishEventByType: {
            /** @constant */
            type: "account.history.ready";
            data: components["schemas"]["EventData.account.history.ready"];
        } | {
            /** @constant */
            type: "card.created";
            data: components["schemas"]["EventData.card.created"];
        } | {
            /** @constant */
            type: "kyc.verification.error";
            data: components["schemas"]["EventData.kyc.verification.error"];
        } | {
            /** @constant */
            type: "kyc.verification.failure";
            data: components["schemas"]["EventData.kyc.verification.failure"];
        } | {
            /** @constant */
            type: "kyc.verification.success";
            data: components["schemas"]["EventData.kyc.verification.success"];
        } | {
            /** @constant */
            type: "kyc.verification.timeout";
            data: components["schemas"]["EventData.kyc.verification.timeout"];
        } | {
            /** @constant */
            type: "transactions";
            data: components["schemas"]["EventData.transactions"];
        };
        /** @description `data` must match the JSON Schema of the event type (see `GET /api/v0.1/event-types`). `id` defaults to a new `evt_...` id. */
        PublishEventRequest: {
            type: string;
            data: {
                [key: string]: unknown;
            };
            id?: string;
        };
        /**
         * @description At most `per_second` deliveries a second to this subscription, after a burst of up to `burst`, however many senders run. A delivery over the limit waits for its turn without a POST and without spending an attempt (out of the queue's in-flight set, as a delayed message; a wait past 900 s is sent again every 900 s). In any window a receiver sees at most burst + per_second × (window + 1 s) + 1. In a request, null removes the limit; an answer leaves it out when there is none.
         * @example {
         *       "per_second": 5,
         *       "burst": 10
         *     }
         */
        RateLimit: {
            /**
             * Format: int32
             * @description Deliveries a second, sustained
             */
            per_second: number;
            /**
             * Format: int32
             * @description How many may go at once after a quiet spell
             */
            burst: number;
        };
        /** @description Sends again, once each, every delivery of the subscription created in the window that did not reach it: dead-lettered, or skipped while the subscription was disabled. */
        RecoverRequest: {
            /**
             * Format: date-time
             * @description Deliveries created at or after this time (ISO 8601), within the retention period
             */
            since: string;
            /**
             * Format: date-time
             * @description And at or before this time; now when absent
             */
            until?: string;
        };
        Recovery: {
            /**
             * @description The recovery id
             * @example rcv_1c0e4c1e-33c4-4f6e-9a4b-0d3c3f0f8a11
             */
            id: string;
            subscription_id: string;
            /**
             * Format: date-time
             * @description Deliveries created at or after this time
             */
            since: string;
            /**
             * Format: date-time
             * @description ... and at or before this one
             */
            until: string;
            /**
             * @description running: pages are still being read; done: every delivery of the window was looked at
             * @enum {string}
             */
            status: "running" | "done";
            /**
             * Format: int32
             * @description Failed or skipped deliveries of the window found so far
             */
            found: number;
            /**
             * Format: int32
             * @description Of those, the ones this recovery sent again (another recovery of the same window at once sends the rest)
             */
            queued: number;
            /**
             * Format: int32
             * @description Found, but whose event is past its retention: nothing left to send
             */
            expired: number;
            /**
             * Format: date-time
             * @description When the recovery was asked for
             */
            created_time: string;
            /**
             * Format: date-time
             * @description When it last made progress
             */
            updated_time: string;
            /**
             * Format: date-time
             * @description When it finished
             */
            done_time?: string;
            /** @description Where to follow it (GET) */
            href: string;
        };
        RecoveryResponse: {
            recovery: components["schemas"]["Recovery"];
        };
        RotateSecretResponse: {
            webhook_subscription: components["schemas"]["SubscriptionV01"];
            /**
             * Format: date-time
             * @description Until then deliveries are signed with both the new and the previous secret
             */
            previous_secret_expires_time: string;
        };
        SourceIpList: {
            /**
             * @description Every delivery comes from one of these addresses: receivers may accept webhooks from them only. Empty when the operator has not fixed them (deliveries then come from AWS Lambda's shared addresses, which change).
             * @example [
             *       "203.0.113.10",
             *       "203.0.113.24"
             *     ]
             */
            source_ips: string[];
        };
        SubscriptionV0: {
            /**
             * Format: date-time
             * @description When the subscription was created
             */
            date_created: string;
            /**
             * Format: date-time
             * @description When the subscription was last changed
             */
            date_updated: string;
            /**
             * @description The subscription id
             * @example 522e9ec7-b17d-4d92-8270-c2e1741dd6e0
             */
            webhook_id: string;
            /** @description The HTTPS endpoint events are POSTed to */
            callback_url: string;
            description: string;
            /** @description Event types or prefix wildcards such as `card*` */
            events: string[];
            filter?: components["schemas"]["PayloadFilter"];
            /**
             * @description The custom headers sent with every delivery: their names, each value masked (its first 4 characters then `…`, or `…` alone when shorter than 12). Absent when the subscription has none.
             * @example {
             *       "X-Api-Key": "k_li…"
             *     }
             */
            headers?: {
                [key: string]: string;
            };
            verification?: components["schemas"]["Verification"];
            rate_limit?: components["schemas"]["RateLimit"];
            /** @enum {string} */
            status: "enabled" | "disabled";
            /**
             * @description Present while disabled: `endpoint_failing` (every delivery failed for the auto-disable period), `endpoint_gone` (the receiver answered 410), `disabled_by_tenant` (the API or the portal)
             * @enum {string}
             */
            disabled_reason?: "endpoint_failing" | "endpoint_gone" | "disabled_by_tenant" | "unknown";
            /**
             * Format: date-time
             * @description Present while disabled: when it was disabled (recover since then to send what it missed)
             */
            disabled_time?: string;
            /**
             * @description Signing secret (Standard Webhooks)
             * @example whsec_XqTEJtniwuEhp0A1c1cTJNsmpR/qgOfB
             */
            secret: string;
            /**
             * Format: date-time
             * @description Present once the subscription is deleted
             */
            deleted_at?: string;
        };
        SubscriptionV01: {
            /**
             * @description The subscription id
             * @example 487a7f29-7b80-467d-b20d-7b60c3a14cf0
             */
            id: string;
            /** @description The HTTPS endpoint events are POSTed to */
            url: string;
            description: string;
            /** @description Event types or prefix wildcards such as `card*` */
            events: string[];
            filter?: components["schemas"]["PayloadFilter"];
            /**
             * @description The custom headers sent with every delivery: their names, each value masked (its first 4 characters then `…`, or `…` alone when shorter than 12). Absent when the subscription has none.
             * @example {
             *       "X-Api-Key": "k_li…"
             *     }
             */
            headers?: {
                [key: string]: string;
            };
            verification?: components["schemas"]["Verification"];
            rate_limit?: components["schemas"]["RateLimit"];
            /**
             * @description Event envelope version
             * @example 0.1
             * @enum {string}
             */
            version: "0.1";
            /**
             * @description Signing secret (Standard Webhooks)
             * @example whsec_XqTEJtniwuEhp0A1c1cTJNsmpR/qgOfB
             */
            secret: string;
            /** @enum {string} */
            status: "STATUS_ENABLED" | "STATUS_DISABLED";
            /**
             * @description Present while disabled: `endpoint_failing` (every delivery failed for the auto-disable period), `endpoint_gone` (the receiver answered 410), `disabled_by_tenant` (the API or the portal)
             * @enum {string}
             */
            disabled_reason?: "endpoint_failing" | "endpoint_gone" | "disabled_by_tenant" | "unknown";
            /**
             * Format: date-time
             * @description Present while disabled: when it was disabled (recover since then to send what it missed)
             */
            disabled_time?: string;
            /**
             * Format: date-time
             * @description When the subscription was created
             */
            created_time: string;
            /**
             * Format: date-time
             * @description When the subscription was last changed
             */
            updated_time: string;
        };
        SubscriptionV01List: {
            webhook_subscriptions: components["schemas"]["SubscriptionV01"][];
            /** @description Pass as `cursor` to fetch the next page; null on the last page */
            next_cursor: string | null;
        };
        SubscriptionV01Response: {
            webhook_subscription: components["schemas"]["SubscriptionV01"];
        };
        SubscriptionV0List: components["schemas"]["SubscriptionV0"][];
        TestEventResponse: {
            /** @description The event id; the receiver gets it as `webhook-id` */
            id: string;
            /** @enum {string} */
            type: "webhook.test";
            /**
             * Format: date-time
             * @description When the test event was accepted
             */
            timestamp: string;
        };
        /** @description Seed 002. Only the fields sent change; `events` replaces the whole list, `filter` the whole filter (null removes it), `headers` the whole set of custom headers (null or {} removes them), `rate_limit` the limit (null removes it); new headers are a new version of the stored secret, so they share the rotation window: within it, 429 `rotation_rate_limited` and nothing changes. */
        UpdateSubscriptionV01Request: {
            url?: string;
            description?: string;
            events?: string[];
            filter?: components["schemas"]["PayloadFilter"] | null;
            headers?: components["schemas"]["CustomHeaders"];
            rate_limit?: components["schemas"]["RateLimit"] | null;
            /** @enum {string} */
            version?: "0.1";
            /** @enum {string} */
            status?: "STATUS_ENABLED" | "STATUS_DISABLED";
        };
        UpdateSubscriptionV01Response: {
            webhook_subscription: components["schemas"]["SubscriptionV01"];
            /** @description Present when this PATCH enabled a disabled subscription */
            recover_offer?: {
                /**
                 * Format: date-time
                 * @description When it was disabled: what it missed since then can be sent now
                 */
                since: string;
                /** @enum {string} */
                method: "POST";
                /** @description The recover route to POST `{ "since": ... }` to */
                href: string;
            };
        };
        /** @description Seed 001. Only the fields sent change. Without `action`, `events` replaces the list; with `action` `add_events` or `remove_events` it is added to or removed from it (`events` is then required). `status` takes `enabled` or `enable`, `disabled` or `disable` (the seed writes both). `filter` (beyond the seed) replaces the whole filter whatever the `action`; null removes it. `headers` (beyond the seed) replaces the whole set of custom headers; null or {} removes them; `rate_limit` (beyond the seed) replaces the limit; null removes it; new headers are a new version of the stored secret, so they share the rotation window: within it, 429 `rotation_rate_limited` and nothing changes. */
        UpdateSubscriptionV0Request: {
            callback_url?: string;
            description?: string;
            events?: string[];
            filter?: components["schemas"]["PayloadFilter"] | null;
            headers?: components["schemas"]["CustomHeaders"];
            rate_limit?: components["schemas"]["RateLimit"] | null;
            /** @enum {string} */
            status?: "enabled" | "disabled" | "enable" | "disable";
            /** @enum {string} */
            action?: "add_events" | "remove_events";
        };
        /** @description Absent on subscriptions created before verification existed (they count as verified). The endpoint verifies by answering a signed `webhook.endpoint.verification` event with a 2xx echoing its `data.challenge` (the bare challenge, or {"challenge": "..."}). */
        Verification: {
            /**
             * @description pending: the endpoint has not answered the verification request yet, and events wait unsent; verified: events are sent; failed: every attempt of the request failed (see `last_error`), events wait until a new request (POST /verify) succeeds or their own schedule ends
             * @enum {string}
             */
            status: "pending" | "verified" | "failed";
            /**
             * @description The deployment's setting when the verification was requested
             * @enum {string}
             */
            mode: "none" | "reachability" | "challenge";
            /**
             * Format: date-time
             * @description When the verification was requested (created, URL changed, or asked again)
             */
            requested_time: string;
            /**
             * Format: date-time
             * @description When the endpoint answered it
             */
            verified_time: string | null;
            /** @description Why the last attempt did not verify the endpoint; null when none failed */
            last_error: string | null;
        };
    };
    responses: {
        /** @description The request is not valid (`validation_failed`, one `details` entry per field, or `invalid_json`, or `invalid_path`: a path segment is not valid percent-encoded UTF-8); nothing was changed */
        ValidationFailed: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": {
                 *         "code": "validation_failed",
                 *         "message": "The request is not valid. url: must use https",
                 *         "details": [
                 *           {
                 *             "field": "url",
                 *             "message": "must use https"
                 *           }
                 *         ]
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description `unauthorized` (API Gateway's answer): The Identity or Authorization header is missing (API Gateway answers without calling the authorizer), or the authorizer refused them: an unknown identity, a wrong or revoked key, a tenant that is not active, or a portal session that is unknown or has ended. The api function answers 401 `session_expired` for a portal session that ended while API Gateway still held the authorizer's answer, and (exchanging a portal link) `link_expired`. Nothing was done */
        Unauthorized: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": {
                 *         "code": "unauthorized",
                 *         "message": "Send the tenant credentials in the Identity and Authorization headers."
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description `forbidden`: The authorizer's policy does not cover this method and path: a portal session calling a route the portal may not (API Gateway checks the policy; the api function checks the same again). Nothing was done */
        Forbidden: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": {
                 *         "code": "forbidden",
                 *         "message": "These credentials are not valid or may not use this resource."
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description No such resource for this tenant (resources of other tenants are not found either) */
        NotFound: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": {
                 *         "code": "not_found",
                 *         "message": "Subscription 487a7f29-7b80-467d-b20d-7b60c3a14cf0 was not found"
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description The request conflicts with the current state, nothing was changed: `subscription_limit_reached` (the tenant has as many subscriptions as it may), `subscription_disabled`, `idempotency_conflict`, `idempotency_in_progress` */
        Conflict: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": {
                 *         "code": "subscription_limit_reached",
                 *         "message": "This tenant already has 1000 subscriptions, the most it may have; delete one before creating another"
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description The body is larger than 1048576 bytes (1 MiB), or (publishing) the event as delivered is larger than 1048576 bytes */
        PayloadTooLarge: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": {
                 *         "code": "payload_too_large",
                 *         "message": "The request body is 1048577 bytes; the limit is 1048576 bytes (1 MiB)"
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description The body was sent with a content type other than JSON (a body with no content type is read as JSON) */
        UnsupportedMediaType: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": {
                 *         "code": "unsupported_media_type",
                 *         "message": "The request body must be JSON, sent with Content-Type: application/json; it was sent as text/plain"
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description `rotation_rate_limited`: the secret was rotated, or its custom headers changed, less than 10 minutes ago (at most one rotation or change of headers per subscription per 10 minutes: each is a new Secrets Manager version, which AWS advises making no more often); Retry-After is the seconds until the next rotation is allowed, at most 600. Or `rate_limited`: the tenant's own request rate or the stage's. Nothing was done */
        RotationRateLimited: {
            headers: {
                /** @description Seconds to wait before retrying */
                "Retry-After": number;
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": {
                 *         "code": "rotation_rate_limited",
                 *         "message": "The signing secret of subscription 487a7f29-7b80-467d-b20d-7b60c3a14cf0 was rotated at 2026-12-01T10:00:00.000Z; a secret may be rotated once every 10 minutes. Retry after the number of seconds in the Retry-After header."
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description `temporarily_unavailable`: Secrets Manager's request quota for the whole account is spent for this second (signing secrets are read and written there), or the tenant's throttling is being changed. Nothing was done; retry after Retry-After seconds */
        SecretsBusy: {
            headers: {
                /** @description Seconds to wait before retrying */
                "Retry-After": number;
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": {
                 *         "code": "temporarily_unavailable",
                 *         "message": "The service cannot take this request right now (this second's share of the account's SecretsManager.BatchGetSecretValue quota is taken); retry after the number of seconds in the Retry-After header."
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description `bad_request`, any other 4xx: API Gateway refused the request itself before the API saw it (the message is API Gateway's). Nothing was done */
        GatewayRefused: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": {
                 *         "code": "bad_request",
                 *         "message": "Invalid request body"
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description Too many requests: the tenant's own limit (each tenant's API key has one) or the stage's, for everyone together. Nothing was done; retry after Retry-After seconds */
        RateLimited: {
            headers: {
                /** @description Seconds to wait before retrying */
                "Retry-After": number;
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": {
                 *         "code": "rate_limited",
                 *         "message": "Too many requests; retry after the number of seconds in the Retry-After header."
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description The tenant's throttling is being changed (for a moment, its requests cannot be counted). Nothing was done; retry after Retry-After seconds */
        TemporarilyUnavailable: {
            headers: {
                /** @description Seconds to wait before retrying */
                "Retry-After": number;
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": {
                 *         "code": "temporarily_unavailable",
                 *         "message": "The service cannot take this request right now; retry after the number of seconds in the Retry-After header."
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description `payload_too_large`: The body is larger than API Gateway's 10 MB payload limit (the api function's own limit, 1 MiB, answers 413 too) */
        RequestTooLarge: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": {
                 *         "code": "payload_too_large",
                 *         "message": "The request body is too large."
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description `internal_error`: The authorizer failed (an error other than a refusal, or a timeout), or API Gateway could not call the api function; or the api function failed unexpectedly. The request may be retried (a publish with an Idempotency-Key is safe to retry) */
        GatewayFailure: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": {
                 *         "code": "internal_error",
                 *         "message": "The service failed to handle the request; retry it later."
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description `timeout`: The api function did not answer within 29 seconds */
        GatewayTimeout: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": {
                 *         "code": "timeout",
                 *         "message": "The request took too long; retry it."
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description `invalid_path`: A path segment is not valid percent-encoded UTF-8; nothing was done */
        InvalidPath: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": {
                 *         "code": "invalid_path",
                 *         "message": "The path segment %ZZ is not valid percent-encoded UTF-8 (write % as %25)"
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["Error"];
            };
        };
    };
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    listSubscriptionsV01: {
        parameters: {
            query?: {
                /** @description Items per page, 1 to 100 */
                limit?: number;
                /** @description The `next_cursor` of the previous page */
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description One page of subscriptions, newest first */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SubscriptionV01List"];
                };
            };
            400: components["responses"]["ValidationFailed"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            413: components["responses"]["RequestTooLarge"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["GatewayFailure"];
            503: components["responses"]["SecretsBusy"];
            504: components["responses"]["GatewayTimeout"];
            "4XX": components["responses"]["GatewayRefused"];
        };
    };
    createSubscriptionV01: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateSubscriptionV01Request"];
            };
        };
        responses: {
            /** @description The subscription, with its signing secret */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SubscriptionV01Response"];
                };
            };
            400: components["responses"]["ValidationFailed"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["GatewayFailure"];
            503: components["responses"]["SecretsBusy"];
            504: components["responses"]["GatewayTimeout"];
            "4XX": components["responses"]["GatewayRefused"];
        };
    };
    getSubscriptionV01: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The subscription id (`id` in v0.1, `webhook_id` in v0) */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The subscription */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SubscriptionV01Response"];
                };
            };
            400: components["responses"]["InvalidPath"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            413: components["responses"]["RequestTooLarge"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["GatewayFailure"];
            503: components["responses"]["SecretsBusy"];
            504: components["responses"]["GatewayTimeout"];
            "4XX": components["responses"]["GatewayRefused"];
        };
    };
    deleteSubscriptionV01: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The subscription id (`id` in v0.1, `webhook_id` in v0) */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The deleted subscription */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SubscriptionV01Response"];
                };
            };
            400: components["responses"]["InvalidPath"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            413: components["responses"]["RequestTooLarge"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["GatewayFailure"];
            503: components["responses"]["SecretsBusy"];
            504: components["responses"]["GatewayTimeout"];
            "4XX": components["responses"]["GatewayRefused"];
        };
    };
    updateSubscriptionV01: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The subscription id (`id` in v0.1, `webhook_id` in v0) */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UpdateSubscriptionV01Request"];
            };
        };
        responses: {
            /** @description The updated subscription */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UpdateSubscriptionV01Response"];
                };
            };
            400: components["responses"]["ValidationFailed"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["RotationRateLimited"];
            500: components["responses"]["GatewayFailure"];
            503: components["responses"]["SecretsBusy"];
            504: components["responses"]["GatewayTimeout"];
            "4XX": components["responses"]["GatewayRefused"];
        };
    };
    rotateSecret: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The subscription id (`id` in v0.1, `webhook_id` in v0) */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The subscription with its new secret */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RotateSecretResponse"];
                };
            };
            400: components["responses"]["InvalidPath"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            413: components["responses"]["RequestTooLarge"];
            429: components["responses"]["RotationRateLimited"];
            500: components["responses"]["GatewayFailure"];
            503: components["responses"]["SecretsBusy"];
            504: components["responses"]["GatewayTimeout"];
            "4XX": components["responses"]["GatewayRefused"];
        };
    };
    verifySubscription: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The subscription id (`id` in v0.1, `webhook_id` in v0) */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The verification request was queued */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SubscriptionV01Response"];
                };
            };
            400: components["responses"]["InvalidPath"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["RequestTooLarge"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["GatewayFailure"];
            503: components["responses"]["SecretsBusy"];
            504: components["responses"]["GatewayTimeout"];
            "4XX": components["responses"]["GatewayRefused"];
        };
    };
    listDeliveries: {
        parameters: {
            query?: {
                /** @description Items per page, 1 to 100 */
                limit?: number;
                /** @description The `next_cursor` of the previous page */
                cursor?: string;
                /** @description Only deliveries in this status. A page may then hold fewer than `limit` items while `next_cursor` is set */
                status?: "succeeded" | "pending" | "dead_lettered" | "skipped";
            };
            header?: never;
            path: {
                /** @description The subscription id (`id` in v0.1, `webhook_id` in v0) */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description One page of deliveries */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeliveryList"];
                };
            };
            400: components["responses"]["ValidationFailed"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            413: components["responses"]["RequestTooLarge"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["GatewayFailure"];
            503: components["responses"]["TemporarilyUnavailable"];
            504: components["responses"]["GatewayTimeout"];
            "4XX": components["responses"]["GatewayRefused"];
        };
    };
    getDelivery: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The subscription id (`id` in v0.1, `webhook_id` in v0) */
                id: string;
                /** @description The delivery id */
                delivery_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The delivery with every attempt recorded */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeliveryResponse"];
                };
            };
            400: components["responses"]["InvalidPath"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            413: components["responses"]["RequestTooLarge"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["GatewayFailure"];
            503: components["responses"]["TemporarilyUnavailable"];
            504: components["responses"]["GatewayTimeout"];
            "4XX": components["responses"]["GatewayRefused"];
        };
    };
    retryDelivery: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The subscription id (`id` in v0.1, `webhook_id` in v0) */
                id: string;
                /** @description The delivery id */
                delivery_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The retry was queued */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeliveryResponse"];
                };
            };
            400: components["responses"]["InvalidPath"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["RequestTooLarge"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["GatewayFailure"];
            503: components["responses"]["TemporarilyUnavailable"];
            504: components["responses"]["GatewayTimeout"];
            "4XX": components["responses"]["GatewayRefused"];
        };
    };
    sendTestEvent: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The subscription id (`id` in v0.1, `webhook_id` in v0) */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The test event was queued */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TestEventResponse"];
                };
            };
            400: components["responses"]["InvalidPath"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["RequestTooLarge"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["GatewayFailure"];
            503: components["responses"]["TemporarilyUnavailable"];
            504: components["responses"]["GatewayTimeout"];
            "4XX": components["responses"]["GatewayRefused"];
        };
    };
    recoverSubscription: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The subscription id (`id` in v0.1, `webhook_id` in v0) */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "since": "2026-03-01T00:00:00Z"
                 *     }
                 */
                "application/json": components["schemas"]["RecoverRequest"];
            };
        };
        responses: {
            /** @description The recovery, running or done */
            202: {
                headers: {
                    /** @description Where to follow the recovery */
                    Location: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RecoveryResponse"];
                };
            };
            400: components["responses"]["ValidationFailed"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["GatewayFailure"];
            503: components["responses"]["TemporarilyUnavailable"];
            504: components["responses"]["GatewayTimeout"];
            "4XX": components["responses"]["GatewayRefused"];
        };
    };
    getRecovery: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The subscription id (`id` in v0.1, `webhook_id` in v0) */
                id: string;
                /** @description The recovery id */
                recovery_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The recovery and its counts so far */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RecoveryResponse"];
                };
            };
            400: components["responses"]["InvalidPath"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            413: components["responses"]["RequestTooLarge"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["GatewayFailure"];
            503: components["responses"]["TemporarilyUnavailable"];
            504: components["responses"]["GatewayTimeout"];
            "4XX": components["responses"]["GatewayRefused"];
        };
    };
    createPortalLink: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The link and when it stops working */
            201: {
                headers: {
                    /** @description Always `no-referrer` */
                    "referrer-policy"?: "no-referrer";
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PortalLink"];
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            413: components["responses"]["RequestTooLarge"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["GatewayFailure"];
            503: components["responses"]["TemporarilyUnavailable"];
            504: components["responses"]["GatewayTimeout"];
            "4XX": components["responses"]["GatewayRefused"];
        };
    };
    exchangePortalLink: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ExchangePortalLinkRequest"];
            };
        };
        responses: {
            /** @description A session token for the portal routes of the link's tenant */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PortalSession"];
                };
            };
            400: components["responses"]["ValidationFailed"];
            401: components["responses"]["Unauthorized"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["GatewayFailure"];
            504: components["responses"]["GatewayTimeout"];
            "4XX": components["responses"]["GatewayRefused"];
        };
    };
    getDeliveryOutcomes: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The subscription id (`id` in v0.1, `webhook_id` in v0) */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Succeeded and failed deliveries per hour */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeliveryOutcomes"];
                };
            };
            400: components["responses"]["InvalidPath"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            413: components["responses"]["RequestTooLarge"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["GatewayFailure"];
            503: components["responses"]["TemporarilyUnavailable"];
            504: components["responses"]["GatewayTimeout"];
            "4XX": components["responses"]["GatewayRefused"];
        };
    };
    listEventTypes: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The event type catalog */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EventTypeList"];
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            413: components["responses"]["RequestTooLarge"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["GatewayFailure"];
            503: components["responses"]["TemporarilyUnavailable"];
            504: components["responses"]["GatewayTimeout"];
            "4XX": components["responses"]["GatewayRefused"];
        };
    };
    publishEvent: {
        parameters: {
            query?: never;
            header?: {
                /** @description Makes the request safe to retry: a repeated publish with the same key is accepted once and answers with the same event */
                "Idempotency-Key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "type": "account.history.ready",
                 *       "data": {
                 *         "account_id": "b1c4a3e0-5d2a-4f6e-9a53-6d0f2d1e7c88",
                 *         "from_date": "2022-05-01",
                 *         "to_date": "2022-05-31",
                 *         "download_url": "https://files.example.com/history/b1c4a3e0.csv"
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["PublishEventRequest"] & components["schemas"]["PublishEventByType"];
            };
        };
        responses: {
            /** @description The event was accepted for delivery */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PublishedEvent"];
                };
            };
            400: components["responses"]["ValidationFailed"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["GatewayFailure"];
            503: components["responses"]["TemporarilyUnavailable"];
            504: components["responses"]["GatewayTimeout"];
            "4XX": components["responses"]["GatewayRefused"];
        };
    };
    getSourceIps: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The source addresses */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SourceIpList"];
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            413: components["responses"]["RequestTooLarge"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["GatewayFailure"];
            503: components["responses"]["TemporarilyUnavailable"];
            504: components["responses"]["GatewayTimeout"];
            "4XX": components["responses"]["GatewayRefused"];
        };
    };
    listSubscriptionsV0: {
        parameters: {
            query?: {
                /** @description Items per page, 1 to 100. Without it the answer holds every subscription of the tenant, as seed 001 lists "all". */
                limit?: number;
                /** @description The `next_cursor` of the previous page */
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Every subscription, newest first; with `limit`, one page of them */
            200: {
                headers: {
                    /** @description With `limit`: pass as `cursor` to fetch the next page; absent on the last page */
                    "x-next-cursor"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SubscriptionV0List"];
                };
            };
            400: components["responses"]["ValidationFailed"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            413: components["responses"]["RequestTooLarge"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["GatewayFailure"];
            503: components["responses"]["SecretsBusy"];
            504: components["responses"]["GatewayTimeout"];
            "4XX": components["responses"]["GatewayRefused"];
        };
    };
    createSubscriptionV0: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateSubscriptionV0Request"];
            };
        };
        responses: {
            /** @description The subscription, with its signing secret */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SubscriptionV0"];
                };
            };
            400: components["responses"]["ValidationFailed"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["GatewayFailure"];
            503: components["responses"]["SecretsBusy"];
            504: components["responses"]["GatewayTimeout"];
            "4XX": components["responses"]["GatewayRefused"];
        };
    };
    listSubscriptionsV0TrailingSlash: {
        parameters: {
            query?: {
                /** @description Items per page, 1 to 100. Without it the answer holds every subscription of the tenant, as seed 001 lists "all". */
                limit?: number;
                /** @description The `next_cursor` of the previous page */
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Every subscription, newest first; with `limit`, one page of them */
            200: {
                headers: {
                    /** @description With `limit`: pass as `cursor` to fetch the next page; absent on the last page */
                    "x-next-cursor"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SubscriptionV0List"];
                };
            };
            400: components["responses"]["ValidationFailed"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            413: components["responses"]["RequestTooLarge"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["GatewayFailure"];
            503: components["responses"]["SecretsBusy"];
            504: components["responses"]["GatewayTimeout"];
            "4XX": components["responses"]["GatewayRefused"];
        };
    };
    createSubscriptionV0TrailingSlash: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateSubscriptionV0Request"];
            };
        };
        responses: {
            /** @description The subscription, with its signing secret */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SubscriptionV0"];
                };
            };
            400: components["responses"]["ValidationFailed"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["GatewayFailure"];
            503: components["responses"]["SecretsBusy"];
            504: components["responses"]["GatewayTimeout"];
            "4XX": components["responses"]["GatewayRefused"];
        };
    };
    getSubscriptionV0: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The subscription id (`id` in v0.1, `webhook_id` in v0) */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The subscription */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SubscriptionV0"];
                };
            };
            400: components["responses"]["InvalidPath"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            413: components["responses"]["RequestTooLarge"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["GatewayFailure"];
            503: components["responses"]["SecretsBusy"];
            504: components["responses"]["GatewayTimeout"];
            "4XX": components["responses"]["GatewayRefused"];
        };
    };
    deleteSubscriptionV0: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The subscription id (`id` in v0.1, `webhook_id` in v0) */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The deleted subscription */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SubscriptionV0"];
                };
            };
            400: components["responses"]["InvalidPath"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            413: components["responses"]["RequestTooLarge"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["GatewayFailure"];
            503: components["responses"]["SecretsBusy"];
            504: components["responses"]["GatewayTimeout"];
            "4XX": components["responses"]["GatewayRefused"];
        };
    };
    updateSubscriptionV0: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The subscription id (`id` in v0.1, `webhook_id` in v0) */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UpdateSubscriptionV0Request"];
            };
        };
        responses: {
            /** @description The updated subscription */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SubscriptionV0"];
                };
            };
            400: components["responses"]["ValidationFailed"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["RotationRateLimited"];
            500: components["responses"]["GatewayFailure"];
            503: components["responses"]["SecretsBusy"];
            504: components["responses"]["GatewayTimeout"];
            "4XX": components["responses"]["GatewayRefused"];
        };
    };
    getOpenApiDocument: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The OpenAPI 3.1 document */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, never>;
                };
            };
            413: components["responses"]["RequestTooLarge"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["GatewayFailure"];
            504: components["responses"]["GatewayTimeout"];
            "4XX": components["responses"]["GatewayRefused"];
        };
    };
    "receive.account.history.ready": {
        parameters: {
            query?: never;
            header: {
                /** @description The event id; the same on every attempt, so receivers can deduplicate */
                "webhook-id": string;
                /** @description Unix seconds of this attempt; reject it when far from your clock */
                "webhook-timestamp": string;
                /** @description Space-separated `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`; more than one during a secret rotation */
                "webhook-signature": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description The event id, equal to the webhook-id header */
                    id: string;
                    /** Format: date-time */
                    timestamp: string;
                    /** @constant */
                    type: "account.history.ready";
                    data: components["schemas"]["EventData.account.history.ready"];
                };
            };
        };
        responses: {
            /** @description Any 2xx ends the delivery */
            "2XX": {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Anything else, a timeout or a network error is retried on the backoff schedule, then dead-lettered */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    "receive.card.created": {
        parameters: {
            query?: never;
            header: {
                /** @description The event id; the same on every attempt, so receivers can deduplicate */
                "webhook-id": string;
                /** @description Unix seconds of this attempt; reject it when far from your clock */
                "webhook-timestamp": string;
                /** @description Space-separated `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`; more than one during a secret rotation */
                "webhook-signature": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description The event id, equal to the webhook-id header */
                    id: string;
                    /** Format: date-time */
                    timestamp: string;
                    /** @constant */
                    type: "card.created";
                    data: components["schemas"]["EventData.card.created"];
                };
            };
        };
        responses: {
            /** @description Any 2xx ends the delivery */
            "2XX": {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Anything else, a timeout or a network error is retried on the backoff schedule, then dead-lettered */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    "receive.kyc.verification.error": {
        parameters: {
            query?: never;
            header: {
                /** @description The event id; the same on every attempt, so receivers can deduplicate */
                "webhook-id": string;
                /** @description Unix seconds of this attempt; reject it when far from your clock */
                "webhook-timestamp": string;
                /** @description Space-separated `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`; more than one during a secret rotation */
                "webhook-signature": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description The event id, equal to the webhook-id header */
                    id: string;
                    /** Format: date-time */
                    timestamp: string;
                    /** @constant */
                    type: "kyc.verification.error";
                    data: components["schemas"]["EventData.kyc.verification.error"];
                };
            };
        };
        responses: {
            /** @description Any 2xx ends the delivery */
            "2XX": {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Anything else, a timeout or a network error is retried on the backoff schedule, then dead-lettered */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    "receive.kyc.verification.failure": {
        parameters: {
            query?: never;
            header: {
                /** @description The event id; the same on every attempt, so receivers can deduplicate */
                "webhook-id": string;
                /** @description Unix seconds of this attempt; reject it when far from your clock */
                "webhook-timestamp": string;
                /** @description Space-separated `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`; more than one during a secret rotation */
                "webhook-signature": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description The event id, equal to the webhook-id header */
                    id: string;
                    /** Format: date-time */
                    timestamp: string;
                    /** @constant */
                    type: "kyc.verification.failure";
                    data: components["schemas"]["EventData.kyc.verification.failure"];
                };
            };
        };
        responses: {
            /** @description Any 2xx ends the delivery */
            "2XX": {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Anything else, a timeout or a network error is retried on the backoff schedule, then dead-lettered */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    "receive.kyc.verification.success": {
        parameters: {
            query?: never;
            header: {
                /** @description The event id; the same on every attempt, so receivers can deduplicate */
                "webhook-id": string;
                /** @description Unix seconds of this attempt; reject it when far from your clock */
                "webhook-timestamp": string;
                /** @description Space-separated `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`; more than one during a secret rotation */
                "webhook-signature": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description The event id, equal to the webhook-id header */
                    id: string;
                    /** Format: date-time */
                    timestamp: string;
                    /** @constant */
                    type: "kyc.verification.success";
                    data: components["schemas"]["EventData.kyc.verification.success"];
                };
            };
        };
        responses: {
            /** @description Any 2xx ends the delivery */
            "2XX": {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Anything else, a timeout or a network error is retried on the backoff schedule, then dead-lettered */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    "receive.kyc.verification.timeout": {
        parameters: {
            query?: never;
            header: {
                /** @description The event id; the same on every attempt, so receivers can deduplicate */
                "webhook-id": string;
                /** @description Unix seconds of this attempt; reject it when far from your clock */
                "webhook-timestamp": string;
                /** @description Space-separated `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`; more than one during a secret rotation */
                "webhook-signature": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description The event id, equal to the webhook-id header */
                    id: string;
                    /** Format: date-time */
                    timestamp: string;
                    /** @constant */
                    type: "kyc.verification.timeout";
                    data: components["schemas"]["EventData.kyc.verification.timeout"];
                };
            };
        };
        responses: {
            /** @description Any 2xx ends the delivery */
            "2XX": {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Anything else, a timeout or a network error is retried on the backoff schedule, then dead-lettered */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    "receive.transactions": {
        parameters: {
            query?: never;
            header: {
                /** @description The event id; the same on every attempt, so receivers can deduplicate */
                "webhook-id": string;
                /** @description Unix seconds of this attempt; reject it when far from your clock */
                "webhook-timestamp": string;
                /** @description Space-separated `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`; more than one during a secret rotation */
                "webhook-signature": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description The event id, equal to the webhook-id header */
                    id: string;
                    /** Format: date-time */
                    timestamp: string;
                    /** @constant */
                    type: "transactions";
                    data: components["schemas"]["EventData.transactions"];
                };
            };
        };
        responses: {
            /** @description Any 2xx ends the delivery */
            "2XX": {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Anything else, a timeout or a network error is retried on the backoff schedule, then dead-lettered */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    "receive.webhook.delivery.dead_lettered": {
        parameters: {
            query?: never;
            header: {
                /** @description The event id; the same on every attempt, so receivers can deduplicate */
                "webhook-id": string;
                /** @description Unix seconds of this attempt; reject it when far from your clock */
                "webhook-timestamp": string;
                /** @description Space-separated `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`; more than one during a secret rotation */
                "webhook-signature": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description The event id, equal to the webhook-id header */
                    id: string;
                    /** Format: date-time */
                    timestamp: string;
                    /** @constant */
                    type: "webhook.delivery.dead_lettered";
                    data: components["schemas"]["EventData.webhook.delivery.dead_lettered"];
                };
            };
        };
        responses: {
            /** @description Any 2xx ends the delivery */
            "2XX": {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Anything else, a timeout or a network error is retried on the backoff schedule, then dead-lettered */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    "receive.webhook.endpoint.failing": {
        parameters: {
            query?: never;
            header: {
                /** @description The event id; the same on every attempt, so receivers can deduplicate */
                "webhook-id": string;
                /** @description Unix seconds of this attempt; reject it when far from your clock */
                "webhook-timestamp": string;
                /** @description Space-separated `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`; more than one during a secret rotation */
                "webhook-signature": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description The event id, equal to the webhook-id header */
                    id: string;
                    /** Format: date-time */
                    timestamp: string;
                    /** @constant */
                    type: "webhook.endpoint.failing";
                    data: components["schemas"]["EventData.webhook.endpoint.failing"];
                };
            };
        };
        responses: {
            /** @description Any 2xx ends the delivery */
            "2XX": {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Anything else, a timeout or a network error is retried on the backoff schedule, then dead-lettered */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    "receive.webhook.endpoint.recovered": {
        parameters: {
            query?: never;
            header: {
                /** @description The event id; the same on every attempt, so receivers can deduplicate */
                "webhook-id": string;
                /** @description Unix seconds of this attempt; reject it when far from your clock */
                "webhook-timestamp": string;
                /** @description Space-separated `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`; more than one during a secret rotation */
                "webhook-signature": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description The event id, equal to the webhook-id header */
                    id: string;
                    /** Format: date-time */
                    timestamp: string;
                    /** @constant */
                    type: "webhook.endpoint.recovered";
                    data: components["schemas"]["EventData.webhook.endpoint.recovered"];
                };
            };
        };
        responses: {
            /** @description Any 2xx ends the delivery */
            "2XX": {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Anything else, a timeout or a network error is retried on the backoff schedule, then dead-lettered */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    "receive.webhook.endpoint.verification": {
        parameters: {
            query?: never;
            header: {
                /** @description The event id; the same on every attempt, so receivers can deduplicate */
                "webhook-id": string;
                /** @description Unix seconds of this attempt; reject it when far from your clock */
                "webhook-timestamp": string;
                /** @description Space-separated `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`; more than one during a secret rotation */
                "webhook-signature": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description The event id, equal to the webhook-id header */
                    id: string;
                    /** Format: date-time */
                    timestamp: string;
                    /** @constant */
                    type: "webhook.endpoint.verification";
                    data: components["schemas"]["EventData.webhook.endpoint.verification"];
                };
            };
        };
        responses: {
            /** @description Any 2xx ends the delivery */
            "2XX": {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Anything else, a timeout or a network error is retried on the backoff schedule, then dead-lettered */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    "receive.webhook.subscription.disabled": {
        parameters: {
            query?: never;
            header: {
                /** @description The event id; the same on every attempt, so receivers can deduplicate */
                "webhook-id": string;
                /** @description Unix seconds of this attempt; reject it when far from your clock */
                "webhook-timestamp": string;
                /** @description Space-separated `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`; more than one during a secret rotation */
                "webhook-signature": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description The event id, equal to the webhook-id header */
                    id: string;
                    /** Format: date-time */
                    timestamp: string;
                    /** @constant */
                    type: "webhook.subscription.disabled";
                    data: components["schemas"]["EventData.webhook.subscription.disabled"];
                };
            };
        };
        responses: {
            /** @description Any 2xx ends the delivery */
            "2XX": {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Anything else, a timeout or a network error is retried on the backoff schedule, then dead-lettered */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    "receive.webhook.subscription.verified": {
        parameters: {
            query?: never;
            header: {
                /** @description The event id; the same on every attempt, so receivers can deduplicate */
                "webhook-id": string;
                /** @description Unix seconds of this attempt; reject it when far from your clock */
                "webhook-timestamp": string;
                /** @description Space-separated `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`; more than one during a secret rotation */
                "webhook-signature": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description The event id, equal to the webhook-id header */
                    id: string;
                    /** Format: date-time */
                    timestamp: string;
                    /** @constant */
                    type: "webhook.subscription.verified";
                    data: components["schemas"]["EventData.webhook.subscription.verified"];
                };
            };
        };
        responses: {
            /** @description Any 2xx ends the delivery */
            "2XX": {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Anything else, a timeout or a network error is retried on the backoff schedule, then dead-lettered */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    "receive.webhook.test": {
        parameters: {
            query?: never;
            header: {
                /** @description The event id; the same on every attempt, so receivers can deduplicate */
                "webhook-id": string;
                /** @description Unix seconds of this attempt; reject it when far from your clock */
                "webhook-timestamp": string;
                /** @description Space-separated `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`; more than one during a secret rotation */
                "webhook-signature": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description The event id, equal to the webhook-id header */
                    id: string;
                    /** Format: date-time */
                    timestamp: string;
                    /** @constant */
                    type: "webhook.test";
                    data: Record<string, never>;
                };
            };
        };
        responses: {
            /** @description Any 2xx ends the delivery */
            "2XX": {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Anything else, a timeout or a network error is retried on the backoff schedule, then dead-lettered */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
}
