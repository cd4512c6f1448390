import { TwinError, createUIMessageStreamWriter, uiChatRequestSchema, uiMessagesToMessages, type StreamRequest } from '@twin/core';
import type { WireFormat } from '../stream/wire-format';
import type { TwinService } from '../twin-service';
import { readJsonBody, validate } from './http-util';
import { negotiateEncoding } from './negotiate-encoding';
import { openSSEResponse } from './sse-response';
import { startValidatedStream, type RouteContext } from './stream-routes';

/**
 * The AI SDK's UI message stream on a Twin stream's connection: `data:` JSON chunks, `data: [DONE]`,
 * and the version header `useChat`'s default transport checks for.
 */
export const UI_MESSAGE_FORMAT: WireFormat = {
  createWriter: (options) => createUIMessageStreamWriter(options.onWrite ? { onWrite: options.onWrite } : {}),
  openResponse: openSSEResponse,
  headers: { 'X-Vercel-AI-UI-Message-Stream': 'v1' },
};

// The latest stream of each chat, per service and tenant: what `GET /api/chat/:id/stream` resumes.
// In memory and bounded: a chat whose entry is gone (or on another instance) gets 204, as an ended one does.
const MAX_CHATS = 10_000;
const chats = new WeakMap<TwinService, Map<string, string>>();
const chatKey = (tenantId: string, chatId: string) => `${tenantId}\u0000${chatId}`;

function remember(service: TwinService, key: string, streamId: string): void {
  let map = chats.get(service);
  if (!map) chats.set(service, (map = new Map()));
  map.delete(key);
  map.set(key, streamId);
  if (map.size > MAX_CHATS) map.delete(map.keys().next().value as string);
}

/**
 * `POST /api/chat`: the body an AI SDK `useChat` page posts (`{ id, messages, trigger, messageId }`,
 * plus Twin request fields such as `provider`, `model`, `tools` through the transport's `body`).
 * The answer is one Twin stream — authenticated, limited, budget-checked, metered, billed once —
 * written in the AI SDK's UI message stream format, with Twin's receipt in the message metadata.
 */
export async function postChat(ctx: RouteContext): Promise<void> {
  const body = validate(uiChatRequestSchema, await readJsonBody(ctx.req), 'request');
  if (body.options?.codec !== undefined || body.options?.encryption !== undefined) {
    throw new TwinError('invalid_request', 'Payload codecs and encryption are offered on /api/stream only.', { details: { field: 'options' } });
  }
  const messages = uiMessagesToMessages(body.messages);
  if (messages.length === 0) throw new TwinError('invalid_request', 'No message has content to send.', { details: { field: 'messages' } });
  const { id, messages: _ui, trigger: _trigger, messageId: _messageId, ...fields } = body;
  const request: StreamRequest = { ...fields, messages, metadata: { ...fields.metadata, chatId: id } };
  const streamId = await startValidatedStream(ctx, request, UI_MESSAGE_FORMAT);
  remember(ctx.service, chatKey(ctx.auth.tenantId, id), streamId);
  // Cluster mode: any instance finds the chat's stream (kept as long as a stream may run and be resumed).
  const cluster = ctx.service.hub.cluster;
  if (cluster) {
    const ttl = ctx.service.config.timeouts.maxDurationMs + ctx.service.config.timeouts.resumeGraceMs;
    cluster.node.redis.set(cluster.node.key('chat', ctx.auth.tenantId, id), streamId, 'PX', ttl).catch(() => {});
  }
}

/**
 * `GET /api/chat/:id/stream`: what `useChat({ resume: true })` asks after a reload. The chat's
 * stream, while it is still running, replayed from its start (the AI SDK rebuilds the message from
 * the replay); 204 when nothing is in flight.
 */
export async function resumeChat(ctx: RouteContext): Promise<void> {
  const cluster = ctx.service.hub.cluster;
  let streamId = chats.get(ctx.service)?.get(chatKey(ctx.auth.tenantId, ctx.params.id!));
  if (!streamId && cluster) streamId = (await cluster.node.redis.get(cluster.node.key('chat', ctx.auth.tenantId, ctx.params.id!)).catch(() => null)) ?? undefined;
  const stream = streamId ? ctx.service.hub.get(ctx.auth, streamId) : undefined;
  if (!stream && streamId && cluster) {
    // Another instance runs it: replay from the start through its log, then the live tail.
    const encoding = negotiateEncoding(ctx.req.headers['accept-encoding']);
    const done = await cluster.resume(ctx.auth, streamId, -1, ctx.req, ctx.res, encoding, () => ctx.checkpoint('lookup'), async () => true, UI_MESSAGE_FORMAT, true);
    if (done === 'relayed') return;
  }
  if (!stream?.isRunning) {
    ctx.res.writeHead(204, { 'Cache-Control': 'no-store' });
    ctx.res.end();
    return;
  }
  await ctx.service.hub.takeClusterSlot(ctx.auth, ctx.res);
  ctx.service.hub.resume(ctx.auth, stream.id, -1, ctx.req, ctx.res, negotiateEncoding(ctx.req.headers['accept-encoding']), UI_MESSAGE_FORMAT);
}
