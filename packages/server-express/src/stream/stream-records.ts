import { estimateInputTokens } from '@twin/core';
import type { LiveStream, LiveStreamDeps, LiveStreamInit } from './live-stream';

/** Queues the connection row and the `stream.start` audit event (with the prompt's token estimate, for a crash-time bill). */
export function queueStartRows(stream: LiveStream, deps: LiveStreamDeps, init: LiveStreamInit): void {
  deps.store.connectionsOpened.push({
    id: stream.id,
    tenantId: stream.tenantId,
    apiKeyId: stream.apiKeyId,
    provider: stream.providerName,
    model: stream.model,
    purpose: stream.purpose ?? null,
    status: 'streaming',
    createdAt: stream.createdAt,
    lastSeq: 0,
    metadata: init.metadata ?? null,
  });
  const inputTokens = deps.countTokens ? estimateInputTokens(init.request, deps.countTokens) : undefined;
  recordLifecycle(stream, deps, 'stream.start', { provider: stream.providerName, model: stream.model, ...(inputTokens !== undefined ? { inputTokens } : {}) }, stream.createdAt);
}

/** One event of the stream's life in the audit log (`stream_events`): start, resume, detach, detach_expired. */
export function recordLifecycle(stream: LiveStream, deps: LiveStreamDeps, type: string, data: Record<string, unknown>, at = new Date()): void {
  deps.store.events.push({ streamId: stream.id, tenantId: stream.tenantId, type, data, createdAt: at });
}
