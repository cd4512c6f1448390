import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReferenceServer, type ReferenceServer } from '../../chat-react/test/reference-server';
import { askWithAiSdk } from '../src/with-ai-sdk';
import { askWithAnthropic } from '../src/with-anthropic-sdk';
import { askWithOpenAI } from '../src/with-openai-sdk';

// The built reference server (simulated provider, PGlite in a temp dir): the examples run against it
// exactly as a user runs them against `pnpm start`.
let server: ReferenceServer;
beforeAll(async () => {
  server = await startReferenceServer({ TWIN_SIMULATED_TOKENS_PER_SECOND: '500' });
});
afterAll(async () => {
  await server?.stop();
});

const question = 'What does a gateway add?';

async function records(): Promise<Array<{ streamId: string; state: string; inputTokens: number; outputTokens: number; lines?: { total: string } }>> {
  const res = await fetch(`${server.url}/api/billing/records?state=final&limit=100`, { headers: { authorization: `Bearer ${server.apiKey}` } });
  return ((await res.json()) as { records: never[] }).records;
}

describe('examples/openai-compatible against the reference server', () => {
  it('the three SDKs get the same answer and usage for the same question, and each call is billed once', async () => {
    const endpoint = { url: server.url, apiKey: server.apiKey };
    let printed = '';
    const openai = await askWithOpenAI(endpoint, question, (t) => (printed += t));
    const anthropic = await askWithAnthropic(endpoint, question, () => {});
    const aiSdk = await askWithAiSdk(endpoint, question, () => {});
    expect(openai.text.length).toBeGreaterThan(20);
    expect(printed).toBe(openai.text);
    // The simulated model is deterministic: same question, same answer, whichever door.
    expect(anthropic.text).toBe(openai.text);
    expect(aiSdk.text).toBe(openai.text);
    expect(anthropic.outputTokens).toBe(openai.outputTokens);
    expect(aiSdk.inputTokens).toBe(openai.inputTokens);
    expect(openai.cost).toMatch(/^\d+\.\d+$/);
    expect(anthropic.cost).toMatch(/^\d+\.\d+$/);
    await expect.poll(async () => (await records()).length, { timeout: 60_000 }).toBe(3);
    const billed = await records();
    expect(new Set(billed.map((r) => r.streamId)).size).toBe(3);
    expect(billed.every((r) => r.outputTokens === openai.outputTokens)).toBe(true);
  });
});
