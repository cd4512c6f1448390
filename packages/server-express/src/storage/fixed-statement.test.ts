import { sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { describe, expect, it } from 'vitest';
import { fixedStatement } from './fixed-statement';
import { streamBillingRecords } from './schema';

const dialect = new PgDialect();

describe('fixedStatement', () => {
  // The same template, built per call (as before) and once: Drizzle must get the same text and
  // parameters, in the order the text uses them, whatever the values are.
  const template = (a: unknown, b: unknown, c: unknown) =>
    sql`insert into ${streamBillingRecords} (id, stream_id) select ${b}::text, ${a} from x where ${sql.raw('y')} = ${c}::int and z = ${b}`;
  const fixed = fixedStatement(3, template);

  it('renders the text and parameters the template does, parameters in the text’s order', () => {
    const cases: Array<[unknown, unknown, unknown]> = [
      ['a', 'b', 3],
      [null, '{"x":"$1"}', 0],
      ["it's", '', -1],
    ];
    for (const [a, b, c] of cases) {
      const expected = dialect.sqlToQuery(template(a, b, c));
      const query = fixed(a, b, c);
      expect(dialect.sqlToQuery(query.getSQL())).toEqual(expected);
      // What the embedded database's worker is sent directly (see drizzleOverWorker).
      expect({ sql: query.text, params: query.params }).toEqual({ sql: expected.sql, params: expected.params });
    }
    expect(dialect.sqlToQuery(fixed('a', 'b', 3).getSQL())).toMatchObject({
      sql: 'insert into "stream_billing_records" (id, stream_id) select $1::text, $2 from x where y = $3::int and z = $4',
      params: ['b', 'a', 3, 'b'],
    });
  });

  it('refuses what it could not pass as the template would: arrays, undefined, a wrong count, "$n" in the text', () => {
    expect(() => fixed('a', ['b'], 3)).toThrow(/array/);
    expect(() => fixed('a', 'b')).toThrow(/2 values for 3/);
    expect(() => fixed('a', undefined, 3)).toThrow(/undefined/);
    expect(() => fixedStatement(1, (a) => sql`select ${a}, ${sql.raw("'$1'")}`)).toThrow(/parameter markers/);
    expect(() => fixedStatement(1, (a) => sql`select ${a}, ${'constant'}`)).toThrow(/not one of the placeholders/);
  });
});
