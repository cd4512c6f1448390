import { afterEach } from 'vitest';
import { startScriptedServer, type ScriptedServer } from './scripted-sse-server';

/**
 * Registers an `afterEach` that closes every scripted server the test started (even when the test
 * failed), and returns {@link startScriptedServer} to start them with. Call once per test file.
 */
export function scriptedServerPerTest(): typeof startScriptedServer {
  const started: ScriptedServer[] = [];
  afterEach(async () => {
    const servers = started.splice(0);
    await Promise.all(servers.map((server) => server.close()));
  });
  return async (...args) => {
    const server = await startScriptedServer(...args);
    started.push(server);
    return server;
  };
}
