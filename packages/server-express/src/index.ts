// @twin/server-express public API. Every public name is exported explicitly (docs/design.md "Public API").

// ── Express adapter & service ────────────────────────────────────────────────
export { createTwinRouter } from './express/create-twin-router';
export type { TwinRouter } from './express/create-twin-router';
export { createTwinService } from './twin-service';
export type { TwinService } from './twin-service';
export type { TwinServiceOptions } from './twin-service-options';
export { createTwinHandler } from './http/twin-handler';
export type { TwinRequestHandler } from './http/twin-handler';
export { buildOpenApiDocument } from './http/openapi';
export { answerClientError } from './http/answer-client-error';
export { negotiateEncoding } from './http/negotiate-encoding';
export type { TransportEncoding } from './http/negotiate-encoding';
export { openSSEResponse } from './http/sse-response';
export type { SSEResponse, SSEResponseOptions } from './http/sse-response';

// ── streams ──────────────────────────────────────────────────────────────────
// Types only: the service builds the hub and its streams; users read them, never construct them.
export type { StreamHub } from './stream/stream-hub';
export type { StreamHubOptions } from './stream/stream-hub-options';
export type { StartStreamInput } from './stream/start-stream-input';
export type { LiveStream } from './stream/live-stream';
export type { ClusterOptions } from './cluster/cluster-options';
export type { ClusterNode } from './cluster/cluster-node';
export type { ClusterStreams, RemoteStreamView } from './cluster/cluster-streams';
export type { LiveBoard, RemoteInstance } from './cluster/live-board';
export type { ConnectionSealing, SealingFactory } from './stream/connection-sealing';
export type { StopReason } from './stream/stop-reason';
export { TWIN_SSE_FORMAT } from './stream/wire-format';
export type { WireFormat } from './stream/wire-format';
export { createPricingBook, billingPeriodStart } from './stream/pricing-book';
export type { PricingBook } from './stream/pricing-book';
export { reconcileOpenRecords } from './stream/reconcile-open-records';
export type { ReconcileResult } from './stream/reconcile-open-records';
export { createBudgetGuard } from './stream/budget-guard';
export type { BudgetGuard } from './stream/budget-guard';

// ── auth ─────────────────────────────────────────────────────────────────────
export { createAuthenticator, createApiKey, readApiKey } from './auth/authenticator';
export type { AuthContext, AuthMode, Authenticator, CreatedApiKey } from './auth/authenticator';
export { generateApiKey, hashApiKey, API_KEY_PREFIX } from './auth/api-key';

// ── storage ──────────────────────────────────────────────────────────────────
export { openDatabase, migrationsFolder, redactUrl } from './storage/open-database';
export type { OpenDatabaseOptions, OpenedDatabase, TwinDatabase } from './storage/open-database';
export { createTwinStore } from './storage/twin-store';
export type { TwinStore, TwinStoreOptions, BillingRecordQuery, StreamEnding } from './storage/twin-store';
export { createBatchWriter } from './storage/batch-writer';
export type { BatchWriter, BatchWriterOptions } from './storage/batch-writer';
export { queryUsageReport } from './storage/usage-report';
export * as tables from './storage/schema';

// ── providers ────────────────────────────────────────────────────────────────
export { createSlotSleep } from './providers/slot-sleep';
export { eventNow } from './providers/wake-clock';

// ── crypto ───────────────────────────────────────────────────────────────────
export { createNodeAead } from './crypto/node-aead';

// ── observability ────────────────────────────────────────────────────────────
export { createServerMetrics } from './observability/server-metrics';
export type { ServerMetrics } from './observability/server-metrics';
export { StreamStatsWindow } from './observability/stream-stats';
export type { FinishedSample } from './observability/stream-stats';
export type { InstanceLoad, StreamStats } from './admin/admin-api-types';
export { NetworkSignals } from './observability/network-signals';
export type { NetworkSample, NetworkSignalKind, QueuedConnection } from './observability/network-signals';
export { ConnectionSamples } from './observability/connection-samples';
export type { ConnectionSample } from './observability/connection-samples';

// ── admin console ────────────────────────────────────────────────────────────
export type {
  AdminLiveSnapshot,
  AdminStreamDetail,
  AdminTraffic,
  AdminWhoAmI,
  LiveStreamSummary,
  LiveStreamState,
  PublicApiKey,
  SpendPoint,
  StreamReplay,
  TimelineEntry,
  TrafficBucket,
  TrafficSeries,
  WebhookDeliveryView,
} from './admin/admin-api-types';

// ── routing ──────────────────────────────────────────────────────────────────
export { createModelRouter } from './routing/model-router';
export type { ModelRouter, ModelRouterOptions, ResolvedModel } from './routing/model-router';
export { routingConfigSchema, parseRoutingConfig, readRoutingConfigFile, EMPTY_ROUTING_CONFIG } from './routing/routing-config';
export type { RoutingConfig, RoutingProviderConfig, ResilienceConfig } from './routing/routing-config';
export { recordAttempts } from './routing/record-attempts';

// ── gateway operations: keys, limits, alerts, CORS ───────────────────────────
export { authContextOf, API_KEY_ROLES } from './auth/authenticator';
export type { ApiKeyRole, NewApiKey } from './auth/authenticator';
export { createKeyAs, listKeysAs, updateKeyAs, revokeKeyAs, rotateKeyAs, publicKey, createKeyBodySchema, updateKeyBodySchema, rotateKeyBodySchema, tenantLimitsBodySchema } from './auth/key-admin';
export type { CreateKeyBody, UpdateKeyBody } from './auth/key-admin';
export { createApiKeyAdminStore } from './storage/api-key-admin-store';
export type { ApiKeyAdminStore, ApiKeyRecord, ApiKeyPatch, TenantLimitsRow } from './storage/api-key-admin-store';
export { acquireDataDirLock, readDataDirLock, lockPathOf } from './storage/data-dir-lock';
export type { DataDirLock, DataDirLockInfo } from './storage/data-dir-lock';
export { createRateLimiter, createMemoryRateLimitCounters, formatResetDuration } from './limits/rate-limiter';
export type { RateLimiter, RateLimitRule, RateLimitCounters, RateLimitDecision, RateLimitReservation } from './limits/rate-limiter';
export { createRequestLimits } from './limits/request-limits';
export type { RequestLimits, RequestLimitsOptions, RateLimits } from './limits/request-limits';
export type { AsyncRateLimiter } from './limits/redis-rate-limiter';
export type { ConnectionSlots, ConnectionSlot, SlotRefusal } from './limits/redis-connection-slots';
export { signWebhook, verifyWebhookSignature, WEBHOOK_SIGNATURE_HEADER } from './alerts/webhook-signature';
export { createWebhookDispatcher, webhookRetryDelayMs } from './alerts/webhook-dispatcher';
export type { AlertMessage, WebhookEndpoint, WebhookDispatcher, WebhookDispatcherEnv, WebhookDispatcherOptions } from './alerts/webhook-dispatcher';
export { createWebhookDeliveryStore } from './storage/webhook-delivery-store';
export type { WebhookDeliveryStore, WebhookDeliveryRow } from './storage/webhook-delivery-store';
export { createOpsMonitor } from './alerts/ops-monitor';
export type { OpsMonitor, OpsThresholds, OpsMonitorOptions } from './alerts/ops-monitor';
export { createAlertCenter } from './alerts/alert-center';
export type { AlertCenter, AlertCenterOptions } from './alerts/alert-center';
export { applyCors } from './http/cors';
export type { CorsOptions } from './http/cors';
