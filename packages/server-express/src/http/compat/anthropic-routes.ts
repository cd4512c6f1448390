import type { ServerResponse } from 'node:http';
import { anthropicAnswer, anthropicError, anthropicMessagesRequestSchema, anthropicMessagesRequestToTwin, compatErrorInput, createAnthropicMessagesWriter } from '@twin/core';
import { readJsonBody, sendJson, validate } from '../http-util';
import { openSSEResponse } from '../sse-response';
import type { RouteContext } from '../stream-routes';
import { jsonAnswerFormat, retryAfterHeader } from './json-answer-format';
import { startCompatStream } from './start-compat-stream';

/**
 * `POST /v1/messages`: Anthropic's Messages API, streamed (`stream: true`) or as one JSON message.
 * The `anthropic-version` header is accepted and not needed: there is one version of the format.
 */
export async function postMessages(ctx: RouteContext): Promise<void> {
  const body = validate(anthropicMessagesRequestSchema, await readJsonBody(ctx.req), 'request');
  const request = anthropicMessagesRequestToTwin(body);
  await startCompatStream(ctx, request, (streamId) => {
    const ids = { id: `msg_${streamId}`, model: request.model, streamId };
    if (!request.stream) return jsonAnswerFormat((answer) => anthropicAnswer(answer, ids));
    return {
      createWriter: (options) => createAnthropicMessagesWriter({ ...ids, ...(options.onWrite ? { onWrite: options.onWrite } : {}) }),
      openResponse: openSSEResponse,
      resumable: false,
    };
  });
}

/** Errors of the Anthropic door in Anthropic's shape (`{ type: 'error', error: { type, message } }`). */
export function sendAnthropicError(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const input = compatErrorInput(error);
  sendJson(res, input.status, anthropicError(input), retryAfterHeader(input.payload.retryAfterMs));
}
