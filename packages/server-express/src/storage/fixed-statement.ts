import { sql, type Placeholder, type SQL, type SQLWrapper } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';

const dialect = new PgDialect();

/**
 * One call of a {@link fixedStatement}: its text and parameters as they are sent, and Drizzle's
 * `SQL` for them when asked (`db.execute` takes it as any other query). The embedded database's
 * worker takes `text` and `params` directly (see `drizzleOverWorker`), so a stream's statements
 * never go through Drizzle's query building and execution there: some 4-10 KB of short-lived
 * objects per statement, 4-5 statements per stream (docs/server.md, "sixth round").
 */
export class FixedQuery implements SQLWrapper {
  constructor(
    /** The statement's text, its parameters numbered `$1`, `$2`, … */
    readonly text: string,
    /** The values, in the order the text numbers them. */
    readonly params: unknown[],
    private readonly pieces: TemplateStringsArray,
  ) {}

  /** The same text and parameters as Drizzle's `SQL` (for a driver Drizzle runs). */
  getSQL(): SQL {
    return sql(this.pieces, ...this.params);
  }
}

/**
 * A statement whose text is built once, for the statements of every stream (its opening, its
 * ending, its audit and connection rows). Drizzle builds a `sql` template's text on every call,
 * walking each fragment, table and column in it: 10-25 KB of short-lived objects per statement,
 * and with them the young-generation collections a paced request meets (docs/server.md, "fifth
 * round"). `build` gets one placeholder per parameter; the statement it returns is rendered here
 * once, and each call gives just its values in the text's order (the same text and parameters as
 * the template would give, for either database driver).
 */
export function fixedStatement(arity: number, build: (...params: Placeholder[]) => SQL): (...values: unknown[]) => FixedQuery {
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
  const text = query.sql;
  return (...values) => {
    if (values.length !== arity) throw new Error(`fixedStatement: ${values.length} values for ${arity} parameters`);
    const params = new Array<unknown>(order.length);
    for (let i = 0; i < order.length; i++) {
      const v = values[order[i]!];
      // An array would be expanded into a list by Drizzle (`($1, $2)`), not one parameter;
      // undefined would be left out of the text (its marker gone, the others renumbered).
      if (Array.isArray(v)) throw new Error('fixedStatement: an array value (pass Postgres arrays as text, see pgArray)');
      if (v === undefined) throw new Error('fixedStatement: an undefined value (pass null for SQL NULL)');
      params[i] = v;
    }
    return new FixedQuery(text, params, strings);
  };
}
