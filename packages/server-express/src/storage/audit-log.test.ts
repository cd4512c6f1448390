import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../test/test-server';
import { createAuditLog } from './audit-log';
import type { OpenedDatabase } from './open-database';

describe('audit log on the embedded database', () => {
  let opened: OpenedDatabase;
  beforeAll(async () => {
    opened = await openTestDatabase();
  });
  afterAll(() => opened.close());

  it('loads chunk batches with its COPY, not the INSERT it falls back to', async () => {
    // The same database with its statements (the INSERT fallback's path) refused: a COPY the
    // database refused would surface as a write error instead of landing through the INSERT.
    const noStatements = Object.create(opened.db, { execute: { value: () => Promise.reject(new Error('the INSERT fallback ran')) } }) as typeof opened.db;
    const errors: unknown[] = [];
    const log = createAuditLog(noStatements, { intervalMs: 3_600_000, chunkIntervalMs: 3_600_000, onWriteError: (_table, error) => errors.push(error) });
    const at = new Date('2026-03-04T05:06:07.089Z');
    const texts = '{"v":1,"seq":1,"texts":["hé ","\\ttab"]}';
    log.chunks.push({ streamId: 's-copy', seq: 1, lastSeq: 2, tenantId: 't', event: 'texts', data: texts, bytes: Buffer.byteLength(texts), createdAt: at });
    log.chunks.push({ streamId: 's-copy', seq: 3, tenantId: 't', event: 'chunk', data: '{"v":1,"seq":3,"text":"x"}', bytes: 26, createdAt: at });
    await Promise.race([log.chunks.flush(), new Promise((resolve) => setTimeout(resolve, 5_000))]);
    expect(errors).toEqual([]);
    expect(await log.readStreamContent('s-copy')).toEqual({ text: 'hé \ttabx', bytes: Buffer.byteLength(texts) + 26, lastSeq: 3, lastAt: at });
  });

  it('a batch COPY refuses (a row of it landed already: a retry) goes through the INSERT with its rows decoded from the COPY bytes, the landed row skipped', async () => {
    const errors: unknown[] = [];
    const log = createAuditLog(opened.db, { intervalMs: 3_600_000, chunkIntervalMs: 3_600_000, onWriteError: (_table, error) => errors.push(error) });
    const at = new Date('2026-03-04T05:06:07.089Z');
    const row = (seq: number, text: string) => {
      const data = `{"v":1,"seq":${seq},"texts":${JSON.stringify([text])}}`;
      return { streamId: 's-retry', seq, lastSeq: seq, tenantId: 't', event: 'texts', data, bytes: Buffer.byteLength(data), createdAt: at };
    };
    log.chunks.push(row(1, 'é\t'));
    await log.chunks.flush();
    // The same first row again (its reply was lost), with a new one: COPY refuses the duplicate key.
    log.chunks.push(row(1, 'é\t'));
    log.chunks.push(row(2, '🎉'));
    await log.chunks.flush();
    expect(errors).toEqual([]);
    expect(await log.readStreamContent('s-retry')).toEqual({ text: 'é\t🎉', bytes: row(1, 'é\t').bytes + row(2, '🎉').bytes, lastSeq: 2, lastAt: at });
  });
});
