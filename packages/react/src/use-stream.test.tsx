import { StrictMode } from 'react';
import { renderToString } from 'react-dom/server';
import { act, configure, cleanup, render, renderHook, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { useStream, type UseStreamOptions } from '@twin/react';
import { fullText, startScriptedServer, textScript, type ScriptedServer } from '../../client/test/scripted-sse-server';

// waitFor's own 1 s limit is a clock a loaded machine can outrun: only the test's limit catches a hang.
configure({ asyncUtilTimeout: 30_000 });

let server: ScriptedServer | undefined;
afterEach(async () => {
  cleanup();
  await server?.close();
  server = undefined;
});

function Answer(props: UseStreamOptions & { onRender?: () => void }) {
  const { onRender, ...options } = props;
  onRender?.();
  const s = useStream(options);
  return (
    <div>
      <p data-testid="status">{s.status}</p>
      <p data-testid="text">{s.text}</p>
      <p data-testid="cost">{s.cost?.total ?? ''}</p>
      <button onClick={() => void s.start()}>send</button>
      <button onClick={s.stop}>stop</button>
    </div>
  );
}

describe('useStream', () => {
  it('streams text into the component and ends done with the cost receipt', async () => {
    server = await startScriptedServer(textScript(5), [{ eventDelayMs: 5 }]);
    render(<Answer url={server.url} />);
    expect(screen.getByTestId('status').textContent).toBe('idle');
    await act(async () => screen.getByText('send').click());
    await waitFor(() => expect(screen.getByTestId('status').textContent).toBe('done'));
    expect(screen.getByTestId('text').textContent).toBe(fullText(5));
    expect(screen.getByTestId('cost').textContent).toBe('0.0123');
  });

  it('sends exactly one request under StrictMode with autoStart', async () => {
    server = await startScriptedServer(textScript(2));
    render(
      <StrictMode>
        <Answer url={server.url} autoStart />
      </StrictMode>,
    );
    await waitFor(() => expect(screen.getByTestId('status').textContent).toBe('done'));
    expect(server.requests.length).toBe(1);
  });

  it('aborts the stream and cancels it on the server when the component unmounts', async () => {
    server = await startScriptedServer(textScript(5), [{ stallAfterEvents: 3 }]);
    const { result, unmount } = renderHook(() => useStream({ url: server!.url }));
    await act(async () => {
      void result.current.start();
    });
    await waitFor(() => expect(result.current.text).toBe('t0 t1 '));
    unmount();
    await waitFor(() => expect(server!.deletes.map((d) => d.url)).toEqual(['/api/stream/str_test']));
  });

  it('stop() shows aborted and keeps the partial text', async () => {
    server = await startScriptedServer(textScript(5), [{ stallAfterEvents: 2 }]);
    render(<Answer url={server.url} />);
    await act(async () => screen.getByText('send').click());
    await waitFor(() => expect(screen.getByTestId('text').textContent).toBe('t0 '));
    await act(async () => screen.getByText('stop').click());
    expect(screen.getByTestId('status').textContent).toBe('aborted');
    expect(screen.getByTestId('text').textContent).toBe('t0 ');
  });

  it('with throttleMs renders far fewer times than there are tokens, and still shows the last one', async () => {
    const n = 60;
    server = await startScriptedServer(textScript(n), [{ eventDelayMs: 2 }]);
    let renders = 0;
    // A throttle window longer than any stream here: however slowly a loaded machine delivers the
    // tokens, every content update is coalesced; only status changes (and done's last text) render.
    render(<Answer url={server.url} throttleMs={600_000} onRender={() => renders++} />);
    await act(async () => screen.getByText('send').click());
    await waitFor(() => expect(screen.getByTestId('status').textContent).toBe('done'));
    expect(screen.getByTestId('text').textContent).toBe(fullText(n));
    // idle, connecting, streaming, at most a few throttled updates, done — not one per token.
    expect(renders).toBeLessThan(10);
  });

  it('renders once per event without throttling (the contrast the previous test relies on)', async () => {
    const n = 20;
    server = await startScriptedServer(textScript(n), [{ eventDelayMs: 2 }]);
    let renders = 0;
    render(<Answer url={server.url} onRender={() => renders++} />);
    await act(async () => screen.getByText('send').click());
    await waitFor(() => expect(screen.getByTestId('status').textContent).toBe('done'));
    expect(renders).toBeGreaterThan(n);
  });

  it('keeps start/stop/retry/reset stable across renders and reset() returns to idle', async () => {
    server = await startScriptedServer(textScript(2));
    const { result } = renderHook(() => useStream({ url: server!.url }));
    const first = result.current.start;
    await act(async () => {
      await result.current.start();
    });
    expect(result.current.status).toBe('done');
    expect(result.current.start).toBe(first);
    act(() => result.current.reset());
    expect(result.current.status).toBe('idle');
    expect(result.current.text).toBe('');
  });

  it('renders on the server as idle without sending a request', async () => {
    server = await startScriptedServer(textScript(2));
    const html = renderToString(<Answer url={server.url} autoStart />);
    expect(html).toContain('idle');
    await new Promise((r) => setTimeout(r, 50));
    expect(server.requests.length).toBe(0);
  });
});
