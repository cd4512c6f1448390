import { createServer, connect, type Server, type Socket } from 'node:net';

export interface FlakyProxy {
  url: string;
  port: number;
  /** Connections cut so far. */
  readonly cuts: number;
  /** From now on, cut whichever connection next carries `bytes` more bytes from the server (once). */
  cutNext(bytes: number): void;
  close(): Promise<void>;
}

/**
 * A TCP proxy in front of `targetPort` on 127.0.0.1: a flaky network. The first
 * `cutAfterBytes.length` connections are dropped after that many bytes from the server — mid-frame,
 * mid-header, anywhere — and `cutNext` drops one more on demand.
 */
export async function startFlakyProxy(targetPort: number, cutAfterBytes: number[] = []): Promise<FlakyProxy> {
  const sockets = new Set<Socket>();
  let connection = 0;
  let cuts = 0;
  let armed: { bytes: number; epoch: number } | undefined;
  let epoch = 0;
  const server: Server = createServer((client) => {
    const limit = cutAfterBytes[connection++];
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    let seen = 0;
    let seenSinceArm = 0;
    let myEpoch = -1;
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    const cut = () => {
      cuts++;
      end();
    };
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d: Buffer) => {
      if (armed) {
        if (myEpoch !== armed.epoch) {
          myEpoch = armed.epoch;
          seenSinceArm = 0;
        }
        const room = armed.bytes - seenSinceArm;
        seenSinceArm += d.length;
        if (seenSinceArm >= armed.bytes) {
          armed = undefined;
          if (room > 0) client.write(d.subarray(0, room));
          return cut();
        }
      }
      if (limit === undefined) return void client.write(d);
      const room = limit - seen;
      seen += d.length;
      if (room > 0) client.write(d.subarray(0, room));
      if (seen >= limit) cut();
    });
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get cuts() {
      return cuts;
    },
    cutNext(bytes) {
      armed = { bytes, epoch: ++epoch };
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
