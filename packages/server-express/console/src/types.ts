// Shapes of the admin API answers the console reads (see src/admin/* on the server).

export interface LiveRow {
  id: string;
  tenantId: string;
  apiKeyId: string;
  provider: string;
  model: string;
  purpose?: string;
  state: 'streaming' | 'detached' | 'resumed';
  startedAt: number;
  ageMs: number;
  outputTokens: number;
  tokensEstimated: boolean;
  tokensPerSecond?: number;
  ttftMs?: number;
  bytes: number;
  events: number;
  reconnects: number;
  backpressureEvents: number;
  costSoFar?: { currency: string; total: string; estimated: true };
}

export interface LiveSnapshot {
  at: number;
  streams: LiveRow[];
  stats: { activeStreams: number; openConnections: number; finished: number; errorRate: number; completionRate: number; abortRate: number };
  network: { dropsLastHour: number; resumesLastHour: number; stallsLastHour: number };
}

export interface BillingRecord {
  id: string;
  streamId: string;
  tenantId: string;
  apiKeyId?: string;
  provider: string;
  model: string;
  purpose?: string;
  state: string;
  endReason?: string;
  startedAt: string;
  endedAt?: string;
  inputTokens?: number;
  outputTokens?: number;
  usageEstimated: boolean;
  usageMissing: boolean;
  durationMs: number;
  bytes: number;
  connections?: number;
  currency: string;
  lines?: Record<string, unknown> & { total?: string };
}

export interface UsageTotals {
  count: number;
  inputTokens: number;
  outputTokens: number;
  bytes: number;
  durationMs: number;
  cost: Record<string, string>;
}

export interface UsageReport {
  from: string;
  to: string;
  currency: string;
  groupBy: string[];
  groups: Array<UsageTotals & { key: Record<string, string> }>;
  totals: UsageTotals;
  trend?: Record<string, string>;
  projection?: Record<string, string>;
}
