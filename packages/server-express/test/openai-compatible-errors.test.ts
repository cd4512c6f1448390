import type { IncomingMessage } from 'node:http';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpenedDatabase } from '../src/index';
import { finalRecord, startCompatServer } from './compat-test-server';
import { fetchJson } from './read-sse';
import { createGatedProvider } from './test-providers';
import { openTestDatabase, type TestServer } from './test-server';

let db: OpenedDatabase;
beforeAll(async () => {
  db = await openTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

const ask = { model: 'gated/gate-1', messages: [{ role: 'user' as const, content: 'hi' }] };

describe("OpenAI door errors, in OpenAI's shape and statuses, as the official SDK's error classes", () => {
  let t: TestServer;
  const gated = createGatedProvider(['one ', 'two ', 'three']);
  beforeAll(async () => {
    t = await startCompatServer(db, [gated.provider]);
  });
  afterAll(async () => {
    await t?.close();
  });
  const client = (key: string) => new OpenAI({ baseURL: `${t.url}/v1`, apiKey: key, maxRetries: 0 });

  it('401 for a bad key (AuthenticationError), 404 for an unknown model (NotFoundError), 400 naming the param', async () => {
    const unauthorized = await client('twin_sk_wrong').chat.completions.create({ ...ask, model: 'simulated/sim-1' }).catch((e: unknown) => e);
    expect(unauthorized).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((unauthorized as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({ type: 'authentication_error', code: 'unauthorized' });

    const unknown = await client(t.keys.t1).chat.completions.create({ ...ask, model: 'nope/model-x' }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);
    expect((unknown as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({ param: 'model', code: 'not_found' });
    // Priced in the catalogue, but its provider is not configured here: not served, 404.
    expect(await client(t.keys.t1).chat.completions.create({ ...ask, model: 'gpt-4' }).catch((e: unknown) => e)).toBeInstanceOf(OpenAI.NotFoundError);

    const bad = await client(t.keys.t1).chat.completions.create({ ...ask, model: 'simulated/sim-1', temperature: 7 }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect((bad as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({ type: 'invalid_request_error', param: 'temperature' });
    expect((await fetchJson(`${t.url}/v1/chat/completions`, { method: 'GET', key: t.keys.t1 })).json.error.type).toBe('invalid_request_error');
  });

  it('shows a running call in /api/stream/active; a budget stop mid-stream ends the stream with an error the SDK throws, billed once', async () => {
    const stream = await client(t.keys.t1).chat.completions.create({ ...ask, stream: true });
    const iterator = stream[Symbol.asyncIterator]();
    expect((await iterator.next()).value.choices[0].delta.role).toBe('assistant');
    expect((await iterator.next()).value.choices[0].delta.content).toBe('one ');
    const active = (await fetchJson(`${t.url}/api/stream/active`, { key: t.keys.t1 })).json.streams as Array<{ id: string; provider: string }>;
    expect(active.map((s) => s.provider)).toEqual(['gated']);
    const auth = await t.service.auth.authenticate({ headers: { authorization: `Bearer ${t.keys.t1}` } } as IncomingMessage, new URL(t.url));
    const live = t.service.hub.get(auth, active[0]!.id)!;
    live.stop({ endReason: 'error', status: 'error', error: { code: 'budget_exceeded', message: 'The budget of this month is used up.', retryable: false } });
    const error = await iterator.next().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({ type: 'insufficient_quota', code: 'budget_exceeded' });
    const record = await finalRecord(t, t.keys.t1, active[0]!.id);
    expect(record.endReason).toBe('error');
    const records = (await fetchJson(`${t.url}/api/billing/records?limit=500`, { key: t.keys.t1 })).json.records as Array<{ streamId: string }>;
    expect(records.filter((r) => r.streamId === active[0]!.id)).toHaveLength(1);
  });

  it('aborts the upstream when the client goes away, and bills the stream as a client abort', async () => {
    const fresh = createGatedProvider(['a ', 'b ']);
    const t2 = await startCompatServer(db, [fresh.provider]);
    try {
      const controller = new AbortController();
      const stream = await new OpenAI({ baseURL: `${t2.url}/v1`, apiKey: t2.keys.t1, maxRetries: 0 }).chat.completions.create(
        { ...ask, stream: true },
        { signal: controller.signal },
      );
      const iterator = stream[Symbol.asyncIterator]();
      await iterator.next();
      await iterator.next();
      const id = (await fetchJson(`${t2.url}/api/stream/active`, { key: t2.keys.t1 })).json.streams[0].id as string;
      controller.abort();
      const record = await finalRecord(t2, t2.keys.t1, id);
      expect(record.endReason).toBe('client_abort');
      expect(fresh.state.aborted).toBe(true);

      // Not streamed: the client waiting for the JSON answer goes away; the upstream is aborted too.
      const waiting = createGatedProvider(['a ', 'b ']);
      const t3 = await startCompatServer(db, [waiting.provider]);
      try {
        const gone = new AbortController();
        const pending = new OpenAI({ baseURL: `${t3.url}/v1`, apiKey: t3.keys.t1, maxRetries: 0 }).chat.completions
          .create(ask, { signal: gone.signal })
          .catch((e: unknown) => e);
        await expect.poll(() => waiting.state.emitted).toBe(1);
        const running = (await fetchJson(`${t3.url}/api/stream/active`, { key: t3.keys.t1 })).json.streams[0].id as string;
        gone.abort();
        expect(await pending).toBeInstanceOf(OpenAI.APIUserAbortError);
        expect((await finalRecord(t3, t3.keys.t1, running)).endReason).toBe('client_abort');
        expect(waiting.state.aborted).toBe(true);
      } finally {
        await t3.close();
      }
    } finally {
      await t2.close();
    }
  });
});

describe('OpenAI door limits', () => {
  it('402 when a block budget is used up (an APIError with status 402 and insufficient_quota)', async () => {
    const t = await startCompatServer(db);
    try {
      const put = await fetchJson(`${t.url}/api/billing/budgets`, { method: 'PUT', key: t.keys.admin, body: { period: 'month', limit: '0', action: 'block' } });
      expect(put.status).toBe(200);
      const error = await new OpenAI({ baseURL: `${t.url}/v1`, apiKey: t.keys.t1, maxRetries: 0 }).chat.completions
        .create({ ...ask, model: 'simulated/sim-1' })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.APIError);
      expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(402);
      expect((error as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({ type: 'insufficient_quota', code: 'budget_exceeded' });
    } finally {
      await t.close();
    }
  });

  it("429 with Retry-After when the key is at its concurrency limit, which the SDK's retry honours", async () => {
    const gated = createGatedProvider(['x ', 'y']);
    const t = await startCompatServer(db, [gated.provider], { stream: { maxConnectionsPerKey: 1 } });
    try {
      const holder = await new OpenAI({ baseURL: `${t.url}/v1`, apiKey: t.keys.t1, maxRetries: 0 }).chat.completions.create({ ...ask, stream: true });
      const held = holder[Symbol.asyncIterator]();
      await held.next();
      const refused = await new OpenAI({ baseURL: `${t.url}/v1`, apiKey: t.keys.t1, maxRetries: 0 }).chat.completions
        .create({ ...ask, model: 'simulated/sim-1' })
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
      expect((refused as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limited' });
      const seen: Array<{ status: number; retryAfter: string | null; at: number }> = [];
      const retrying = new OpenAI({
        baseURL: `${t.url}/v1`,
        apiKey: t.keys.t1,
        maxRetries: 1,
        fetch: async (url, init) => {
          const response = await fetch(url, init);
          seen.push({ status: response.status, retryAfter: response.headers.get('retry-after'), at: Date.now() });
          // The first answer was the 429: let the held stream finish so the retry finds a free slot.
          if (response.status === 429) {
            gated.release(1);
            for (;;) if ((await held.next()).done) break;
          }
          return response;
        },
      });
      const completion = await retrying.chat.completions.create({ ...ask, model: 'simulated/sim-1' });
      expect(completion.choices[0]!.message.content).not.toBe('');
      expect(seen.map((s) => s.status)).toEqual([429, 200]);
      expect(seen[0]!.retryAfter).toBe('1');
      // Retry-After: 1 was honoured (the SDK waits the header's time, not its own shorter backoff).
      expect(seen[1]!.at - seen[0]!.at).toBeGreaterThanOrEqual(950);
    } finally {
      await t.close();
    }
  });
});
