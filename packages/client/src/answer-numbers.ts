import type { CostReceipt } from '@twin/core';
import type { ChatAnswer } from './chat-message';
import { isActive, type StreamSnapshot } from './stream-snapshot';

/**
 * What the server billed for an answer, as far as the client knows:
 * - `billed`: the server's receipt is here (`cost`);
 * - `pending`: the stream is in flight, or stopped and the answer to the cancel request (which
 *   carries the receipt) has not arrived yet;
 * - `not-billed`: the server answered the request with an HTTP error (a 401, a 400, a budget
 *   refusal) before any stream event: it bills only streams it started;
 * - `unknown`: the stream started (so the server holds a bill) but no receipt reached the client.
 */
export type AnswerBilling = 'billed' | 'pending' | 'not-billed' | 'unknown';

/** The numbers a UI shows for one answer, each from the most authoritative source there is. */
export interface AnswerNumbers {
  /** Output tokens: the server's count when it sent one, else the client's live estimate. */
  outputTokens: number;
  /** Input tokens, from the server only. */
  inputTokens?: number;
  /** True while the token counts are the client's own estimate (show them as such: `~31`). */
  estimated: boolean;
  /** The server's receipt (exact decimal strings); `cost.estimated` says the server estimated usage. */
  cost?: CostReceipt;
  billing: AnswerBilling;
}

/**
 * The numbers to show for an answer (a chat message's, or a stream client's snapshot). The
 * receipt's counts win over the `complete` event's usage, which wins over the client's estimate;
 * once the receipt is there they never change again.
 */
export function answerNumbers(answer: ChatAnswer | StreamSnapshot): AnswerNumbers {
  const cost = answer.cost;
  const usage = cost?.usage ?? answer.usage;
  const server = usage?.outputTokens;
  let billing: AnswerBilling;
  if (cost) billing = 'billed';
  else if (isActive(answer.status) || (answer.status === 'aborted' && answer.streamId)) billing = 'pending';
  // An HTTP error before any stream event: the server refused the request, so it started no stream.
  else if (answer.status === 'error' && !answer.streamId && answer.error?.status !== undefined) billing = 'not-billed';
  else billing = 'unknown';
  return {
    outputTokens: server ?? answer.metrics.outputTokens,
    ...(usage?.inputTokens !== undefined ? { inputTokens: usage.inputTokens } : {}),
    estimated: server === undefined,
    ...(cost ? { cost } : {}),
    billing,
  };
}
