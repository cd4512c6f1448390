import { createParser, type EventSourceMessage } from 'eventsource-parser';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { streamConfigSchema } from '../protocol/stream-config';
import type { StreamEvent } from '../protocol/stream-event';
import { streamEventDataSchemas } from '../protocol/stream-event';
import { formatEventId } from '../protocol/event-id';
import { encodeSSE } from '../sse/encode-sse';
import { safeParseJSON } from '../util/safe-parse-json';
import type { PayloadSealer } from '../payload/payload-sealer';
import { createConnectionWriter } from './connection-writer';
import { createStreamBuffer } from './stream-buffer';

function streamOf(deltas: string[]): StreamEvent[] {
  const buffer = createStreamBuffer(streamConfigSchema.parse({ flush: { maxParts: 3 } }));
  const events = buffer.start({ streamId: 's', provider: 'p', model: 'm', createdAt: '2026-01-01T00:00:00.000Z' });
  deltas.forEach((text, i) => events.push(...buffer.push({ type: 'text-delta', text }, i)));
  events.push(...buffer.push({ type: 'reasoning-delta', text: 'hmm' }, 99));
  events.push(...buffer.complete({ finishReason: 'stop' }));
  return events;
}

function parse(text: string, cuts: number[]): EventSourceMessage[] {
  const out: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (e) => out.push(e) });
  let start = 0;
  for (const cut of [...cuts, text.length]) {
    parser.feed(text.slice(start, cut));
    start = cut;
  }
  return out;
}

