import { describe, expect, it } from 'vitest';
import { answerNumbers, createChatStore, messageText, type ChatStore, type ChatStoreOptions } from '@twin/client';
import { answerEvents, chatFetch, type ChatReply } from './chat-fetch';

// The injected clock: every transition reads it, nothing sleeps.
let clock = 1_000;
const now = () => (clock += 5);

function store(replies: ChatReply[], extra: Partial<ChatStoreOptions> = {}, receipt?: Record<string, unknown>) {
  const net = chatFetch(replies, receipt);
  let ids = 0;
  const chat = createChatStore({ url: 'http://twin.test/api/stream', fetch: net.fetch, now, reconnect: false, generateId: () => `m${++ids}`, ...extra });
  return { chat, net };
}

/** Resolves once the store's snapshot satisfies `test` (checked on every change). */
function until(chat: ChatStore, test: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    if (test()) return resolve();
    const off = chat.subscribe(() => {
      if (test()) {
        off();
        resolve();
      }
    });
  });
}

const last = (chat: ChatStore) => chat.getSnapshot().messages.at(-1)!;

describe('chat store', () => {
  it('sends a prompt and streams the answer into a message whose numbers are the server’s', async () => {
    const { chat, net } = store([{ events: answerEvents('s1', ['Hello ', 'there']) }]);
    const final = await chat.send('Hi');
    expect(final.status).toBe('done');
    expect(final.messages.map((m) => [m.role, messageText(m)])).toEqual([['user', 'Hi'], ['assistant', 'Hello there']]);
    expect(net.requests[0]!.body!.messages).toEqual([{ role: 'user', content: 'Hi' }]);
    const answer = last(chat).answer!;
    expect(answer).toMatchObject({ streamId: 's1', simulated: true, finishReason: 'stop' });
    expect(answerNumbers(answer)).toMatchObject({ outputTokens: 7, inputTokens: 10, estimated: false, billing: 'billed', cost: { total: '0.0021' } });
  });

  it('marks the live count as estimated until the server counted', async () => {
    const { chat } = store([{ events: answerEvents('s1', ['Hello there, ']).slice(0, 2), hold: true }]);
    void chat.send('Hi');
    await until(chat, () => messageText(last(chat)) === 'Hello there, ');
    expect(answerNumbers(last(chat).answer!)).toMatchObject({ outputTokens: 4, estimated: true, billing: 'pending' });
    chat.stop();
  });

  it('keeps a stopped answer’s receipt on its own message when the next prompt is sent, unchanged after', async () => {
    const stoppedReceipt = { currency: 'USD', total: '0.001307', estimated: true, usage: { inputTokens: 9, outputTokens: 33, estimated: true } };
    const { chat, net } = store(
      [{ events: answerEvents('s1', ['one two three ']).slice(0, 2), hold: true }, { events: answerEvents('s2', ['second']) }],
      {},
      stoppedReceipt,
    );
    void chat.send('first');
    await until(chat, () => messageText(last(chat)) !== '');
    chat.stop();
    const stopped = last(chat);
    expect(stopped.answer!.status).toBe('aborted');
    expect(answerNumbers(stopped.answer!)).toMatchObject({ estimated: true, billing: 'pending' });

    // The next prompt goes out before the cancel request's answer (with the receipt) comes back.
    const second = chat.send('second');
    net.releaseCancel();
    await second;
    await until(chat, () => chat.getSnapshot().messages[1]!.answer!.cost !== undefined);
    const [, first, , answer2] = chat.getSnapshot().messages;
    expect(net.requests.filter((r) => r.method === 'DELETE').map((r) => r.url)).toEqual(['http://twin.test/api/stream/s1']);
    expect(answerNumbers(first!.answer!)).toEqual({ outputTokens: 33, inputTokens: 9, estimated: false, cost: stoppedReceipt, billing: 'billed' });
    expect(first!.answer!.status).toBe('aborted');
    expect(answer2!.answer!.cost!.total).toBe('0.0021');
    // The second answer's history carries the stopped answer's partial text.
    expect(net.requests.filter((r) => r.method === 'POST')[1]!.body!.messages).toEqual([
      { role: 'user', content: 'first' },
      { role: 'assistant', content: 'one two three ' },
      { role: 'user', content: 'second' },
    ]);
    const frozen = first!.answer;
    await chat.send('third').catch(() => undefined);
    expect(chat.getSnapshot().messages[1]!.answer).toBe(frozen);
  });

  it('says a refused request (401) billed nothing, and shows no answer text', async () => {
    const { chat } = store([{ status: 401, body: { error: { code: 'unauthorized', message: 'Missing or invalid API key.' } } }]);
    const final = await chat.send('Hi');
    expect(final.status).toBe('error');
    expect(final.error).toMatchObject({ code: 'unauthorized', status: 401 });
    expect(last(chat).parts).toEqual([]);
    expect(answerNumbers(last(chat).answer!)).toMatchObject({ billing: 'not-billed', outputTokens: 0 });
  });

  it('an error after the stream began is billed on the server (unknown receipt), never "not billed"', async () => {
    const events: Array<{ event: string; data: Record<string, unknown> }> = answerEvents('s1', ['partial']).slice(0, 2);
    events.push({ event: 'error', data: { code: 'provider_error', message: 'boom', retryable: false } });
    const { chat } = store([{ events }]);
    await chat.send('Hi');
    expect(answerNumbers(last(chat).answer!).billing).toBe('unknown');
  });

  it('runs a client-side tool and sends its result back as a new request', async () => {
    const call = [
      { event: 'start', data: { streamId: 's1', provider: 'simulated', model: 'sim-1', createdAt: '2026-01-01T00:00:00.000Z' } },
      { event: 'chunk', data: { tools: [{ id: 'c1', index: 0, name: 'get_time', argsDelta: '{"zone":"UTC"}' }] } },
      { event: 'chunk', data: { tools: [{ id: 'c1', index: 0, args: { zone: 'UTC' }, done: true }] } },
      { event: 'complete', data: { finishReason: 'tool-calls', usage: { outputTokens: 5 }, cost: { currency: 'USD', total: '0.001', estimated: false } } },
    ];
    const seen: unknown[] = [];
    const { chat, net } = store([{ events: call }, { events: answerEvents('s2', ['It is noon.']) }], {
      request: { tools: [{ name: 'get_time', parameters: { type: 'object' } }] },
      onToolCall: ({ toolName, args }) => {
        seen.push([toolName, args]);
        return { time: '12:00' };
      },
    });
    const final = await chat.send('use get_time');
    expect(seen).toEqual([['get_time', { zone: 'UTC' }]]);
    expect(final.messages).toHaveLength(3);
    expect(final.messages[1]!.parts).toEqual([
      { type: 'tool', toolCallId: 'c1', toolName: 'get_time', argsText: '{"zone":"UTC"}', args: { zone: 'UTC' }, state: 'output-available', output: { time: '12:00' } },
    ]);
    expect(messageText(final.messages[2]!)).toBe('It is noon.');
    expect(net.requests[1]!.body).toMatchObject({
      tools: [{ name: 'get_time' }],
      messages: [
        { role: 'user', content: 'use get_time' },
        { role: 'assistant', content: [{ type: 'tool-call', toolCallId: 'c1', toolName: 'get_time', args: { zone: 'UTC' } }] },
        { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'c1', toolName: 'get_time', result: { time: '12:00' } }] },
      ],
    });
    // Each request is its own answer with its own receipt.
    expect(final.messages.slice(1).map((m) => m.answer!.cost!.total)).toEqual(['0.001', '0.0021']);
  });

  it('waits for addToolResult when the tool needs the user, then continues', async () => {
    const call = [
      { event: 'start', data: { streamId: 's1', provider: 'p', model: 'm', createdAt: '2026-01-01T00:00:00.000Z' } },
      { event: 'chunk', data: { tools: [{ id: 'c1', index: 0, name: 'confirm', argsDelta: '{}', args: {}, done: true }] } },
      { event: 'complete', data: { finishReason: 'tool-calls' } },
    ];
    const { chat, net } = store([{ events: call }, { events: answerEvents('s2', ['ok']) }]);
    await chat.send('confirm it');
    expect(net.requests).toHaveLength(1);
    const final = await chat.addToolResult('c1', { confirmed: true });
    expect(net.requests).toHaveLength(2);
    expect(messageText(final.messages.at(-1)!)).toBe('ok');
  });

  it('regenerates the last answer from the same history, and edit-and-resend drops what followed', async () => {
    const { chat, net } = store([
      { events: answerEvents('s1', ['one']) },
      { events: answerEvents('s2', ['two']) },
      { events: answerEvents('s3', ['three']) },
    ]);
    await chat.send('Hi');
    await chat.regenerate();
    expect(chat.getSnapshot().messages.map(messageText)).toEqual(['Hi', 'two']);
    expect(net.requests[1]!.body!.messages).toEqual([{ role: 'user', content: 'Hi' }]);
    const userId = chat.getSnapshot().messages[0]!.id;
    await chat.edit(userId, 'Hello');
    expect(chat.getSnapshot().messages.map(messageText)).toEqual(['Hello', 'three']);
    expect(chat.getSnapshot().messages[0]!.id).toBe(userId);
    expect(net.requests[2]!.body!.messages).toEqual([{ role: 'user', content: 'Hello' }]);
  });

  it('resumes the last answer after a reload: replays its stream from the start into the same message', async () => {
    const first = store([{ events: answerEvents('s1', ['Hello ', 'again']).slice(0, 2), hold: true }]);
    void first.chat.send('Hi');
    await until(first.chat, () => messageText(last(first.chat)) === 'Hello ');
    // What the page saved before the reload (JSON, as in sessionStorage).
    const saved = JSON.parse(JSON.stringify(first.chat.getSnapshot().messages));

    // The reloaded page's server still holds stream s1 (its full script).
    const reloaded = chatFetch([{ events: answerEvents('s1', ['Hello ', 'again']) }]);
    await reloaded.fetch('http://twin.test/api/stream', { method: 'POST', body: '{}' }).then((r) => r.body?.cancel());
    const chat = createChatStore({ url: 'http://twin.test/api/stream', fetch: reloaded.fetch, now, reconnect: false, initialMessages: saved });
    const final = await chat.resume();
    expect(reloaded.requests.at(-1)).toMatchObject({ method: 'GET', url: 'http://twin.test/api/stream?streamId=s1', lastEventId: '0' });
    expect(final.messages.map(messageText)).toEqual(['Hi', 'Hello again']);
    expect(final.messages[1]!.id).toBe(saved[1].id);
    expect(answerNumbers(final.messages[1]!.answer!)).toMatchObject({ billing: 'billed', outputTokens: 7 });
    // Only the resume went out: no new request (and no new bill) for the reloaded page.
    expect(reloaded.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    first.chat.stop();
  });
});
