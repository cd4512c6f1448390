import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createStreamClient, type ChunkOpenerFactory } from '@twin/client';
import type { ScriptedEvent } from './scripted-sse-server';
import { scriptedServerPerTest } from './scripted-server-per-test';

// A real AEAD (AES-256-GCM from node:crypto) stands in for the app's opener here: what is under test is
// the client's contract with ANY opener — a frame the opener refuses ends the stream in `error`, and
// no byte of it reaches the text. Core's own opener is exercised in its package and end to end.
const key = randomBytes(32);
function seal(streamId: string, seq: number, content: unknown): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(`${streamId}|chunk|${seq}`));
  const body = Buffer.concat([cipher.update(JSON.stringify(content)), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64');
}
const decode: ChunkOpenerFactory = ({ streamId }) => ({
  open(event, seq, sealed) {
    const bytes = Buffer.from(sealed.data, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12));
    decipher.setAAD(Buffer.from(`${streamId}|${event}|${seq}`));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    try {
      return JSON.parse(Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]).toString());
    } catch (cause) {
      throw Object.assign(new Error('Frame authentication failed.'), { name: 'TwinError', code: 'decrypt_failed', cause });
    }
  },
});

function sealedScript(texts: string[], tamperSeq?: number): ScriptedEvent[] {
  const script: ScriptedEvent[] = [
    { event: 'start', data: { streamId: 's1', provider: 'simulated', model: 'm', createdAt: '2026-01-01T00:00:00Z', alg: 'aes-256-gcm', kid: 'k1' } },
  ];
  texts.forEach((text, i) => {
    const seq = i + 1;
    let data = seal('s1', seq, { text });
    if (seq === tamperSeq) {
      const bytes = Buffer.from(data, 'base64');
      bytes[14] = (bytes[14] as number) ^ 0x01; // one flipped bit inside the ciphertext
      data = bytes.toString('base64');
    }
    script.push({ event: 'chunk', data: { codec: 'identity', alg: 'aes-256-gcm', kid: 'k1', data } });
  });
  script.push({ event: 'complete', data: { finishReason: 'stop' } });
  return script;
}

const startServer = scriptedServerPerTest();

describe('sealed and tampered frames', () => {
  it('opens sealed chunks with the decode the app provides', async () => {
    const server = await startServer(sealedScript(['Hello', ', ', 'world']));
    const final = await createStreamClient({ url: server.url, decode }).start();
    expect(final.status).toBe('done');
    expect(final.text).toBe('Hello, world');
  });

  it('ends in error on a tampered frame and keeps only the text before it', async () => {
    const server = await startServer(sealedScript(['Hello', 'SECRET', 'world'], 2));
    const final = await createStreamClient({ url: server.url, decode }).start();
    expect(final.status).toBe('error');
    expect(final.error?.code).toBe('decrypt_failed');
    expect(final.error?.retryable).toBe(false);
    expect(final.text).toBe('Hello');
    expect(server.requests.length).toBe(1); // tampering is not a network problem: no reconnect
  });

  it('refuses a plain chunk slipped into an encrypted stream when encryption is required', async () => {
    const script = sealedScript(['Hello', 'world']);
    script.splice(2, 0, { event: 'chunk', data: { text: 'INJECTED' } });
    // The scripted server numbers events by position: the injected chunk is seq 2. Without the check
    // its text would be shown ('HelloINJECTED') before 'world' (sealed for seq 2) failed to open.
    const server = await startServer(script);
    const final = await createStreamClient({ url: server.url, decode, requireEncryption: true }).start();
    expect(final.status).toBe('error');
    expect(final.error?.code).toBe('decrypt_failed');
    expect(final.text).toBe('Hello');
    expect(final.text).not.toContain('INJECTED');
  });

  it('refuses sealed chunks when no decode option was given', async () => {
    const server = await startServer(sealedScript(['Hello']));
    const final = await createStreamClient({ url: server.url }).start();
    expect(final.status).toBe('error');
    expect(final.error?.code).toBe('decode_failed');
    expect(final.text).toBe('');
  });

  it('ends in error, without reconnecting, when the decode factory itself throws', async () => {
    const server = await startServer(sealedScript(['Hello']));
    const broken: ChunkOpenerFactory = () => {
      throw Object.assign(new Error('No key "k1" in the keyring.'), { name: 'TwinError', code: 'unknown_key' });
    };
    const final = await createStreamClient({ url: server.url, decode: broken, reconnect: { initialDelayMs: 1 } }).start();
    expect(final.status).toBe('error');
    expect(final.error?.code).toBe('unknown_key');
    expect(server.requests.length).toBe(1);
  });

  it('refuses an opened payload that is not chunk content', async () => {
    const script = sealedScript(['x']);
    (script[1] as ScriptedEvent).data.data = seal('s1', 1, { text: 42 });
    const server = await startServer(script);
    const final = await createStreamClient({ url: server.url, decode }).start();
    expect(final.error?.code).toBe('decode_failed');
    expect(final.text).toBe('');
  });

  it('calls decode once per connection, so a resumed connection gets a fresh decompressor', async () => {
    const server = await startServer(sealedScript(['a', 'b', 'c', 'd']), [{ stallAfterEvents: 3, suffix: '' }]);
    const contexts: string[] = [];
    const counting: ChunkOpenerFactory = (ctx) => {
      contexts.push(ctx.streamId);
      return decode(ctx);
    };
    const final = await createStreamClient({ url: server.url, decode: counting, reconnect: { initialDelayMs: 1 } }).start();
    expect(final.text).toBe('abcd');
    expect(contexts).toEqual(['s1', 's1']);
  });
});
