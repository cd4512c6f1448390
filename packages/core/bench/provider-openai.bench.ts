/**
 * Issue #3 "done when": one recorded OpenAI Chat Completions stream parsed by Twin's adapter and by
 * `@ai-sdk/openai` in the same run, each given a `fetch` that serves the same bytes.
 *
 * The stream is a recorded-format transcript (the shape of test/fixtures/openai-chat/text.sse:
 * same chunk fields, `stream_options.include_usage` usage chunk, `data: [DONE]`) scaled to 3,000
 * content chunks of mixed ASCII / UTF-8 text, served in 16 KiB reads. Peers:
 * - twin (fetch): `createOpenAIChatProvider({ baseURL, env: { fetch } })` — eventsource-parser + plain guards;
 * - twin (openai SDK client): `createOpenAIChatProvider({ client: new OpenAI({ fetch }) })` — the SDK parses SSE;
 * - @ai-sdk/openai: `createOpenAI({ fetch }).chat(model).doStream(...)`, drained.
 *
 * Prints medians (tinybench p50), MB/s (1 MB = 1,000,000 bytes), µs per chunk and the ratios.
 * Run: `pnpm --filter @twin/core bench` or `pnpm exec tsx packages/core/bench/provider-openai.bench.ts`.
 */
import { createOpenAI } from '@ai-sdk/openai';
import OpenAI from 'openai';
import { Bench } from 'tinybench';
import { createOpenAIChatProvider, type StreamPart } from '../src/index';

const utf8 = new TextEncoder();
const CHUNKS = 3_000;
const VOCAB = 'The adapter turns every chunk into parts ; streaming keeps latency low , and usage is exact — Ünïcödé 漢字 🎉 42'.split(' ');
let seed = 3;
const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);

const head = '"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","object":"chat.completion.chunk","created":1741570283,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_eb9dce56a8"';
const frame = (rest: string) => `data: {${head},${rest}}\n\n`;
let sse = frame('"choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null');
let expectedText = '';
for (let i = 0; i < CHUNKS; i++) {
  const text = ' ' + VOCAB[Math.floor(random() * VOCAB.length)];
  expectedText += text;
  sse += frame(`"choices":[{"index":0,"delta":{"content":${JSON.stringify(text)}},"logprobs":null,"finish_reason":null}],"usage":null`);
}
sse += frame('"choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null');
sse += frame(
  `"choices":[],"usage":{"prompt_tokens":19,"completion_tokens":${CHUNKS},"total_tokens":${CHUNKS + 19},"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}`,
);
sse += 'data: [DONE]\n\n';
const BYTES = utf8.encode(sse);
const READ = 16 * 1024;
const PIECES: Uint8Array[] = [];
for (let i = 0; i < BYTES.length; i += READ) PIECES.push(BYTES.subarray(i, i + READ));

/** A fetch that answers with the recorded bytes, one 16 KiB read at a time. */
const replayFetch: typeof fetch = async () => {
  let i = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const piece = PIECES[i++];
      if (piece) controller.enqueue(piece);
      else controller.close();
    },
  });
  return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
};

const request = { model: 'gpt-4o', messages: [{ role: 'user' as const, content: 'hi' }] };
const twinFetch = createOpenAIChatProvider({ baseURL: 'http://bench.invalid/v1', apiKey: 'sk-bench', env: { fetch: replayFetch } });
const twinSdk = createOpenAIChatProvider({ client: new OpenAI({ apiKey: 'sk-bench', baseURL: 'http://bench.invalid/v1', fetch: replayFetch, maxRetries: 0 }) });
const aiSdk = createOpenAI({ apiKey: 'sk-bench', baseURL: 'http://bench.invalid/v1', fetch: replayFetch }).chat('gpt-4o');

async function drainTwin(provider: typeof twinFetch): Promise<string> {
  let text = '';
  let end: StreamPart | undefined;
  for await (const part of provider.stream(request)) {
    if (part.type === 'text-delta') text += part.text;
    end = part;
  }
  if (end?.type !== 'finish') throw new Error(`twin stream did not finish: ${JSON.stringify(end)}`);
  return text;
}

async function drainAiSdk(): Promise<string> {
  const { stream } = await aiSdk.doStream({ prompt: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], includeRawChunks: false });
  const reader = stream.getReader();
  let text = '';
  let finished = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (value.type === 'text-delta') text += value.delta;
    else if (value.type === 'finish') finished = true;
  }
  if (!finished) throw new Error('ai-sdk stream did not finish');
  return text;
}

// Sanity: all three peers read the same text from the same bytes before anything is timed.
for (const [name, text] of [
  ['twin (fetch)', await drainTwin(twinFetch)],
  ['twin (openai SDK client)', await drainTwin(twinSdk)],
  ['@ai-sdk/openai', await drainAiSdk()],
] as const) {
  if (text !== expectedText) throw new Error(`${name} read different text`);
}

const TASKS = {
  twinFetch: 'twin adapter (fetch + eventsource-parser)',
  twinSdk: 'twin adapter (official openai client)',
  aiSdk: '@ai-sdk/openai chat doStream',
};
const bench = new Bench({ name: 'provider-openai', time: 3_000, iterations: 20, warmup: true, warmupTime: 500, warmupIterations: 5 });
bench
  .add(TASKS.twinFetch, async () => void (await drainTwin(twinFetch)))
  .add(TASKS.twinSdk, async () => void (await drainTwin(twinSdk)))
  .add(TASKS.aiSdk, async () => void (await drainAiSdk()));
await bench.run();

const medianMs = (name: string): number => {
  const result = bench.tasks.find((t) => t.name === name)?.result;
  if (result === undefined || !('latency' in result)) throw new Error(`bench task ${name} did not complete`);
  return result.latency.p50;
};
const chunks = CHUNKS + 3; // role chunk + content chunks + finish chunk + usage chunk
console.log(`\nprovider-openai bench: one recorded chat stream, ${BYTES.length} bytes, ${chunks} chunks (+ [DONE]), served in ${READ}-byte reads`);
console.table(
  Object.values(TASKS).map((name) => {
    const ms = medianMs(name);
    return { task: name, 'median ms': ms.toFixed(3), 'MB/s': (BYTES.length / 1e6 / (ms / 1e3)).toFixed(1), 'µs/chunk': ((ms * 1000) / chunks).toFixed(2) };
  }),
);
const ratio = (a: string, b: string) => (medianMs(b) / medianMs(a)).toFixed(2);
console.log('throughput ratios vs @ai-sdk/openai (> 1 means twin is faster; target ≥ 3):');
console.log(`  twin (fetch)               ${ratio(TASKS.twinFetch, TASKS.aiSdk)}×`);
console.log(`  twin (openai SDK client)   ${ratio(TASKS.twinSdk, TASKS.aiSdk)}×`);
