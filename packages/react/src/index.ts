// @twin/react public API: one hook over @twin/client's state machine.
export { useStream } from './use-stream';
export type { UseStreamOptions, UseStreamResult } from './use-stream';
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
} from '@twin/client';
