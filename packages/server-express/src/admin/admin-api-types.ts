// The shapes the admin API answers with, in one place that both the server and the admin console
// (console/src, a browser build) import. This file must stay import-free and types-only: a browser
// typecheck that reached the server's modules would pull in Node's types (and the bundle nothing).
// Amounts are exact decimal strings; times are ms since the epoch unless they are ISO strings.

/**
 * Where a running stream is: `streaming` (a client is attached), `detached` (its client went away
 * and the stream runs on in its detach grace, waiting for a resume), `resumed` (a client is attached
 * again after at least one reconnect).
 */
export type LiveStreamState = 'streaming' | 'detached' | 'resumed';

/** One row of the admin console's live table. Times are ms; money is an exact decimal string. */
export interface LiveStreamSummary {
  id: string;
  tenantId: string;
  apiKeyId: string;
  provider: string;
  model: string;
  purpose?: string;
  state: LiveStreamState;
  startedAt: number;
  ageMs: number;
  /**
   * Output tokens so far: the provider's count once it reported usage, until then an estimate from
   * the text sent (4 characters a token, `tokensEstimated`), so the table moves while a stream runs.
   */
  outputTokens: number;
  tokensEstimated: boolean;
  tokensPerSecond?: number;
  ttftMs?: number;
  bytes: number;
  events: number;
  reconnects: number;
  backpressureEvents: number;
  /**
   * What the stream would cost if it ended now, priced on what is known so far (output tokens,
   * duration, bytes; the prompt's tokens are not known until the provider reports them): always
   * `estimated`. The bill itself is computed once, at the end.
   */
  costSoFar?: { currency: string; total: string; estimated: true };
  /** Cluster mode: the instance that runs the stream. */
  instance?: string;
}

/** One instance's load, as `GET /api/stream/stats` breaks the cluster down (cluster mode, admin keys). */
export interface InstanceLoad {
  instance: string;
  activeStreams: number;
  openConnections: number;
  /** When the instance published these counts (ms since the epoch; this instance's: now). */
  at: number;
}

/** What `GET /api/stream/stats` answers (and the live feed's `stats`). */
export interface StreamStats {
  windowMs: number;
  activeStreams: number;
  openConnections: number;
  finished: number;
  /** Events and bytes per second over the window. */
  throughput: { eventsPerSecond: number; bytesPerSecond: number };
  /** Time to first token percentiles, ms. */
  latency: { p50?: number; p90?: number; p95?: number; p99?: number };
  /** Fractions of finished streams in the window (0..1). */
  completionRate: number;
  errorRate: number;
  abortRate: number;
}

/** One `live` event of `GET /api/admin/live`: the tenant's whole table, so a missed event loses nothing. */
export interface AdminLiveSnapshot {
  v: 1;
  at: number;
  streams: LiveStreamSummary[];
  stats: StreamStats;
  network: { dropsLastHour: number; resumesLastHour: number; stallsLastHour: number };
}

/** One entry of a stream's timeline, read from its audit log. */
export interface TimelineEntry {
  at: string;
  /** `start`, `chunks` (one audit segment), `detach`, `resume`, `error`, `complete`, `end`. */
  kind: string;
  seq?: number;
  lastSeq?: number;
  detail?: Record<string, unknown>;
}

/** What the audit log holds of one stream: its timeline and its text, replayed. */
export interface StreamReplay {
  timeline: TimelineEntry[];
  /** The answer text, in order, exactly as the chunk events carried it (`sealed` streams: empty). */
  text: string;
  reasoning: string;
  sealed: boolean;
  /** Audit events stored (chunk, error, complete) and their data bytes. */
  events: number;
  bytes: number;
}

/**
 * What `GET /api/admin/streams/:id` answers. The bill and the metrics are core's shapes
 * (`StreamBillingRecord`, `StreamMetrics` from `@twin/core`), parameters here to keep this file
 * import-free.
 */
export interface AdminStreamDetail<Billing = unknown, Metrics = unknown> extends StreamReplay {
  streamId: string;
  status?: string;
  /** While the stream runs: its live row. */
  live?: LiveStreamSummary;
  metrics?: Metrics;
  connection: unknown;
  billing: Billing | null;
}

/** One time bucket of the traffic view. Rates are 0..1; times ms; `undefined` = no stream ended. */
export interface TrafficBucket {
  /** Bucket start, ms since the epoch. */
  at: number;
  finished: number;
  completed: number;
  errors: number;
  aborts: number;
  eventsPerSecond: number;
  bytesPerSecond: number;
  /** Stream duration (the latency of a whole answer): min / avg / p95 / p99. */
  latency: { min?: number; avg?: number; p95?: number; p99?: number };
  /** Time to first token: avg / p95. */
  ttft: { avg?: number; p95?: number };
  drops: number;
  resumes: number;
  stalls: number;
  stallMs: number;
  /** Most running streams / open connections sampled in the bucket (`undefined`: no sample). */
  streams?: number;
  connections?: number;
}

/** The traffic view over a window: buckets oldest first, and the whole window's totals. */
export interface TrafficSeries {
  from: number;
  to: number;
  bucketMs: number;
  buckets: TrafficBucket[];
  totals: Omit<TrafficBucket, 'at' | 'streams' | 'connections'> & { errorRate: number; completionRate: number; dropsPerHour: number };
}

/** What `GET /api/admin/traffic` answers. */
export interface AdminTraffic extends TrafficSeries {
  window: string;
  now: { activeStreams: number; openConnections: number };
}

/** One bucket of spend: exact decimal total (Postgres numeric, as text) of the final records billed in it. */
export interface SpendPoint {
  at: string;
  currency: string;
  count: number;
  total: string;
  tokens: number;
}

/** What `GET /api/admin/whoami` answers. */
export interface AdminWhoAmI {
  tenantId: string;
  apiKeyId: string;
  role: string;
  providers: string[];
}

/** An API key as `/api/keys` lists it: never its secret or hash. Times are ISO strings. */
export interface PublicApiKey {
  id: string;
  tenantId: string;
  name: string;
  role: string;
  prefix: string;
  status: 'active' | 'revoked' | 'expired';
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  allowedModels: string[] | null;
  allowedProviders: string[] | null;
  requestsPerMinute: number | null;
  tokensPerMinute: number | null;
  rotatedFrom: string | null;
}

/** One row of the alert webhooks' delivery log (`GET /api/admin/webhooks/deliveries`). */
export interface WebhookDeliveryView {
  /** Also the `Twin-Delivery-Id` header, the same on every retry. */
  id: string;
  alertId: string;
  /** The tenant the alert is about (`*`: the whole server). */
  tenantId: string | null;
  /** The alert kind, sent as `Twin-Event` (`budget.month.80`, `error_rate`, …). */
  kind: string;
  url: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  /** The receiver's last HTTP status, if it answered. */
  lastStatus: number | null;
  lastError: string | null;
  createdAt: string;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
}
