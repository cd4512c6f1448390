import type { StreamOptions } from './stream-options';

/** Appends one query parameter to a (possibly relative) URL. */
function withQuery(url: string, name: string, value: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}${name}=${encodeURIComponent(value)}`;
}

/** Request headers every call carries: the API key and any the app set. */
export function baseHeaders(options: StreamOptions): Record<string, string> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.apiKey !== undefined) {
    if (options.apiKeyHeader) headers[options.apiKeyHeader] = options.apiKey;
    else headers.authorization = `Bearer ${options.apiKey}`;
  }
  return headers;
}

/** The fetch arguments for the first connection, or for a resume when `resume` is given. */
export function buildRequest(
  options: StreamOptions,
  resume?: { streamId: string; lastSeq: number },
): { url: string; init: RequestInit } {
  const url = String(options.url);
  const headers = baseHeaders(options);
  headers.accept = 'text/event-stream';
  let target = url;
  let method = options.method ?? (options.body === undefined ? 'GET' : 'POST');
  let body = options.body;
  if (resume) {
    const lastEventId = String(resume.lastSeq);
    headers['last-event-id'] = lastEventId;
    const r = options.resumeRequest?.({ url, streamId: resume.streamId, lastEventId }) ?? {
      url: withQuery(url, 'streamId', resume.streamId),
      method: 'GET' as const,
    };
    target = r.url;
    method = r.method ?? 'GET';
    body = r.body;
  }
  const init: RequestInit = { method, headers };
  if (method === 'POST' && body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  return { url: target, init };
}
