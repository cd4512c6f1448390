import { calculateBill, findPricing, type StreamBillingConfig } from '@twin/core';
import type { LiveStream } from '../stream/live-stream';
import type { LiveStreamState, LiveStreamSummary } from './admin-api-types';

// The usual rule of thumb for English text; only for the live estimate, never for a bill.
const CHARS_PER_TOKEN = 4;

/** What it would cost if it ended now (see {@link LiveStreamSummary.costSoFar}). */
export function costSoFar(stream: LiveStream, configs: readonly StreamBillingConfig[], now: number): LiveStreamSummary['costSoFar'] {
  const config = findPricing(configs, stream.providerName, stream.model, stream.createdAt);
  if (!config) return undefined;
  const m = stream.getMetrics();
  const outputTokens = m.outputTokens ?? Math.ceil(m.textChars / CHARS_PER_TOKEN);
  const bill = calculateBill(
    { usage: { outputTokens, estimated: true }, durationMs: Math.max(0, now - stream.startedAt), bytes: m.bytesSent, connections: 1 + m.reconnects },
    config,
  );
  return { currency: bill.currency, total: bill.lines.total, estimated: true };
}

/**
 * A running stream as the live table shows it, from the stream's own counters. `cost` prices it
 * (default: {@link costSoFar} now; a caller showing many streams may pass a cached price).
 */
export function summariseLiveStream(
  stream: LiveStream,
  configs: readonly StreamBillingConfig[],
  now: number,
  cost: (stream: LiveStream) => LiveStreamSummary['costSoFar'] = (s) => costSoFar(s, configs, now),
): LiveStreamSummary {
  const m = stream.getMetrics();
  const durationMs = Math.max(0, now - stream.startedAt);
  const state: LiveStreamState = !stream.hasConnection ? 'detached' : m.reconnects > 0 ? 'resumed' : 'streaming';
  const tokensEstimated = m.outputTokens === undefined;
  const outputTokens = m.outputTokens ?? Math.ceil(m.textChars / CHARS_PER_TOKEN);
  const since = m.firstTokenAt ?? stream.startedAt;
  const tokensPerSecond = m.tokensPerSecond ?? (now > since && outputTokens > 0 ? (outputTokens * 1000) / (now - since) : undefined);
  const price = cost(stream);
  return {
    id: stream.id,
    tenantId: stream.tenantId,
    apiKeyId: stream.apiKeyId,
    provider: stream.providerName,
    model: stream.model,
    ...(stream.purpose ? { purpose: stream.purpose } : {}),
    state,
    startedAt: stream.startedAt,
    ageMs: durationMs,
    outputTokens,
    tokensEstimated,
    ...(tokensPerSecond !== undefined ? { tokensPerSecond } : {}),
    ...(m.ttftMs !== undefined ? { ttftMs: m.ttftMs } : {}),
    bytes: m.bytesSent,
    events: m.eventsSent,
    reconnects: m.reconnects,
    backpressureEvents: m.backpressureEvents,
    ...(price ? { costSoFar: price } : {}),
  };
}
