import { createOpenAI } from '@ai-sdk/openai';
import { generateText, jsonSchema, streamText } from 'ai';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { OpenedDatabase } from '../src/index';
import { billedAmounts, finalRecord, nativeCall, startCompatServer } from './compat-test-server';
import { fetchJson } from './read-sse';
import { openTestDatabase, type TestServer } from './test-server';

let db: OpenedDatabase;
let t: TestServer;
beforeAll(async () => {
  db = await openTestDatabase();
  t = await startCompatServer(db);
});
afterAll(async () => {
  await t?.close();
  await db?.close();
});

const system = 'You are terse.';
const messages = [{ role: 'user' as const, content: 'Tell me about the AI SDK.' }];
const nativeBody = { provider: 'simulated', model: 'sim-1', messages: [{ role: 'system', content: system }, ...messages] };

/** The newest final record of the key's tenant (the AI SDK does not surface Twin's extra fields). */
async function newestRecordId(key: string): Promise<string> {
  const { json } = await fetchJson(`${t.url}/api/billing/records?state=final&limit=1`, { key });
  return json.records[0].streamId as string;
}

describe('the Vercel AI SDK as a client of the OpenAI door (@ai-sdk/openai with baseURL)', () => {
  const openai = () => createOpenAI({ baseURL: `${t.url}/v1`, apiKey: t.keys.t1 });

  it('streamText gives the text and usage of the same native call, and the same bill', async () => {
    const native = await nativeCall(t, t.keys.t1, nativeBody);
    const result = streamText({ model: openai().chat('simulated/sim-1'), system, messages, maxRetries: 0 });
    let streamed = '';
    for await (const delta of result.textStream) streamed += delta;
    expect(streamed).toBe(native.text);
    expect(await result.text).toBe(native.text);
    const usage = await result.usage;
    expect(usage.inputTokens).toBe(native.usage.inputTokens);
    expect(usage.outputTokens).toBe(native.usage.outputTokens);
    expect(await result.finishReason).toBe('stop');
    const record = await finalRecord(t, t.keys.t1, await newestRecordIdAfter(native.record.streamId as string));
    expect(billedAmounts(record)).toEqual(billedAmounts(native.record));
  });

  it('generateText (non-streamed) and tool calls come through as the SDK expects', async () => {
    const native = await nativeCall(t, t.keys.t1, nativeBody);
    const result = await generateText({ model: openai().chat('simulated/sim-1'), system, messages, maxRetries: 0 });
    expect(result.text).toBe(native.text);
    expect(result.usage.outputTokens).toBe(native.usage.outputTokens);

    const tools = streamText({
      model: openai().chat('tooly/tool-1'),
      prompt: 'Weather in Zürich?',
      tools: {
        get_weather: { inputSchema: jsonSchemaOf({ city: 'string' }) },
        get_time: { inputSchema: jsonSchemaOf({ tz: 'string' }) },
      },
      maxRetries: 0,
    });
    const calls = await tools.toolCalls;
    expect(calls.map((c) => [c.toolName, c.input])).toEqual([
      ['get_weather', { city: 'Zürich' }],
      ['get_time', { tz: 'Europe/Zurich' }],
    ]);
    expect(await tools.finishReason).toBe('tool-calls');
  });
});

/** The stream id of the newest record once it is not `previous` (the AI SDK's call finishes billing just after its response ends). */
async function newestRecordIdAfter(previous: string): Promise<string> {
  return vi.waitFor(
    async () => {
      const id = await newestRecordId(t.keys.t1);
      if (id === previous) throw new Error('no new billing record');
      return id;
    },
    { timeout: 60_000, interval: 20 },
  );
}

function jsonSchemaOf(properties: Record<string, 'string'>) {
  return jsonSchema({ type: 'object', properties: Object.fromEntries(Object.entries(properties).map(([k, type]) => [k, { type }])) });
}
