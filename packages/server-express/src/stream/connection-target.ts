import type { SSEResponse } from '../http/sse-response';

// The side of a stream an SSE connection talks to, shared by a stream this instance runs
// (LiveStream) and a relay of one another instance runs (StreamRelay).

/** What a connection reports to: a stream this instance runs, or a relay of one another instance runs. */
export interface ConnectionTarget {
  readonly id: string;
  readonly tenantId: string;
  readonly isRunning: boolean;
  detach(response: SSEResponse, graceMs: number): void;
  onOverflow(): void;
  onDrain(): void;
  recordWritten(bytes: number, events: number): void;
}
