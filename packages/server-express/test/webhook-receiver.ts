import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One POST a {@link WebhookReceiver} got. */
export interface ReceivedWebhook {
  headers: IncomingMessage['headers'];
  body: string;
}

export interface WebhookReceiver {
  /** Where to send alerts: `http://127.0.0.1:<port>/twin-alerts`. */
  url: string;
  /** What it got, in order. */
  received: ReceivedWebhook[];
  /** Stops listening; resolves once closed. */
  close(): Promise<void>;
}

/**
 * A local webhook receiver on a free port: answers each POST with the next status of `answers`
 * (then 200) and keeps what it got, headers and body.
 */
export async function startWebhookReceiver(answers: number[] = []): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(answers.shift() ?? 200).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/twin-alerts`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
