// @twin/client public API. Runtime code imports nothing from @twin/core (types only), so a browser
// bundle carries no zod, codecs or ciphers unless the app opts into `decode`.
export { createStreamClient } from './create-stream-client';
export type { StreamClient, StreamClientOptions } from './create-stream-client';
export { streamEvents } from './stream-events';
export type { StreamEventsInit } from './stream-events';
export type { StreamOptions, ClientTimers } from './stream-options';
export type { ReconnectOptions } from './backoff';
export { backoffDelay } from './backoff';
export type { ChunkOpener, ChunkOpenerFactory } from './chunk-opener';
export { applyClientEvent } from './apply-client-event';
export { IDLE_SNAPSHOT, isActive } from './stream-snapshot';
export type { StreamSnapshot, ClientStreamStatus, StreamClientMetrics, ToolCallState } from './stream-snapshot';
export type {
  ClientStreamEvent,
  ClientOpenEvent,
  ClientReconnectingEvent,
  ClientStartEvent,
  ClientChunkEvent,
  ClientResyncEvent,
  ClientCompleteEvent,
  ClientErrorEvent,
} from './client-event';
export { TwinClientError } from './twin-client-error';
export { parseWireEvent } from './parse-wire-event';
export type { WireEvent } from './parse-wire-event';
export { createChatStore } from './chat-store';
export type { ChatStore, ChatStoreOptions, ChatSnapshot, ChatToolCall } from './chat-store';
export { messageText } from './chat-message';
export type { ChatMessage, ChatPart, ChatTextPart, ChatReasoningPart, ChatToolPart, ChatAnswer } from './chat-message';
export { answerNumbers } from './answer-numbers';
export type { AnswerNumbers, AnswerBilling } from './answer-numbers';
export { toStreamMessages } from './to-stream-messages';
export { answerFromSnapshot } from './answer-from-snapshot';
