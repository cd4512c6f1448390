import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createKeyring, createPayloadOpener, createPayloadSealer, type ChunkContent } from '@twin/core';
import { createStreamClient } from '@twin/client';
import { textScript, fullText, type ConnectionTransform } from './scripted-sse-server';
import { scriptedServerPerTest } from './scripted-server-per-test';

// The real thing on both ends: @twin/core's sealer on the server side of each connection (compress,
// then encrypt with a chain over the connection's frames) and its opener in the client's `decode`.
const keyring = createKeyring([{ id: 'k1', key: new Uint8Array(randomBytes(32)) }]);
const decode = ({ streamId }: { streamId: string }) => createPayloadOpener({ streamId, keyring });

function sealing(tamperSeq?: number): () => ConnectionTransform {
  return () => {
    const sealer = createPayloadSealer({ streamId: 'str_test', codec: 'deflate', cipher: { keyring, alg: 'xchacha20-poly1305' } });
    return (event, seq) => {
      if (event.event !== 'chunk') return event;
      const sealed = sealer.seal('chunk', seq, event.data as ChunkContent);
      if (seq === tamperSeq) sealed.data = (sealed.data[0] === 'A' ? 'B' : 'A') + sealed.data.slice(1);
      return { event: 'chunk', data: { ...sealed } };
    };
  };
}

const startServer = scriptedServerPerTest();

describe('with @twin/core payload sealing', () => {
  it('opens compressed + encrypted chunks across a resumed connection (fresh opener per connection)', async () => {
    const server = await startServer(textScript(12), [{ stallAfterEvents: 6, suffix: '' }], sealing());
    const client = createStreamClient({ url: server.url, decode, reconnect: { initialDelayMs: 1 } });
    const final = await client.start();
    expect(final.status).toBe('done');
    expect(final.metrics.reconnects).toBe(1);
    expect(final.text).toBe(fullText(12));
  });

  it('a tampered frame puts the client in error with decrypt_failed and no garbage text', async () => {
    const server = await startServer(textScript(6), [], sealing(4));
    const final = await createStreamClient({ url: server.url, decode }).start();
    expect(final.status).toBe('error');
    expect(final.error?.code).toBe('decrypt_failed');
    expect(final.text).toBe('t0 t1 t2 ');
  });
});
