import { PGlite, types } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../test/test-server';
import { fixedStatement } from './fixed-statement';
import type { OpenedDatabase } from './open-database';
import { PreparedStatements } from './pglite-prepared';
import { streamEvents } from './schema';

describe('PreparedStatements (the embedded database keeps fixed texts prepared)', () => {
  let pg: PGlite;
  beforeAll(async () => {
    pg = await PGlite.create();
    // As the worker installs them: timestamps stay the strings Postgres sent.
    Object.assign(pg.parsers, { [types.TIMESTAMPTZ]: (v: string) => v });
    await pg.exec(`create table t (id text primary key, n int, at timestamptz, amount numeric, doc jsonb, tags text[])`);
  });
  afterAll(async () => {
    await pg.close();
  });

  const named = async () => (await pg.query<{ name: string; statement: string }>('select name, statement from pg_prepared_statements order by name')).rows;
  const insert = `insert into t (id, n, at, amount, doc, tags) values ($1, $2, $3::timestamptz, $4::numeric, $5::jsonb, $6::text[]) returning *`;

  it('gives the rows query gives, as objects or arrays, for the same parameters (nulls, numbers, exact numerics, json, arrays)', async () => {
    const prepared = new PreparedStatements(pg);
    const params = ['a', 7, '2031-05-05T10:00:00.123Z', '1.000000000000000001', '{"x":[1,"y"]}', '{"p","q"}'];
    const got = await prepared.query(insert, params, 'object');
    await pg.query('delete from t');
    const want = (await pg.query(insert, params, { rowMode: 'object' })).rows;
    expect(got).toEqual(want);
    expect(got).toEqual([{ id: 'a', n: 7, at: '2031-05-05 10:00:00.123+00', amount: '1.000000000000000001', doc: { x: [1, 'y'] }, tags: ['p', 'q'] }]);
    const nulls = ['b', null, null, null, null, null];
    expect(await prepared.query(insert, nulls, 'array')).toEqual([['b', null, null, null, null, null]]);
    await pg.query('delete from t');
  });

  it('parses a text once, under one name, however often it runs', async () => {
    const prepared = new PreparedStatements(pg);
    const text = 'select count(*)::int as n from t where n >= $1';
    for (let i = 0; i < 7; i++) expect(await prepared.query(text, [0], 'object')).toEqual([{ n: 0 }]);
    expect(prepared.size).toBe(1);
    expect((await named()).filter((s) => s.statement === text)).toHaveLength(1);
  });

  it('a statement that fails changes nothing, rejects with the database error, and the next one runs', async () => {
    const prepared = new PreparedStatements(pg);
    const two = `insert into t (id, n) values ($1, 1), ($2, 2)`;
    await prepared.query(two, ['k1', 'k2'], 'object');
    // k3 would be new, k1 is taken: the whole statement rolls back.
    await expect(prepared.query(two, ['k3', 'k1'], 'object')).rejects.toMatchObject({ code: '23505' });
    expect((await pg.query(`select id from t order by id`)).rows).toEqual([{ id: 'k1' }, { id: 'k2' }]);
    await prepared.query(two, ['k3', 'k4'], 'object');
    expect((await pg.query(`select count(*)::int as n from t`)).rows).toEqual([{ n: 4 }]);
    await pg.query('delete from t');
  });

  it('a text that does not parse rejects and is not kept', async () => {
    const prepared = new PreparedStatements(pg);
    await expect(prepared.query('selec 1', [], 'object')).rejects.toMatchObject({ code: '42601' });
    expect(prepared.size).toBe(0);
    expect(await prepared.query('select 1 as one', [], 'object')).toEqual([{ one: 1 }]);
  });

  it('past its limit a new text runs unnamed, with the same result', async () => {
    const prepared = new PreparedStatements(pg, 1);
    await prepared.query('select 1 as one', [], 'object');
    expect(await prepared.query('select $1::int + 1 as two', [1], 'object')).toEqual([{ two: 2 }]);
    expect(prepared.size).toBe(1);
  });

  it('a prepared text still runs after its table changed, its rows with the new columns', async () => {
    const prepared = new PreparedStatements(pg);
    const text = 'select * from t where id = $1';
    await prepared.query(text, ['none'], 'object');
    await pg.exec('alter table t add column extra text');
    await pg.query(`insert into t (id, extra) values ('e', 'x')`);
    expect(await prepared.query(text, ['e'], 'object')).toMatchObject([{ id: 'e', extra: 'x' }]);
    expect(prepared.size).toBe(1);
    expect((await named()).filter((s) => s.statement === text)).toHaveLength(1);
    await pg.exec('alter table t drop column extra');
    await pg.query('delete from t');
  });
});

describe('the embedded database worker runs fixed statements prepared', () => {
  let db: OpenedDatabase;
  beforeAll(async () => {
    db = await openTestDatabase();
  });
  afterAll(async () => {
    await db?.close();
  });

  it('a fixedStatement through db.execute is a named prepared statement in the worker, and lands its row', async () => {
    const insert = fixedStatement(2, (streamId, type) => sql`insert into ${streamEvents} (stream_id, tenant_id, type, created_at) values (${streamId}, 'ten', ${type}, now())`);
    await db.db.execute(insert('s-prepared', 'stream.start'));
    await db.db.execute(insert('s-prepared', 'stream.end'));
    const text = insert('x', 'y').text;
    const statements = (await db.db.execute(sql`select statement from pg_prepared_statements`)) as unknown as Array<{ statement: string }>;
    expect(statements.filter((s) => s.statement === text)).toHaveLength(1);
    const rows = (await db.db.execute(sql`select type from ${streamEvents} where stream_id = 's-prepared' order by id`)) as unknown as Array<{ type: string }>;
    expect(rows.map((r) => r.type)).toEqual(['stream.start', 'stream.end']);
  });
});
