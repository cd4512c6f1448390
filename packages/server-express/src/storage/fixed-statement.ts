import { sql, type Placeholder, type SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';

const dialect = new PgDialect();

/**
 * A statement whose text is built once, for the statements of every stream (its opening, its
 * ending, its audit and connection rows). Drizzle builds a `sql` template's text on every call,
 * walking each fragment, table and column in it: 10-25 KB of short-lived objects per statement,
 * and with them the young-generation collections a paced request meets (docs/server.md, "fifth
 * round"). `build` gets one placeholder per parameter; the statement it returns is rendered here
 * once, and each call gives Drizzle just its text around the values (the same text and parameters
 * as the template would, for either database driver).
 */
export function fixedStatement(arity: number, build: (...params: Placeholder[]) => SQL): (...values: unknown[]) => SQL {
  const placeholders = Array.from({ length: arity }, (_, i) => sql.placeholder(String(i)));
  const query = dialect.sqlToQuery(build(...placeholders));
  // The text numbers its parameters $1, $2, … in order of appearance; each is one of the placeholders.
  const pieces = query.sql.split(/\$\d+/);
  if (pieces.length !== query.params.length + 1) {
    throw new Error(`fixedStatement: ${pieces.length - 1} parameter markers in the text for ${query.params.length} parameters (a literal "$<n>" in it?)`);
  }
  const order = query.params.map((p) => {
    const name = (p as { name?: unknown }).name;
    if (typeof name !== 'string') throw new Error('fixedStatement: a parameter that is not one of the placeholders (a value in the template?)');
    return Number(name);
  });
  const strings = pieces as unknown as TemplateStringsArray;
  return (...values) => {
    if (values.length !== arity) throw new Error(`fixedStatement: ${values.length} values for ${arity} parameters`);
    const params = new Array<unknown>(order.length);
    for (let i = 0; i < order.length; i++) {
      const v = values[order[i]!];
      // An array would be expanded into a list by Drizzle (`($1, $2)`), not one parameter.
      if (Array.isArray(v)) throw new Error('fixedStatement: an array value (pass Postgres arrays as text, see pgArray)');
      params[i] = v;
    }
    return sql(strings, ...params);
  };
}
