import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { LabelTally } from './label-tally';

/** The Prometheus series the server exports on `GET /metrics`. */
export interface ServerMetrics {
  readonly registry: Registry;
  readonly activeStreams: Gauge;
  readonly openConnections: Gauge;
  readonly streamsStarted: Counter<'provider'>;
  readonly streamsFinished: Counter<'provider' | 'reason'>;
  readonly eventsSent: Counter;
  readonly bytesSent: Counter;
  readonly rejected: Counter<'reason'>;
  readonly slowClientCloses: Counter;
  readonly backpressure: Counter;
  readonly resumes: Counter;
  /** Requests whose client vanished before their stream started, by the await it was noticed after. */
  readonly clientGone: Counter<'stage'>;
  /** Connections lost while their stream ran on (detached, waiting for a resume). */
  readonly detaches: Counter;
  /** Detached streams nobody resumed within the grace period (then stopped and billed `client_abort`). */
  readonly detachExpired: Counter;
  /** Resumes of a stream that had already ended and been read to its end: answered 204, no stream, no bill. */
  readonly endedReconnects: Counter;
  readonly ttft: Histogram;
  readonly duration: Histogram;
  readonly storagePending: Gauge<'table'>;
  readonly storageErrors: Counter<'table'>;
  /** Streams billed on a model without a price (TWIN_UNPRICED_MODELS=allow, or a fallback to one). */
  readonly unpricedStreams: Counter<'provider'>;
  /** Streams refused because their model has no price (TWIN_UNPRICED_MODELS=reject). */
  readonly unpricedRejected: Counter<'provider'>;
  /**
   * Counts events and bytes written (every write of every stream): plain additions, moved into
   * `eventsSent` and `bytesSent` when they are read (a scrape, `get()`), since prom-client's `inc()`
   * allocates on every call.
   */
  countWrite(events: number, bytes: number): void;
  /** A stream started (`streamsStarted`), tallied as `countWrite` is and moved in when read. */
  countStarted(provider: string): void;
  /** A stream finished (`streamsFinished`), tallied as `countWrite` is and moved in when read. */
  countFinished(provider: string, reason: string): void;
}

/** Creates the registry (its own, never the global one, so several servers can live in one process). */
export function createServerMetrics(options: { defaultMetrics?: boolean } = {}): ServerMetrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'twin_' });
  const registers = [registry];
  let eventsWritten = 0;
  let bytesWritten = 0;
  const started = new LabelTally('provider');
  const finished = new LabelTally('provider', 'reason');
  return {
    registry,
    activeStreams: new Gauge({ name: 'twin_active_streams', help: 'Streams running now.', registers }),
    openConnections: new Gauge({ name: 'twin_open_connections', help: 'SSE connections open now.', registers }),
    streamsStarted: new Counter({
      name: 'twin_streams_started_total',
      help: 'Streams started.',
      labelNames: ['provider'],
      registers,
      collect() {
        started.drainInto(this);
      },
    }),
    streamsFinished: new Counter({
      name: 'twin_streams_finished_total',
      help: 'Streams finished, by billing end reason.',
      labelNames: ['provider', 'reason'],
      registers,
      collect() {
        finished.drainInto(this);
      },
    }),
    eventsSent: new Counter({
      name: 'twin_events_sent_total',
      help: 'SSE events written to clients.',
      registers,
      collect() {
        if (eventsWritten > 0) this.inc(eventsWritten);
        eventsWritten = 0;
      },
    }),
    bytesSent: new Counter({
      name: 'twin_bytes_sent_total',
      help: 'SSE event bytes written to clients (before transport compression).',
      registers,
      collect() {
        if (bytesWritten > 0) this.inc(bytesWritten);
        bytesWritten = 0;
      },
    }),
    rejected: new Counter({ name: 'twin_rejected_total', help: 'Requests refused, by reason: connection limits (global, per_key), storage_backlog, event_loop_lag, rate_limit_requests, rate_limit_tokens, budget, draining (SIGTERM).', labelNames: ['reason'], registers }),
    slowClientCloses: new Counter({ name: 'twin_slow_client_closes_total', help: 'Streams closed by the slow-client policy.', registers }),
    backpressure: new Counter({ name: 'twin_backpressure_total', help: 'Times a connection reported backpressure.', registers }),
    resumes: new Counter({ name: 'twin_resumes_total', help: 'Reconnects with Last-Event-ID.', registers }),
    clientGone: new Counter({
      name: 'twin_client_gone_total',
      help: 'Requests whose client disconnected before the stream started (no provider call, no bill), by stage.',
      labelNames: ['stage'],
      registers,
    }),
    detaches: new Counter({ name: 'twin_detaches_total', help: 'Connections lost while their stream kept running for a resume.', registers }),
    detachExpired: new Counter({ name: 'twin_detach_expired_total', help: 'Detached streams not resumed within the detach grace (stopped, billed client_abort).', registers }),
    endedReconnects: new Counter({ name: 'twin_ended_reconnects_total', help: 'Reconnects to a stream that had ended, answered 204.', registers }),
    ttft: new Histogram({
      name: 'twin_time_to_first_token_seconds',
      help: 'Time from stream start to the first content part.',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers,
    }),
    duration: new Histogram({
      name: 'twin_stream_duration_seconds',
      help: 'Stream wall time.',
      buckets: [0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600],
      registers,
    }),
    storagePending: new Gauge({ name: 'twin_storage_pending_rows', help: 'Rows queued for a write-behind batch.', labelNames: ['table'], registers }),
    unpricedStreams: new Counter({ name: 'twin_unpriced_streams_total', help: 'Streams billed on a model without a price (token cost unknown; the model is on the record, not a label: request-chosen names would be unbounded).', labelNames: ['provider'], registers }),
    unpricedRejected: new Counter({ name: 'twin_unpriced_rejected_total', help: 'Streams refused because their model has no price.', labelNames: ['provider'], registers }),
    storageErrors: new Counter({ name: 'twin_storage_write_errors_total', help: 'Failed batch writes (retried).', labelNames: ['table'], registers }),
    countWrite(events, bytes) {
      eventsWritten += events;
      bytesWritten += bytes;
    },
    countStarted(provider) {
      started.add(provider);
    },
    countFinished(provider, reason) {
      finished.add(provider, reason);
    },
  };
}
