// @twin/react public API: one hook over @twin/client's state machine.
export { useStream } from './use-stream';
export type { UseStreamOptions, UseStreamResult } from './use-stream';
export { useChat } from './use-chat';
export type { UseChatOptions, UseChatResult } from './use-chat';
export { bindClient } from './bind-client';
export type { ClientBinding } from './bind-client';
export type {
  StreamSnapshot,
  ClientStreamStatus,
  StreamClientMetrics,
  StreamClientOptions,
  ToolCallState,
  ChunkOpenerFactory,
  TwinClientError,
  ChatMessage,
  ChatPart,
  ChatToolPart,
  ChatAnswer,
  ChatSnapshot,
  ChatToolCall,
  AnswerNumbers,
  AnswerBilling,
} from '@twin/client';
export { answerNumbers, isActive, messageText } from '@twin/client';
