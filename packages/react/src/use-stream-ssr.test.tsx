// @vitest-environment node
import { renderToString } from 'react-dom/server';
import { afterEach, describe, expect, it } from 'vitest';
import { useStream } from '@twin/react';
import { startScriptedServer, textScript, type ScriptedServer } from '../../client/test/scripted-sse-server';

let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function Answer({ url }: { url: string }) {
  const s = useStream({ url, autoStart: true });
  return (
    <p>
      {s.status}:{s.text}
    </p>
  );
}

describe('useStream during server rendering (no DOM at all)', () => {
  it('renders the idle snapshot and sends no request', async () => {
    expect(typeof document).toBe('undefined');
    server = await startScriptedServer(textScript(2));
    expect(renderToString(<Answer url={server.url} />)).toBe('<p>idle<!-- -->:</p>');
    await new Promise((r) => setTimeout(r, 50));
    expect(server.requests).toHaveLength(0);
  });
});
