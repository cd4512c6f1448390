import { vi } from 'vitest';
import { createSimulatedProvider, type Provider } from '@twin/core';
import { testBillingConfig } from '@twin/core/testing';
import type { OpenedDatabase } from '../src/index';
import { fetchJson, openSSE } from './read-sse';
import { startTestServer, type TestServer } from './test-server';

/**
 * Prices with no time or bandwidth lines, so two calls of the same request bill exactly the same
 * whatever their durations and wire formats (tokens + a fixed per-connection fee).
 */
export const TOKEN_PRICING = testBillingConfig({
  provider: 'simulated',
  model: 'sim-1',
  effectiveFrom: '2025-01-01T00:00:00Z',
  tokens: { inputPer1K: '0.5', outputPer1K: '1.5' },
  infrastructure: { perConnection: '0.001', perHour: '0' },
});

/** A simulated model that calls two tools after a short text. */
export function toolProvider(): Provider {
  return createSimulatedProvider({
    name: 'tooly',
    defaultModel: 'tool-1',
    tokensPerSecond: 0,
    text: 'Let me check.',
    toolCalls: [
      { name: 'get_weather', args: { city: 'Zürich' } },
      { name: 'get_time', args: { tz: 'Europe/Zurich' } },
    ],
  });
}

/** A test server with the simulated provider (fast), the tool provider and `extra`, priced by {@link TOKEN_PRICING}. */
export async function startCompatServer(db: OpenedDatabase, extra: Provider[] = [], service = {}): Promise<TestServer> {
  const t = await startTestServer(db, {
    providers: [createSimulatedProvider({ tokensPerSecond: 0, outputTokens: 24 }), toolProvider(), ...extra],
    service,
  });
  const put = await fetchJson(`${t.url}/api/billing/configs`, { method: 'PUT', key: t.keys.admin, body: TOKEN_PRICING });
  if (put.status !== 200) throw new Error(`pricing: ${put.status} ${put.text}`);
  return t;
}

/** A billing record as `GET /api/billing/records` lists it. */
export type BillingRecordJson = Record<string, unknown> & { streamId: string; lines: Record<string, string>; inputTokens: number; outputTokens: number };

/** The billing record of a stream, once final. */
export async function finalRecord(t: TestServer, key: string, streamId: string) {
  // Polls the condition; only the limit (far above a loaded machine's write-behind delay) is a clock.
  return vi.waitFor(
    async () => {
      const { json } = await fetchJson(`${t.url}/api/billing/records?state=final&limit=500`, { key });
      const record = (json.records as Array<BillingRecordJson>).find((r) => r.streamId === streamId);
      if (!record) throw new Error(`no final billing record for ${streamId}`);
      return record;
    },
    { timeout: 60_000, interval: 20 },
  );
}

/** The same request through Twin's own `/api/stream`: text, usage, receipt and bill, for comparison. */
export async function nativeCall(t: TestServer, key: string, body: Record<string, unknown>) {
  const sse = await openSSE(`${t.url}/api/stream`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body });
  await sse.done;
  const start = sse.events.find((e) => e.event === 'start')!.json as { streamId: string };
  const complete = sse.events.find((e) => e.event === 'complete')!.json as { usage: { inputTokens: number; outputTokens: number }; cost: { total: string } };
  const text = sse.events.filter((e) => e.event === 'chunk').map((e) => (e.json.text as string | undefined) ?? '').join('');
  return { text, usage: complete.usage, cost: complete.cost, record: await finalRecord(t, key, start.streamId) };
}

/** The parts of two bills that must agree for the same request through two doors. */
export function billedAmounts(record: { lines: Record<string, string>; inputTokens: number; outputTokens: number; provider?: unknown; model?: unknown }) {
  return { provider: record.provider, model: record.model, inputTokens: record.inputTokens, outputTokens: record.outputTokens, lines: record.lines };
}
