import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresTestDatabase, postgresReachable } from '../../test/postgres-test-database';
import { openTestDatabase } from '../../test/test-server';
import { createLifecycleRows } from './lifecycle-rows';
import type { OpenedDatabase, TwinDatabase } from './open-database';
import { createTwinStore } from './twin-store';

const pgUp = await postgresReachable();

/** `db` with its `execute` calls counted (the statements the queue sends). */
function counted(db: TwinDatabase, fail = 0) {
  const texts: string[] = [];
  let failures = fail;
  const execute = db.execute.bind(db) as (query: never) => Promise<unknown>;
  const wrapped = Object.create(db, {
    execute: {
      value: (query: { text?: string }) => {
        texts.push(query.text ?? '');
        if (failures-- > 0) return Promise.reject(new Error('the database is away'));
        return execute(query as never);
      },
    },
  }) as TwinDatabase;
  return { db: wrapped, texts };
}

function suite(name: string, open: () => Promise<OpenedDatabase>, skip = false) {
  describe.skipIf(skip)(`lifecycle rows on ${name}: connection rows and lifecycle events share one statement per batch`, () => {
    let opened: OpenedDatabase;
    beforeAll(async () => {
      opened = await open();
    });
    afterAll(async () => {
      await opened?.close();
    });
    const tenantId = `t-${Math.random().toString(36).slice(2, 8)}`;
    const connection = (id: string) => ({ id, tenantId, apiKeyId: null, provider: 'simulated', model: 'sim-1', purpose: null, status: 'streaming', createdAt: new Date('2031-01-02T03:04:05.678Z'), lastSeq: 0, metadata: { a: 'b' } });
    const event = (streamId: string, type: string) => ({ streamId, tenantId, type, data: { provider: 'simulated', inputTokens: 3 }, createdAt: new Date('2031-01-02T03:04:05.679Z') });
    const eventsOf = async (streamId: string) =>
      (await opened.db.execute(sql`select type, data from stream_events where stream_id = ${streamId} order by id`)) as unknown as Array<{ type: string; data: unknown }>;
    const connectionOf = async (id: string) =>
      ((await opened.db.execute(sql`select status, metadata from stream_connections where id = ${id}`)) as unknown as Array<{ status: string; metadata: unknown }>)[0];

    it('a batch of connection rows and events is ONE statement, and lands both', async () => {
      const { db, texts } = counted(opened.db);
      const rows = createLifecycleRows(db, { intervalMs: 3_600_000, onWriteError: undefined });
      rows.connections.push(connection(`${tenantId}-s1`));
      rows.events.push(event(`${tenantId}-s1`, 'stream.start'));
      rows.connections.push(connection(`${tenantId}-s2`));
      rows.events.push(event(`${tenantId}-s2`, 'stream.start'));
      rows.events.push(event(`${tenantId}-s1`, 'stream.end'));
      expect([rows.connections.pending, rows.events.pending]).toEqual([2, 3]);
      await rows.events.flush();
      expect(texts).toHaveLength(1);
      expect([rows.connections.pending, rows.events.pending]).toEqual([0, 0]);
      expect(await connectionOf(`${tenantId}-s2`)).toEqual({ status: 'streaming', metadata: { a: 'b' } });
      expect(await eventsOf(`${tenantId}-s1`)).toEqual([
        { type: 'stream.start', data: { provider: 'simulated', inputTokens: 3 } },
        { type: 'stream.end', data: { provider: 'simulated', inputTokens: 3 } },
      ]);
    });

    it('a batch of one kind only writes its own table', async () => {
      const { db, texts } = counted(opened.db);
      const rows = createLifecycleRows(db, { intervalMs: 3_600_000, onWriteError: undefined });
      rows.events.push(event(`${tenantId}-s3`, 'stream.detach'));
      await rows.events.flush();
      rows.connections.push(connection(`${tenantId}-s3`));
      await rows.connections.flush();
      expect(texts).toHaveLength(2);
      expect(texts[0]).not.toContain('stream_connections');
      expect(texts[1]).not.toContain('stream_events');
      expect((await eventsOf(`${tenantId}-s3`)).map((e) => e.type)).toEqual(['stream.detach']);
      expect(await connectionOf(`${tenantId}-s3`)).toMatchObject({ status: 'streaming' });
    });

    it('a failed batch keeps both kinds, counted as pending, and lands them whole on the retry', async () => {
      const { db } = counted(opened.db, 1);
      const errors: Array<[string, number]> = [];
      const rows = createLifecycleRows(db, { intervalMs: 3_600_000, onWriteError: (table, _error, n) => errors.push([table, n]) });
      rows.connections.push(connection(`${tenantId}-s4`));
      rows.events.push(event(`${tenantId}-s4`, 'stream.start'));
      await rows.events.flush();
      expect(errors).toEqual([['stream_connections, stream_events', 2]]);
      expect([rows.connections.pending, rows.events.pending]).toEqual([0, 0]);
      expect((await eventsOf(`${tenantId}-s4`)).map((e) => e.type)).toEqual(['stream.start']);
      expect(await connectionOf(`${tenantId}-s4`)).toMatchObject({ status: 'streaming' });
    });

    it('the store sends a stream start’s connection row and its stream.start event as one statement', async () => {
      const { db, texts } = counted(opened.db);
      const store = createTwinStore(db, { batchIntervalMs: 3_600_000, instanceId: `i-${tenantId}` });
      store.connectionsOpened.push(connection(`${tenantId}-s5`));
      store.events.push(event(`${tenantId}-s5`, 'stream.start'));
      await store.flush();
      expect(texts.filter((t) => t.includes('stream_connections') || t.includes('stream_events'))).toHaveLength(1);
      await store.close();
      expect((await eventsOf(`${tenantId}-s5`)).map((e) => e.type)).toEqual(['stream.start']);
    });
  });
}

suite('the embedded database', openTestDatabase);
suite('Postgres', openPostgresTestDatabase, !pgUp);
