import { createStreamSession, openBillingRecord, type StreamBillingRecord, type StreamSession } from '@twin/core';
import type { LiveStreamDeps, LiveStreamInit } from './live-stream-deps';

// What a live stream opens with, built from its request in one place (the stream's constructor
// keeps only its own fields): the core session that meters it and its billing record as opened.

/** A stream's core session and its billing record as opened (finalized when the stream ends). */
export interface StreamOpening {
  session: StreamSession;
  /** Core's model of the record and its idempotency key. */
  openRecord: StreamBillingRecord;
}

/** The session and the opened billing record of the stream `init` describes, created at `createdAt`. */
export function streamOpening(init: LiveStreamInit, deps: LiveStreamDeps, createdAt: Date): StreamOpening {
  const session = createStreamSession({
    streamId: init.id,
    provider: init.provider.name,
    model: init.model,
    config: deps.config,
    now: Date.now,
    createdAt,
    ...(init.provider.simulated ? { simulated: true } : {}),
  });
  const openRecord = openBillingRecord({
    id: init.billingRecordId,
    streamId: init.id,
    tenantId: init.tenantId,
    apiKeyId: init.apiKeyId,
    ...(init.userId ? { userId: init.userId } : {}),
    provider: init.provider.name,
    model: init.model,
    ...(init.purpose ? { purpose: init.purpose } : {}),
    currency: 'USD',
    startedAt: createdAt,
  });
  return { session, openRecord };
}
