import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../src/run-cli';
import { fullText, startScriptedServer, textScript, type ScriptedServer } from '../../../packages/client/test/scripted-sse-server';

// vi.waitFor's own 1 s default is a clock a loaded machine can outrun: only the test's limit catches a hang.
const WAIT = { timeout: 30_000 };

let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function sink(tty: boolean) {
  const stream = Object.assign(new PassThrough(), { isTTY: tty, columns: 60 });
  let text = '';
  stream.on('data', (d) => (text += String(d)));
  return { stream, read: () => text };
}

describe('twin-ask (node-cli example)', () => {
  it('pipes the answer to stdout and a summary with tokens, tokens/s and cost to stderr', async () => {
    server = await startScriptedServer(textScript(8), [{ eventDelayMs: 3 }]);
    const out = sink(false);
    const err = sink(false);
    const code = await runCli({ argv: ['--url', server.url, '--key', 'sk_cli', 'Why', 'is', 'the', 'sky', 'blue?'], env: {}, stdout: out.stream, stderr: err.stream });
    expect(code).toBe(0);
    expect(out.read()).toBe(`${fullText(8)}\n`);
    expect(err.read()).toMatch(/^8 tokens · \d+(\.\d)? tok\/s · cost USD 0\.0123\n$/);
    const request = server.requests[0]!;
    expect(request.authorization).toBe('Bearer sk_cli');
    expect(JSON.parse(request.body)).toEqual({ messages: [{ role: 'user', content: 'Why is the sky blue?' }] });
  });

  it('on a terminal redraws a live progress line in place and ends with the full answer', async () => {
    server = await startScriptedServer(textScript(6), [{ eventDelayMs: 3 }]);
    const out = sink(true);
    const code = await runCli({ argv: ['--url', server.url, 'hi'], env: {}, stdout: out.stream, stderr: sink(false).stream });
    expect(code).toBe(0);
    const raw = out.read();
    // Live updates: the progress line was drawn while streaming, then cleared and redrawn (ANSI).
    expect(raw).toContain('tok/s · streaming');
    expect(raw).toContain('\r\x1b[2K\x1b[1A\r\x1b[2K');
    // What stays on screen after the last redraw: the answer, then the final progress line with cost.
    const lastRedraw = raw.lastIndexOf('\x1b[2K');
    expect(raw.slice(lastRedraw + 4)).toMatch(new RegExp(`^${fullText(6)}\\n6 tokens · [\\d.]+ tok/s · cost USD 0\\.0123\\n$`));
  });

  it('on a narrow terminal breaks a long line into rows that scroll up while it streams', async () => {
    const script = textScript(40); // 40 × "tN " ≈ 150 characters on one line
    server = await startScriptedServer(script, [{ eventDelayMs: 1 }]);
    const out = sink(true);
    out.stream.columns = 41; // rows of 40 characters
    expect(await runCli({ argv: ['--url', server.url, 'hi'], env: {}, stdout: out.stream, stderr: sink(false).stream })).toBe(0);
    const raw = out.read();
    const text = fullText(40);
    // The first rows were written whole, each followed by a line break, before the stream ended.
    expect(raw).toContain(`${text.slice(0, 40)}\n`);
    expect(raw).toContain(`${text.slice(40, 80)}\n`);
    expect(raw.indexOf(`${text.slice(40, 80)}\n`)).toBeLessThan(raw.indexOf('cost USD'));
    // While streaming (everything before the final redraw) no row is ever as wide as the terminal.
    const liveOutput = raw.slice(0, raw.lastIndexOf('\x1b[2K'));
    const rows = liveOutput.split('\x1b[2K').join('\n').split('\x1b[1A').join('\n').split(/[\r\n]/);
    for (const row of rows) expect(row.length).toBeLessThan(41);
  });

  it('exits 1 with the server error on a refused request', async () => {
    server = await startScriptedServer(textScript(1), [{ status: 401, body: { error: { code: 'unauthorized', message: 'Missing API key.' } } }]);
    const err = sink(false);
    const code = await runCli({ argv: ['--url', server.url, 'hi'], env: {}, stdout: sink(false).stream, stderr: err.stream });
    expect(code).toBe(1);
    expect(err.read()).toContain('error: unauthorized: Missing API key.');
  });

  it('exits 2 with usage when no prompt is given', async () => {
    const err = sink(false);
    expect(await runCli({ argv: [], env: {}, stdout: sink(false).stream, stderr: err.stream })).toBe(2);
    expect(err.read()).toContain('Usage: twin-ask');
  });

  it('stops the stream and exits 130 when interrupted', async () => {
    server = await startScriptedServer(textScript(5), [{ stallAfterEvents: 3 }]);
    const controller = new AbortController();
    const out = sink(false);
    // Interrupted once the last text before the stall is out (a condition, not a delay).
    out.stream.on('data', () => {
      if (out.read() === 't0 t1 ') controller.abort();
    });
    const code = await runCli({ argv: ['--url', server.url, 'hi'], env: { TWIN_API_KEY: 'sk_env' }, stdout: out.stream, stderr: sink(false).stream, signal: controller.signal });
    expect(code).toBe(130);
    expect(out.read()).toBe('t0 t1 \n');
    await vi.waitFor(() => expect(server!.deletes.length).toBe(1), WAIT);
    expect(server.deletes[0]?.authorization).toBe('Bearer sk_env');
  });
});
