import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTranscriptServer, type TranscriptServer } from './transcript-server';

let server: TranscriptServer;
beforeAll(async () => {
  server = await startTranscriptServer();
});
afterAll(() => server.close());

// The two tests run in order: the first leaves a scripted response unused, as a test that fails
// half-way does; the second must get its own response, not the leftover.
describe('transcript server', () => {
  it('answers a test with the responses it scripted, in order', async () => {
    server.script({ body: 'first' }, { body: 'left over' });
    expect(await (await fetch(server.url)).text()).toBe('first');
  });

  it("never answers a test with a response an earlier test scripted and did not use", async () => {
    server.script({ body: 'mine' });
    expect(await (await fetch(server.url)).text()).toBe('mine');
  });
});
