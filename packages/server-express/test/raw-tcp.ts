import { once } from 'node:events';
import { connect, type Socket } from 'node:net';

/** Opens a raw TCP connection to `url`'s host and writes one HTTP/1.1 request (nothing else). */
export async function rawRequest(
  url: string,
  init: { method?: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<Socket> {
  const { hostname, port } = new URL(url);
  const socket = connect({ host: hostname, port: Number(port) });
  socket.on('error', () => {});
  await once(socket, 'connect');
  const headers: Record<string, string> = { host: `${hostname}:${port}`, accept: 'text/event-stream', ...init.headers };
  if (init.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    headers['content-length'] = String(Buffer.byteLength(init.body));
  }
  const head = `${init.method ?? 'GET'} ${init.path} HTTP/1.1\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n')}\r\n\r\n`;
  socket.write(head + (init.body ?? ''));
  return socket;
}

/** Closes a raw connection the way a vanishing client does (RST, no goodbye) and waits until it is gone. */
export async function vanish(socket: Socket): Promise<void> {
  if (socket.destroyed) return;
  const closed = once(socket, 'close');
  socket.resetAndDestroy();
  await closed;
}
