import {
  createStreamSession,
  openBillingRecord,
  type OpenBillingRecordInput,
  type StreamBillingRecord,
  type StreamSession,
  type StreamSessionOptions,
} from '@twin/core';
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
  // Optional fields assigned, not spread from `cond ? { … } : {}` (an object per absent field,
  // on every stream's opening). `deps.config` is resolved once by the service: not parsed here.
  const options: StreamSessionOptions = { streamId: init.id, provider: init.provider.name, model: init.model, config: deps.config, now: Date.now, createdAt };
  if (init.provider.simulated) options.simulated = true;
  const session = createStreamSession(options);
  const input: OpenBillingRecordInput = {
    id: init.billingRecordId,
    streamId: init.id,
    tenantId: init.tenantId,
    apiKeyId: init.apiKeyId,
    provider: init.provider.name,
    model: init.model,
    currency: 'USD',
    startedAt: createdAt,
  };
  if (init.userId) input.userId = init.userId;
  if (init.purpose) input.purpose = init.purpose;
  return { session, openRecord: openBillingRecord(input) };
}
