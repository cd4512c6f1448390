import { createServer, connect, type Server, type Socket } from 'node:net';

export interface FlakyProxy {
  url: string;
  /** Connections cut so far. */
  cuts: number;
  close(): Promise<void>;
}

/**
 * A TCP proxy in front of `target` that drops each of the first `cutAfterBytes.length` connections
 * after that many bytes from the server (mid-frame, mid-header, anywhere): a flaky network.
 */
export async function startFlakyProxy(targetPort: number, cutAfterBytes: number[]): Promise<FlakyProxy> {
  const sockets = new Set<Socket>();
  let connection = 0;
  const state = { cuts: 0 };
  const server: Server = createServer((client) => {
    const limit = cutAfterBytes[connection++];
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    let seen = 0;
    const cut = () => {
      state.cuts++;
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d: Buffer) => {
      if (limit === undefined) return void client.write(d);
      const room = limit - seen;
      seen += d.length;
      if (room > 0) client.write(d.subarray(0, room));
      if (seen >= limit) cut();
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    get cuts() {
      return state.cuts;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
