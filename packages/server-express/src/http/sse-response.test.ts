import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openSSEResponse, type SSEResponse } from './sse-response';

// openSSEResponse frames the chunks of a chunked HTTP/1.1 response itself and writes them to the
// socket in one piece: these tests hold its bytes to what node:http's own res.write puts on the wire.

const FRAMES = ['id: s:1\nevent: chunk\ndata: {"text":"plain"}\n\n', 'id: s:2\nevent: chunk\ndata: {"text":"déjà vu — 🙂"}\n\n', ': hb\n\n'];
// Past the cached chunk-size lines (4 KiB): its size line is made for it.
const LONG_FRAME = `id: s:4\nevent: chunk\ndata: {"text":"${'é'.repeat(2_500)}"}\n\n`;
const FINAL = 'id: s:3\nevent: complete\ndata: {}\n\n';
const COMMENT = ': twin\nretry: 1000\n\n';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<number> {
  server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/** Sends `requests` GETs on one keep-alive connection; resolves with all bytes received once `done` matches them. */
async function rawExchange(port: number, requests: number, done: (text: string) => boolean): Promise<string> {
  const socket = connect({ host: '127.0.0.1', port });
  await once(socket, 'connect');
  socket.write('GET /a HTTP/1.1\r\nhost: x\r\n\r\n'.repeat(requests));
  let received = Buffer.alloc(0);
  return new Promise((resolve, reject) => {
    socket.on('error', reject);
    socket.on('data', (data: Buffer) => {
      received = Buffer.concat([received, data]);
      const text = received.toString('utf8');
      if (done(text)) {
        socket.destroy();
        resolve(text);
      }
    });
  });
}

/** The body of each response in `text` (what follows its header block, up to the next `HTTP/1.1`). */
function bodies(text: string): string[] {
  return text
    .split(/HTTP\/1\.1 200 OK\r\n/)
    .slice(1)
    .map((response) => response.slice(response.indexOf('\r\n\r\n') + 4));
}

const options = { encoding: 'identity' as const, retryMs: 1000, heartbeatIntervalMs: 60_000, maxQueuedBytes: 1 << 20, onClientClose: () => {}, onOverflow: () => {} };
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('openSSEResponse on chunked HTTP/1.1', () => {
  it('puts on the wire the bytes node:http own res.write does (chunk sizes in UTF-8 bytes), in order', async () => {
    const port = await listen((req, res) => {
      const response = openSSEResponse(req, res, options);
      // The first frame in the opening turn (socket corked), the others in later turns.
      response.write(FRAMES[0]!);
      void (async () => {
        await nextTurn();
        response.write(FRAMES[1]!);
        await nextTurn();
        response.write(FRAMES[2]!);
        response.write(LONG_FRAME);
        // The same size again: its size line from the cache.
        response.write(FRAMES[1]!);
        response.end(FINAL);
      })();
    });
    const twin = bodies(await rawExchange(port, 1, (t) => t.endsWith('0\r\n\r\n')))[0];
    server!.closeAllConnections();
    await new Promise((resolve) => server!.close(resolve));

    const reference = await listen((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      for (const text of [COMMENT, ...FRAMES, LONG_FRAME, FRAMES[1]!]) res.write(text);
      res.end(FINAL);
    });
    const node = bodies(await rawExchange(reference, 1, (t) => t.endsWith('0\r\n\r\n')))[0];
    expect(twin).toBe(node);
    expect(twin).toContain(`${Buffer.byteLength(FRAMES[1]!).toString(16)}\r\n${FRAMES[1]}\r\n`);
    expect(twin).toContain(`${Buffer.byteLength(LONG_FRAME).toString(16)}\r\n${LONG_FRAME}\r\n`);
  });

  it('holds the first turn in one packet until flush(): then what it holds is handed to the kernel at once, not at the end of the turn', async () => {
    const seen: { heldBeforeFlush: number; corkedAfterFlush: number; pendingAfterFlush: number; corkedNextTurn: number }[] = [];
    const port = await listen((req, res) => {
      const response = openSSEResponse(req, res, options);
      const socket = res.socket!;
      response.write(FRAMES[0]!);
      const heldBeforeFlush = socket.writableCorked;
      response.flush?.();
      // A second flush (and the end of the turn) must not uncork a cork that is not ours.
      response.flush?.();
      const entry = { heldBeforeFlush, corkedAfterFlush: socket.writableCorked, pendingAfterFlush: socket.writableLength, corkedNextTurn: -1 };
      seen.push(entry);
      socket.cork();
      setImmediate(() => {
        entry.corkedNextTurn = socket.writableCorked;
        socket.uncork();
        response.write(FRAMES[1]!);
        response.end(FINAL);
      });
    });
    const text = bodies(await rawExchange(port, 1, (t) => t.endsWith('0\r\n\r\n')))[0];
    expect(seen).toEqual([{ heldBeforeFlush: 1, corkedAfterFlush: 0, pendingAfterFlush: 0, corkedNextTurn: 1 }]);
    expect(text).toBe(`${[COMMENT, FRAMES[0]!, FRAMES[1]!, FINAL].map((f) => `${Buffer.byteLength(f).toString(16)}\r\n${f}\r\n`).join('')}0\r\n\r\n`);
  });

  it('without flush(), the first turn leaves when the turn ends', async () => {
    const corked: number[] = [];
    const port = await listen((req, res) => {
      const response = openSSEResponse(req, res, options);
      response.write(FRAMES[0]!);
      corked.push(res.socket!.writableCorked);
      setImmediate(() => {
        corked.push(res.socket!.writableCorked);
        response.end(FINAL);
      });
    });
    await rawExchange(port, 1, (t) => t.endsWith('0\r\n\r\n'));
    expect(corked).toEqual([1, 0]);
  });

  it('writes nothing after its end: the next response on a kept-alive connection is intact', async () => {
    const responses: SSEResponse[] = [];
    const port = await listen((req, res) => {
      const response = openSSEResponse(req, res, options);
      responses.push(response);
      response.write(FRAMES[0]!);
      response.end(FINAL);
      // Late writes (a stream still delivering as its connection ends) are dropped, not framed
      // onto the socket where the next response begins.
      response.write(FRAMES[1]!);
      setImmediate(() => response.write(FRAMES[2]!));
    });
    const text = await rawExchange(port, 2, (t) => bodies(t).length === 2 && t.endsWith('0\r\n\r\n'));
    const [first, second] = bodies(text);
    expect(first).toBe(second);
    expect(first).toBe(`${[COMMENT, FRAMES[0]!, FINAL].map((f) => `${Buffer.byteLength(f).toString(16)}\r\n${f}\r\n`).join('')}0\r\n\r\n`);
    expect(responses).toHaveLength(2);
    expect(responses.every((r) => r.write(FRAMES[0]!) === false)).toBe(true);
  });

  it("keeps going through res.write when the app replaced it (a compression or byte-counting middleware sees every frame)", async () => {
    const seen: string[] = [];
    const port = await listen((req, res) => {
      // What a middleware mounted before the router does: wrap write and pass the bytes on.
      const write = res.write.bind(res) as (chunk: string) => boolean;
      res.write = ((chunk: string) => {
        seen.push(String(chunk));
        return write(chunk);
      }) as typeof res.write;
      const response = openSSEResponse(req, res, options);
      response.write(FRAMES[0]!);
      setImmediate(() => {
        response.write(FRAMES[1]!);
        response.end(FINAL);
      });
    });
    await rawExchange(port, 1, (t) => t.endsWith('0\r\n\r\n'));
    expect(seen).toEqual([COMMENT, FRAMES[0], FRAMES[1], FINAL]);
  });
});

describe('openSSEResponse heartbeats', () => {
  it('writes a heartbeat after 0.9 to 1.125 intervals of silence, reading no clock on writes', async () => {
    // Only the shared ticker's interval is fake: the sockets run as they do.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const now = vi.spyOn(Date, 'now');
    try {
      let response: SSEResponse | undefined;
      const port = await listen((req, res) => {
        response = openSSEResponse(req, res, { ...options, heartbeatIntervalMs: 1_000 });
      });
      const socket = connect({ host: '127.0.0.1', port });
      socket.on('data', () => {});
      socket.write('GET /a HTTP/1.1\r\nhost: x\r\n\r\n');
      while (!response) await nextTurn();
      const sse = response;
      const opened = sse.bytesWritten;
      const hb = Buffer.byteLength(': hb\n\n');
      // Checks every 225 ms. The opening comment went out just after the check at 0: its silence
      // is 1.125 intervals at the 5th check (the 1st sees the write, then 4 quiet ones).
      vi.advanceTimersByTime(1_124);
      expect(sse.bytesWritten).toBe(opened);
      vi.advanceTimersByTime(1);
      expect(sse.bytesWritten).toBe(opened + hb);
      // A write just before a check (1,349 ms): the heartbeat after it waits 4 more checks (2,250 ms),
      // 0.901 intervals later, never less than 0.9.
      vi.advanceTimersByTime(224);
      now.mockClear();
      sse.write(FRAMES[0]!);
      expect(now).not.toHaveBeenCalled();
      const written = sse.bytesWritten;
      vi.advanceTimersByTime(900);
      expect(sse.bytesWritten).toBe(written);
      vi.advanceTimersByTime(1);
      expect(sse.bytesWritten).toBe(written + hb);
      // Writes in between restart the silence.
      for (let i = 0; i < 8; i++) {
        vi.advanceTimersByTime(225);
        sse.write(FRAMES[0]!);
      }
      expect(sse.bytesWritten).toBe(written + hb + 8 * Buffer.byteLength(FRAMES[0]!));
      sse.end();
      socket.destroy();
    } finally {
      now.mockRestore();
      vi.useRealTimers();
    }
  });
});
