import { request } from 'node:http';

/**
 * One TTFB probe: a stream request that resolves at its first `chunk` event and hangs up there.
 * A non-200 answer calls `onRefused` (e.g. the server's load shedding, counted by the caller) and
 * resolves once the answer is read; without `onRefused` it rejects.
 */
export function firstChunkOverSSE(url: string, auth: string, onRefused?: () => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const req = request(url, { headers: { authorization: `Bearer ${auth}` } }, (res) => {
      if (res.statusCode !== 200) {
        if (!onRefused) return reject(new Error(`status ${res.statusCode}`));
        onRefused();
        res.resume();
        res.on('end', () => resolve());
        return;
      }
      let seen = '';
      res.setEncoding('utf8');
      res.on('data', (text: string) => {
        seen += text;
        if (seen.includes('event: chunk')) {
          req.destroy();
          resolve();
        }
      });
    });
    req.on('error', (e) => (e.message.includes('socket hang up') ? resolve() : reject(e)));
    req.end();
  });
}
