import type { CompleteEventData, CostReceipt } from '../protocol/stream-event';

/**
 * Twin's own fields on a compatible answer (the final usage chunk, the `message_delta`, the JSON of a
 * non-streamed answer): which Twin stream it was, who served it and what it cost. Official clients
 * ignore unknown fields, so they pass through them untouched.
 */
export interface TwinAnswerInfo {
  stream_id: string;
  /** Provider and model that served the stream (after any fallback). */
  provider?: string;
  model?: string;
  cost?: CostReceipt;
  /** The usage was counted with a tokenizer because the provider reported none. */
  usage_estimated?: true;
}

export function twinAnswerInfo(streamId: string, complete: Pick<CompleteEventData, 'provider' | 'model' | 'cost' | 'usage'>): TwinAnswerInfo {
  return {
    stream_id: streamId,
    ...(complete.provider ? { provider: complete.provider } : {}),
    ...(complete.model ? { model: complete.model } : {}),
    ...(complete.cost ? { cost: complete.cost } : {}),
    ...(complete.usage?.estimated ? { usage_estimated: true as const } : {}),
  };
}
