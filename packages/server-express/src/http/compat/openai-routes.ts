import type { ServerResponse } from 'node:http';
import { TwinError, compatErrorInput, createOpenAIChatWriter, openAIChatAnswer, openAIChatRequestSchema, openAIChatRequestToTwin, openAIError } from '@twin/core';
import { readJsonBody, sendJson, validate } from '../http-util';
import { openSSEResponse } from '../sse-response';
import type { RouteContext } from '../stream-routes';
import { listCompatModels, resolveCompatModel } from './compat-model';
import { jsonAnswerFormat, retryAfterHeader } from './json-answer-format';
import { startCompatStream } from './start-compat-stream';

/** `POST /v1/chat/completions`: OpenAI's Chat Completions, streamed (`stream: true`) or as one JSON answer. */
export async function postChatCompletions(ctx: RouteContext): Promise<void> {
  const body = validate(openAIChatRequestSchema, await readJsonBody(ctx.req), 'request');
  const request = openAIChatRequestToTwin(body);
  const created = Math.floor(Date.now() / 1000);
  await startCompatStream(ctx, request, (streamId) => {
    const ids = { id: `chatcmpl-${streamId}`, model: request.model, created, streamId };
    if (!request.stream) return jsonAnswerFormat((answer) => openAIChatAnswer(answer, ids));
    return {
      createWriter: (options) => createOpenAIChatWriter({ ...ids, includeUsage: request.includeUsage, ...(options.onWrite ? { onWrite: options.onWrite } : {}) }),
      openResponse: openSSEResponse,
      resumable: false,
    };
  });
}

/** `GET /v1/models`: the models this key may name. */
export async function listModels(ctx: RouteContext): Promise<void> {
  const aliases = ctx.service.router.aliases.map((id) => ({ id, object: 'model' as const, created: 0, owned_by: 'twin' }));
  const data = [...listCompatModels(ctx.service), ...aliases].filter((m) => keyMayUse(ctx.auth, m.id));
  sendJson(ctx.res, 200, { object: 'list', data });
}

/**
 * Whether the caller's key may name this model (`provider/model` or an alias): a key with
 * allow-lists sees only what they admit, as `/api/stream` enforces them.
 */
function keyMayUse(auth: RouteContext['auth'], id: string): boolean {
  const slash = id.indexOf('/');
  const provider = slash > 0 ? id.slice(0, slash) : undefined;
  if (auth.allowedProviders && provider !== undefined && !auth.allowedProviders.includes(provider)) return false;
  if (auth.allowedModels && !auth.allowedModels.includes(id) && !(slash > 0 && auth.allowedModels.includes(id.slice(slash + 1)))) return false;
  return true;
}

/** `GET /v1/models/{id}` (the id is `provider/model`, its slash raw or encoded). */
export async function getModel(ctx: RouteContext): Promise<void> {
  const id = ctx.params.id!;
  const { provider, model } = resolveCompatModel(ctx.service, id);
  if (!keyMayUse(ctx.auth, `${provider.name}/${model}`)) {
    throw new TwinError('not_found', `The model "${id}" does not exist or this key may not use it.`, { details: { field: 'model' } });
  }
  const entry = listCompatModels(ctx.service).find((m) => m.id === `${provider.name}/${model}`);
  sendJson(ctx.res, 200, entry ?? { id: `${provider.name}/${model}`, object: 'model', created: 0, owned_by: provider.name });
}

/** Errors of the OpenAI door in OpenAI's shape (`{ error: { message, type, param, code } }`) with its status and `Retry-After`. */
export function sendOpenAIError(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const input = compatErrorInput(error);
  sendJson(res, input.status, openAIError(input), retryAfterHeader(input.payload.retryAfterMs));
}