describe('ConnectionWriter', () => {
  it('writes each event as id: streamId:seq, event: type, data: JSON, exactly as encodeSSE would, and a parser gives back every event', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 6 }), { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 6 }), (deltas, rawCuts) => {
        const events = streamOf(deltas);
        const text = createConnectionWriter({ streamId: 's' }).write(events);
        const expected = events.map((e) => (e.type === 'heartbeat' ? '' : encodeSSE({ id: formatEventId('s', e.data.seq), event: e.type, data: JSON.stringify(e.data) }))).join('');
        expect(text).toBe(expected);
        const cuts = [...new Set(rawCuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
        const parsed = parse(text, cuts);
        expect(parsed.map((m) => ({ id: m.id, event: m.event }))).toEqual(events.map((e) => ({ id: e.type === 'heartbeat' ? '' : `s:${e.data.seq}`, event: e.type })));
        parsed.forEach((message, i) => {
          const event = events[i]!;
          const result = safeParseJSON(message.data, streamEventDataSchemas[message.event as 'start']);
          expect(result.success).toBe(true);
          expect(JSON.parse(message.data)).toEqual(event.type === 'heartbeat' ? undefined : event.data);
        });
      }),
      { numRuns: 200 },
    );
  }, 60_000);

  it('writes a plain text chunk of another protocol version with its own version, as JSON.stringify would', () => {
    const events = [
      { type: 'chunk', data: { v: 1, seq: 7, text: 'old "one"' } },
      { type: 'chunk', data: { v: 2, seq: 8, reasoning: 'new' } },
    ] as unknown as StreamEvent[];
    const text = createConnectionWriter({ streamId: 's' }).write(events);
    const frames = [
      { seq: 7, data: { v: 1, seq: 7, text: 'old "one"' } },
      { seq: 8, data: { v: 2, seq: 8, reasoning: 'new' } },
    ].map(({ seq, data }) => encodeSSE({ id: formatEventId('s', seq), event: 'chunk', data: JSON.stringify(data) }));
    expect(text).toBe(frames.join(''));
  });

  it('writes the retry hint once, before the first event, and heartbeats as comments', () => {
    const writer = createConnectionWriter({ streamId: 's', retryMs: 1500 });
    const events = streamOf(['a']);
    expect(writer.write(events.slice(0, 1))).toMatch(/^retry: 1500\n\nid: s:0\nevent: start\n/);
    expect(writer.write(events.slice(1, 2))).toMatch(/^id: s:1\n/);
    expect(writer.heartbeat()).toBe(': hb\n\n');
    expect(writer.write([{ type: 'heartbeat' }])).toBe(': hb\n\n');
  });

  it('never writes `retry: 0` (every client would reconnect at once): no hint instead', () => {
    const writer = createConnectionWriter({ streamId: 's', retryMs: 0 });
    expect(writer.write(streamOf(['a']).slice(0, 1))).toMatch(/^id: s:0\nevent: start\n/);
  });

  it('reports the UTF-8 bytes it produced (not UTF-16 length) and the events written', () => {
    const reports: Array<[number, number]> = [];
    const writer = createConnectionWriter({ streamId: 's', onWrite: (bytes, events) => reports.push([bytes, events]) });
    const events = streamOf(['😀é', 'x']);
    const text = writer.write(events) + writer.heartbeat();
    const bytes = new TextEncoder().encode(text).length;
    expect(bytes).toBeGreaterThan(text.length);
    expect(writer.bytesWritten).toBe(bytes);
    expect(reports.reduce((sum, [b]) => sum + b, 0)).toBe(bytes);
    expect(writer.eventsWritten).toBe(events.length);
    expect(reports.at(-1)).toEqual([6, 0]);
  });

  it('counts the UTF-8 bytes of any text on the fast path: escapes, lone surrogates, reasoning, a retry hint, one event or many per write', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', minLength: 1 }), { minLength: 1, maxLength: 6 }), fc.boolean(), (deltas, batched) => {
        const writer = createConnectionWriter({ streamId: 's', retryMs: 1500 });
        const events = streamOf(deltas);
        const text = batched ? writer.write(events) : events.map((e) => writer.write([e])).join('');
        expect(writer.bytesWritten).toBe(new TextEncoder().encode(text).length);
      }),
    );
  });

  it('seals chunk and resync content with the connection sealer, keeping v, seq (and reason) in clear, and announces codec, alg and kid in start', () => {
    const calls: Array<[string, number, object]> = [];
    // A reversible stand-in sealer: base64 of the JSON, so the test can check what was sealed.
    const sealer: PayloadSealer = {
      seal(event, seq, content) {
        calls.push([event, seq, content]);
        return { codec: 'identity', alg: 'aes-256-gcm', kid: 'k1', data: Buffer.from(JSON.stringify(content)).toString('base64') };
      },
    };
    const writer = createConnectionWriter({ streamId: 's', sealer, alg: 'aes-256-gcm', kid: 'k1' });
    const buffer = createStreamBuffer(streamConfigSchema.parse({ buffer: { replayWindowEvents: 1 } }));
    const events = [
      ...buffer.start({ streamId: 's', provider: 'p', model: 'm', createdAt: '2026-01-01T00:00:00.000Z' }),
      ...buffer.push({ type: 'text-delta', text: 'secret' }, 0),
      ...buffer.push({ type: 'text-delta', text: 'more' }, 100),
      ...buffer.tick(200),
    ];
    const replay = buffer.replayFrom(0);
    const parsed = parse(writer.write([...events, ...replay]), []);
    expect(JSON.parse(parsed[0]!.data)).toMatchObject({ seq: 0, alg: 'aes-256-gcm', kid: 'k1' });
    expect(JSON.parse(parsed[0]!.data).codec).toBeUndefined();
    const chunk = JSON.parse(parsed[1]!.data);
    expect(chunk).toEqual({ v: 2, seq: 1, codec: 'identity', alg: 'aes-256-gcm', kid: 'k1', data: expect.any(String) });
    expect(parsed[1]!.data).not.toContain('secret');
    expect(JSON.parse(Buffer.from(chunk.data, 'base64').toString())).toEqual({ text: 'secret' });
    const resync = JSON.parse(parsed[3]!.data);
    expect(parsed[3]!.event).toBe('resync');
    expect(resync).toMatchObject({ v: 2, seq: 2, reason: 'out_of_window', codec: 'identity' });
    expect(streamEventDataSchemas.resync.safeParse(resync).success).toBe(true);
    expect(calls).toEqual([
      ['chunk', 1, { text: 'secret' }],
      ['chunk', 2, { text: 'more' }],
      ['resync', 2, { text: 'secretmore' }],
    ]);
  });

  it('seals the terminal event of an encrypted connection as the last frame of its chain, keeping its fields readable', () => {
    const calls: Array<[string, number, object]> = [];
    const sealer: PayloadSealer = {
      seal(event, seq, content) {
        calls.push([event, seq, content]);
        return { codec: 'identity', alg: 'aes-256-gcm', kid: 'k1', data: Buffer.from(JSON.stringify(content)).toString('base64') };
      },
    };
    const buffer = createStreamBuffer(streamConfigSchema.parse({}));
    const events = [
      ...buffer.start({ streamId: 's', provider: 'p', model: 'm', createdAt: '2026-01-01T00:00:00.000Z' }),
      ...buffer.push({ type: 'text-delta', text: 'secret' }, 0),
      ...buffer.complete({ finishReason: 'stop' }),
    ];
    const parsed = parse(createConnectionWriter({ streamId: 's', sealer, alg: 'aes-256-gcm', kid: 'k1' }).write(events), []);
    const complete = JSON.parse(parsed[2]!.data);
    expect(complete).toMatchObject({ v: 2, seq: 2, finishReason: 'stop', seal: { alg: 'aes-256-gcm', kid: 'k1' } });
    expect(streamEventDataSchemas.complete.safeParse(complete).success).toBe(true);
    expect(calls.at(-1)).toEqual(['complete', 2, { finishReason: 'stop' }]);
    // A codec-only connection (no cipher) has nothing to authenticate: its ending stays as it was.
    const encodedOnly = parse(createConnectionWriter({ streamId: 's', sealer, codec: 'gzip' }).write(events), []);
    expect(JSON.parse(encodedOnly[2]!.data).seal).toBeUndefined();
  });
});
