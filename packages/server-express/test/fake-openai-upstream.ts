import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the fake upstream answers `POST /v1/chat/completions`. */
export type UpstreamBehaviour = { kind: 'ok'; text: string } | { kind: 'status'; status: number; retryAfter?: number } | { kind: 'hang' };

/**
 * A local OpenAI-compatible server speaking the Chat Completions streaming wire format (SSE
 * `chat.completion.chunk` frames, a usage frame, `[DONE]`), or failing before its first token:
 * an HTTP error status, or headers and then silence.
 */
export async function startFakeOpenAIUpstream(behaviour: UpstreamBehaviour) {
  const open = new Set<ServerResponse>();
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    req.resume();
    if (behaviour.kind === 'status') {
      res.writeHead(behaviour.status, { 'Content-Type': 'application/json', ...(behaviour.retryAfter !== undefined ? { 'Retry-After': String(behaviour.retryAfter) } : {}) });
      // OpenAI's own error bodies for these statuses.
      const error = behaviour.status === 429 ? { message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded' } : { message: 'The server had an error while processing your request.', type: 'server_error' };
      res.end(JSON.stringify({ error }));
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/event-stream' });
    if (behaviour.kind === 'hang') {
      open.add(res);
      res.on('close', () => open.delete(res));
      return;
    }
    const frame = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
    const words = behaviour.text.split(/(?<= )/);
    frame({ id: 'c1', object: 'chat.completion.chunk', model: 'up-1', choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] });
    for (const w of words) frame({ id: 'c1', object: 'chat.completion.chunk', model: 'up-1', choices: [{ index: 0, delta: { content: w }, finish_reason: null }] });
    frame({ id: 'c1', object: 'chat.completion.chunk', model: 'up-1', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
    frame({ id: 'c1', object: 'chat.completion.chunk', model: 'up-1', choices: [], usage: { prompt_tokens: 9, completion_tokens: words.length, total_tokens: 9 + words.length } });
    res.end('data: [DONE]\n\n');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    get requests() {
      return requests;
    },
    close() {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      server.close();
    },
  };
}
