import { describe, expect, it } from 'vitest';
import { fetchJson, openSSE } from './read-sse';
import { useTestServer } from './test-server';

// The server's own token counter (gpt-tokenizer's o200k_base), as twin-server runs, not the test
// server's length-based one: it estimates every prompt when its stream starts.
const t = useTestServer({ service: { countTokens: undefined } });

describe('a prompt that names a special token', () => {
  it('streams and bills `<|endoftext|>` in a prompt as the plain text it is (it was a 500 before any content)', async () => {
    const prompt = 'What does <|endoftext|> mean at the end of <|endofprompt|>?';
    const r = await openSSE(`${t.url}/api/stream?prompt=${encodeURIComponent(prompt)}`, { headers: { authorization: `Bearer ${t.keys.t1}` } });
    await r.done;
    expect(r.status, r.errorBody).toBe(200);
    expect(r.events.map((e) => e.event)).toContain('chunk');
    expect(r.events.at(-1)!.event).toBe('complete');
    const streamId = (r.events[0]!.json as { streamId: string }).streamId;
    const billed = async () => {
      const { json } = await fetchJson(`${t.url}/api/billing/records`, { key: t.keys.t1 });
      return (json.records as { streamId: string; state: string }[]).find((record) => record.streamId === streamId)?.state;
    };
    await expect.poll(billed).toBe('final');
  });
});
