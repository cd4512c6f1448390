import { randomBytes } from 'node:crypto';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { describe, expect, it } from 'vitest';
import { createKeyring } from '../cipher/keyring';
import { createPayloadOpener } from '../payload/payload-opener';
import { createPayloadSealer } from '../payload/payload-sealer';
import type { SealedFields, StreamEvent, StreamState } from '../protocol/stream-event';
import { createConnectionWriter } from './connection-writer';
import { createStreamSession } from './stream-session';
import { applyEvents } from './test-apply-events';

const rnd = (n: number) => new Uint8Array(randomBytes(n));

/** The receiving side: parse SSE, open sealed content with the connection's opener, rebuild events. */
function receive(wire: string, opener: ReturnType<typeof createPayloadOpener>): StreamEvent[] {
  const messages: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (m) => messages.push(m) });
  parser.feed(wire);
  return messages.map((m) => {
    const data = JSON.parse(m.data) as Record<string, unknown> & { seq: number };
    if ((m.event === 'chunk' || m.event === 'resync') && typeof data.data === 'string') {
      const { codec, alg, kid, data: payload, ...clear } = data;
      const content = opener.open(m.event, data.seq, { codec, alg, kid, data: payload } as SealedFields) as object;
      return { type: m.event, data: { ...clear, ...content } } as StreamEvent;
    }
    return { type: m.event, data } as StreamEvent;
  });
}

describe('stream session + writer with the real payload sealer (deflate + AEAD)', () => {
  it('delivers the same state over a sealed connection, and a resumed connection with a fresh sealer resyncs to it', () => {
    const keyring = createKeyring([{ id: 'k1', key: rnd(32) }]);
    const newConnection = () => {
      const sealer = createPayloadSealer({ streamId: 's1', codec: 'deflate', cipher: { keyring, alg: 'xchacha20-poly1305' } });
      return { writer: createConnectionWriter({ streamId: 's1', sealer, codec: 'deflate', alg: 'xchacha20-poly1305', kid: 'k1' }), opener: createPayloadOpener({ streamId: 's1', keyring }) };
    };
    const session = createStreamSession({ streamId: 's1', provider: 'p', model: 'm', now: () => 0, config: { flush: { maxParts: 2 }, buffer: { replayWindowEvents: 3 } } });
    const first = newConnection();
    let wire = first.writer.write(session.start());
    for (const [i, word] of ['The ', 'secret ', 'plan ', 'is ', 'to ', 'ship.'].entries()) {
      wire += first.writer.write(session.push({ type: i === 2 ? 'reasoning-delta' : 'text-delta', text: word }, i));
    }
    wire += first.writer.write(session.push({ type: 'tool-call', toolCallId: 't', index: 0, toolName: 'f', args: { a: 1 }, argsText: '{"a":1}' }, 9));
    wire += first.writer.write(session.finish({}, 10));
    expect(wire).not.toContain('secret');

    const received = receive(wire, first.opener);
    expect(received.map((e) => e.type)).toEqual(['start', 'chunk', 'chunk', 'chunk', 'chunk', 'chunk', 'chunk', 'complete']);
    expect(received[0]!.type === 'start' && received[0]!.data).toMatchObject({ codec: 'deflate', alg: 'xchacha20-poly1305', kid: 'k1' });
    const state: StreamState = applyEvents({ text: '' }, received);
    expect(state).toEqual(session.getSnapshot().state);

    // A client that saw only start + the first chunk reconnects: out of window, so it gets a sealed resync + complete.
    const second = newConnection();
    const resumed = receive(second.writer.write(session.replayFrom(1)), second.opener);
    expect(resumed.map((e) => e.type)).toEqual(['resync', 'complete']);
    expect(applyEvents(applyEvents({ text: '' }, received.slice(0, 2)), resumed)).toEqual(session.getSnapshot().state);
  });
});
