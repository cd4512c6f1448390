import { encodeSSE } from '@twin/core';

/** One request the fake server received. */
export interface ChatRequestRecord {
  method: string;
  url: string;
  lastEventId?: string;
  body?: { messages?: Array<{ role: string; content: unknown }>; [key: string]: unknown };
}

/** A scripted answer: events to stream (seq = index), or an HTTP error. `hold`: stream stays open after the events. */
export type ChatReply =
  | { events: Array<{ event: string; data: Record<string, unknown> }>; hold?: boolean }
  | { status: number; body: unknown };

/** The SSE text of a scripted stream from `from` (a resume skips what the client has). */
function sse(events: Array<{ event: string; data: Record<string, unknown> }>, from: number): string {
  let out = '';
  events.forEach((e, seq) => {
    if (seq >= from) out += encodeSSE({ id: seq, event: e.event, data: JSON.stringify({ v: 1, seq, ...e.data }) });
  });
  return out;
}

/**
 * An in-process `fetch` for chat-store tests: answers each stream request with the next scripted
 * reply (real `Response` and `ReadableStream` objects, no timers), resumes with `Last-Event-ID`
 * from the same script, and answers `DELETE` with the receipt from `cancelReceipt` — released only
 * when the test calls `releaseCancel()`, so a test decides when the stopped answer's receipt lands.
 */
export function chatFetch(replies: ChatReply[], cancelReceipt: Record<string, unknown> = { currency: 'USD', total: '0.0013', estimated: true }) {
  const requests: ChatRequestRecord[] = [];
  const byStream = new Map<string, ChatReply>();
  let next = 0;
  let release: () => void = () => undefined;
  const cancelGate = new Promise<void>((resolve) => (release = resolve));
  const fetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = String(input);
    const headers = (init.headers ?? {}) as Record<string, string>;
    const record: ChatRequestRecord = { method: init.method ?? 'GET', url, lastEventId: headers['last-event-id'] };
    if (typeof init.body === 'string') record.body = JSON.parse(init.body) as ChatRequestRecord['body'];
    requests.push(record);
    if (record.method === 'DELETE') {
      await cancelGate;
      return Response.json({ stream: { id: url.split('/').pop(), cost: cancelReceipt } });
    }
    const resumeId = new URL(url, 'http://x').searchParams.get('streamId');
    const reply = resumeId ? byStream.get(resumeId) : replies[next++];
    if (!reply) return Response.json({ error: { code: 'not_found', message: 'no script' } }, { status: 404 });
    if ('status' in reply) return Response.json(reply.body, { status: reply.status });
    const streamId = reply.events[0]?.data.streamId;
    if (typeof streamId === 'string') byStream.set(streamId, reply);
    const text = sse(reply.events, record.lastEventId === undefined ? 0 : Number(record.lastEventId) + 1);
    const signal = init.signal;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(text));
        if (!reply.hold) controller.close();
        signal?.addEventListener('abort', () => controller.error(new DOMException('aborted', 'AbortError')));
      },
    });
    return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
  };
  return { fetch: fetch as typeof globalThis.fetch, requests, releaseCancel: () => release() };
}

/** Events of one simulated answer: start, text chunks, complete with usage and receipt. */
export function answerEvents(streamId: string, texts: string[], complete: Record<string, unknown> = {}) {
  return [
    { event: 'start', data: { streamId, provider: 'simulated', model: 'sim-1', createdAt: '2026-01-01T00:00:00.000Z', simulated: true } },
    ...texts.map((text) => ({ event: 'chunk', data: { text } })),
    {
      event: 'complete',
      data: {
        finishReason: 'stop',
        usage: { inputTokens: 10, outputTokens: 7 },
        cost: { currency: 'USD', total: '0.0021', estimated: false, simulated: true },
        ...complete,
      },
    },
  ];
}
