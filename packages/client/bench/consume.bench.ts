/**
 * Client-side cost of consuming one streamed answer, beside the Vercel AI SDK's client pipeline on
 * the same content: 2,000 text deltas arriving as SSE bytes (in 4 kB network-sized pieces), read to
 * the final text.
 *
 * - Twin: `streamEvents` (fetch → its WHATWG event-stream parser → plain guards → seq de-dup) folded with
 *   `applyClientEvent` into snapshots — what `createStreamClient` does per event.
 * - AI SDK: `parseJsonEventStream` with `uiMessageChunkSchema` (zod) → `readUIMessageStream` — what
 *   `useChat`'s `DefaultChatTransport` does with a UI message stream response.
 *
 * Run: `pnpm --filter @twin/client bench` (tinybench; medians and the ratio printed).
 */
import { parseJsonEventStream, readUIMessageStream, uiMessageChunkSchema, type UIMessageChunk } from 'ai';
import { Bench } from 'tinybench';
import { applyClientEvent, IDLE_SNAPSHOT, streamEvents } from '../src/index';

const DELTAS = 2_000;
const words = Array.from({ length: DELTAS }, (_, i) => `w${i % 97} `);
const expected = words.join('');

const frames = (lines: string[]) => new TextEncoder().encode(lines.join(''));
const twinBody = frames([
  `id: 0\nevent: start\ndata: ${JSON.stringify({ v: 1, seq: 0, streamId: 's', provider: 'p', model: 'm', createdAt: '2026-01-01T00:00:00Z' })}\n\n`,
  ...words.map((w, i) => `id: ${i + 1}\nevent: chunk\ndata: ${JSON.stringify({ v: 1, seq: i + 1, text: w })}\n\n`),
  `id: ${DELTAS + 1}\nevent: complete\ndata: ${JSON.stringify({ v: 1, seq: DELTAS + 1, finishReason: 'stop', usage: { outputTokens: DELTAS } })}\n\n`,
]);
const aiBody = frames([
  `data: ${JSON.stringify({ type: 'start', messageId: 'm' })}\n\n`,
  `data: ${JSON.stringify({ type: 'text-start', id: 't' })}\n\n`,
  ...words.map((w) => `data: ${JSON.stringify({ type: 'text-delta', id: 't', delta: w })}\n\n`),
  `data: ${JSON.stringify({ type: 'text-end', id: 't' })}\n\n`,
  `data: ${JSON.stringify({ type: 'finish' })}\n\n`,
  'data: [DONE]\n\n',
]);

/** The body as a network would deliver it: a stream of 4 kB pieces. */
function body(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(at, (at += 4_096)));
    },
  });
}

async function twin(): Promise<string> {
  const fetch = async () => new Response(body(twinBody), { headers: { 'content-type': 'text/event-stream' } });
  let s = IDLE_SNAPSHOT;
  for await (const event of streamEvents({ url: 'http://bench/api/stream', fetch })) s = applyClientEvent(s, event, 0);
  return s.text;
}

async function aiSdk(): Promise<string> {
  const chunks = parseJsonEventStream({ stream: body(aiBody), schema: uiMessageChunkSchema }).pipeThrough(
    new TransformStream<{ success: boolean; value?: unknown }, UIMessageChunk>({
      transform(part, controller) {
        if (part.success) controller.enqueue(part.value as UIMessageChunk);
      },
    }),
  );
  let text = '';
  for await (const message of readUIMessageStream({ stream: chunks })) {
    const part = message.parts.find((p) => p.type === 'text');
    text = part && 'text' in part ? part.text : text;
  }
  return text;
}

// Both must produce the same answer, or the comparison means nothing.
if ((await twin()) !== expected || (await aiSdk()) !== expected) throw new Error('consume bench: a pipeline did not reproduce the text');

const bench = new Bench({ name: 'consume', time: 2_000, warmup: true, warmupTime: 500 });
bench.add('twin: streamEvents + applyClientEvent', twin).add('ai: parseJsonEventStream + readUIMessageStream', aiSdk);
await bench.run();

const median = (name: string) => {
  const result = bench.tasks.find((t) => t.name === name)?.result;
  if (result === undefined || !('latency' in result)) throw new Error(`bench task ${name} did not complete`);
  return result.latency.p50;
};
const t = median('twin: streamEvents + applyClientEvent');
const a = median('ai: parseJsonEventStream + readUIMessageStream');
console.log(`\nconsume one streamed answer: ${DELTAS} text deltas as SSE bytes → final text (tinybench medians)`);
console.table([
  { pipeline: 'twin: streamEvents + applyClientEvent', 'median ms': t.toFixed(2), 'µs per delta': ((t * 1000) / DELTAS).toFixed(2) },
  { pipeline: 'ai: parseJsonEventStream + readUIMessageStream', 'median ms': a.toFixed(2), 'µs per delta': ((a * 1000) / DELTAS).toFixed(2) },
]);
console.log(`ratio ai / twin: ${(a / t).toFixed(2)}×`);
