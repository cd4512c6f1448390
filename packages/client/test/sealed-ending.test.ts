import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createConnectionWriter,
  createKeyring,
  createPayloadOpener,
  createPayloadSealer,
  createStreamBuffer,
  streamConfigSchema,
  type StreamEvent,
} from '@twin/core';
import { streamEvents, type ClientStreamEvent } from '@twin/client';
import { collect } from './collect';

/**
 * Protocol 2 encrypted streams, made by @twin/core's buffer, writer and sealer exactly as the
 * server makes them, then cut by an on-path attacker: a dropped, truncated or renumbered tail, or a
 * stripped seal, must never be shown as a complete answer; each ends in a typed error.
 */
const keyring = createKeyring([{ id: 'k1', key: new Uint8Array(randomBytes(32)) }]);
const decode = ({ streamId }: { streamId: string }) => createPayloadOpener({ streamId, keyring });
const STREAM = 'str_sealedending01';

/** The SSE frames of a 5-chunk encrypted stream, one string per event. */
function frames(): string[] {
  const buffer = createStreamBuffer(streamConfigSchema.parse({ flush: { maxParts: 1 } }));
  const events: StreamEvent[] = [...buffer.start({ streamId: STREAM, provider: 'p', model: 'm', createdAt: '2026-01-01T00:00:00Z' })];
  for (const [i, word] of ['The ', 'answer ', 'is ', 'not ', 'forty-two'].entries()) events.push(...buffer.push({ type: 'text-delta', text: word }, i * 100));
  events.push(...buffer.tick(10_000), ...buffer.complete({ finishReason: 'stop' }));
  const sealer = createPayloadSealer({ streamId: STREAM, codec: 'identity', cipher: { keyring, alg: 'xchacha20-poly1305' } });
  const writer = createConnectionWriter({ streamId: STREAM, sealer, alg: 'xchacha20-poly1305', kid: 'k1' });
  return events.map((e) => writer.write([e]));
}

let server: Server | undefined;
afterEach(() => server?.close());

/** Serves `body` once as an event stream and returns the client's events (no reconnects). */
async function receive(body: string): Promise<ClientStreamEvent[]> {
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return collect(streamEvents({ url, decode, reconnect: false }));
}

const textOf = (events: ClientStreamEvent[]) => events.map((e) => (e.type === 'chunk' ? (e.content.text ?? '') : '')).join('');
const ending = (events: ClientStreamEvent[]) => events.at(-1)!;

describe('sealed endings (protocol 2)', () => {
  it('an untouched encrypted stream completes, its ending opened from its seal', async () => {
    const events = await receive(frames().join(''));
    expect(textOf(events)).toBe('The answer is not forty-two');
    expect(ending(events)).toMatchObject({ type: 'complete', data: { finishReason: 'stop' } });
  });

  it('the ending altered in clear is not believed: the sealed fields win', async () => {
    const all = frames();
    all[all.length - 1] = all.at(-1)!.replace('"finishReason":"stop"', '"finishReason":"length"');
    expect(ending(await receive(all.join('')))).toMatchObject({ type: 'complete', data: { finishReason: 'stop' } });
  });

  it('a dropped tail is detected: a gap before the ending (stream_truncated), or the ending renumbered to close it (decrypt_failed)', async () => {
    const all = frames();
    const dropped = [...all.slice(0, 4), all.at(-1)!];
    const gap = await receive(dropped.join(''));
    expect(ending(gap)).toMatchObject({ type: 'error', error: { code: 'stream_truncated' } });
    expect(gap.some((e) => e.type === 'complete')).toBe(false);

    const last = all.length - 1;
    const renumbered = [...all.slice(0, 4), all.at(-1)!.replace(`:${last}\n`, ':4\n').replace(`"seq":${last}`, '"seq":4')];
    const forged = await receive(renumbered.join(''));
    expect(ending(forged)).toMatchObject({ type: 'error', error: { code: 'decrypt_failed', retryable: false } });
    expect(textOf(forged)).toBe('The answer is ');
  });

  it('a truncated stream (cut before or inside its ending) is never complete', async () => {
    const all = frames().join('');
    for (const cut of [all.lastIndexOf('id: '), all.length - 40]) {
      const events = await receive(all.slice(0, cut));
      expect(ending(events)).toMatchObject({ type: 'error', error: { code: 'stream_truncated' } });
      expect(events.some((e) => e.type === 'complete')).toBe(false);
    }
  });

  it('an ending stripped of its seal is refused once the stream announced encryption (no option needed)', async () => {
    const all = frames();
    all[all.length - 1] = all.at(-1)!.replace(/,"seal":\{[^}]*\}/, '');
    const events = await receive(all.join(''));
    expect(ending(events)).toMatchObject({ type: 'error', error: { code: 'decrypt_failed' } });
  });
});
