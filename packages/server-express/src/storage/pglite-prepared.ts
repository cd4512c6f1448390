import { parse, protocol, type PGlite } from '@electric-sql/pglite';

const { serialize } = protocol;

/** Names are unique in the process: two of these on one database never collide. */
let lastName = 0;

/** A named statement: parsed and described once. */
interface Named {
  name: string;
  /** The parameters' types, as Postgres inferred them (their serializers are PGlite's for them). */
  types: number[];
}

/**
 * The embedded database's named prepared statements, for the statements every stream sends (its
 * opening, ending, audit and connection rows: `fixedStatement`s, their texts fixed). PGlite's
 * `query` sends each statement unnamed: Postgres parses, analyses and plans it on every call, and
 * PGlite crosses into its WebAssembly six times (Parse, Describe, Bind, Describe, Execute, Sync).
 * Here a text is parsed once under a name; each call is one Bind, Describe, Execute and Sync in
 * one buffer, one crossing, and Postgres reuses the parse and, once it judges a generic plan as
 * good (after five runs, `plan_cache_mode` auto), the plan. The stream ending's statement (four
 * data-modifying CTEs over json_to_recordset) cost some 3 ms of the worker's CPU per call, most
 * of it parse and plan (docs/server.md, "seventh round").
 *
 * Same transaction semantics as `query` outside a transaction: the Sync commits the statement, or
 * it rolls back whole on an error. Only for statements outside an explicit transaction.
 */
export class PreparedStatements {
  private readonly named = new Map<string, Named>();

  constructor(
    private readonly pg: PGlite,
    /** Texts kept prepared at most (the fixed statements are a dozen; a runaway caller is not cached). */
    private readonly max = 64,
  ) {}

  /** How many texts are prepared. */
  get size(): number {
    return this.named.size;
  }

  /** Runs `sql` with `params`; its rows as arrays (`all`) or objects (`execute`), as `query` gives them. */
  async query(sql: string, params: readonly unknown[], rowMode: 'array' | 'object'): Promise<unknown[]> {
    const statement = this.named.get(sql) ?? (await this.prepare(sql));
    if (!statement) return (await this.pg.query(sql, params as unknown[], { rowMode })).rows;
    try {
      return await this.run(statement, params, rowMode);
    } catch (error) {
      // Its tables changed under it so that its rows would have other columns (`select *` after an
      // ALTER TABLE): Postgres refuses the saved statement at Bind, before running anything. Parsed
      // again under a new name, it runs once more.
      if ((error as { code?: unknown }).code !== CACHED_PLAN_CHANGED) throw error;
      await this.forget(sql, statement);
      const again = await this.prepare(sql);
      if (!again) return (await this.pg.query(sql, params as unknown[], { rowMode })).rows;
      return this.run(again, params, rowMode);
    }
  }

  private async run(statement: Named, params: readonly unknown[], rowMode: 'array' | 'object'): Promise<unknown[]> {
    const pg = this.pg;
    const values = new Array<string | null>(params.length);
    for (let i = 0; i < params.length; i++) {
      const v = params[i];
      if (v === null || v === undefined) {
        values[i] = null;
        continue;
      }
      const serializer = pg.serializers[statement.types[i]!];
      values[i] = serializer ? serializer(v) : String(v);
    }
    const message = Buffer.concat([serialize.bind({ statement: statement.name, values }), DESCRIBE_PORTAL, EXECUTE, SYNC]);
    const { messages } = await exclusive(pg, () => pg.execProtocol(message));
    return parse.parseResults(messages, pg.parsers, { rowMode })[0]?.rows ?? [];
  }

  /** Closes `statement` (the text `sql`) in the database and forgets it here. */
  private async forget(sql: string, statement: Named): Promise<void> {
    this.named.delete(sql);
    const message = Buffer.concat([serialize.close({ type: 'S', name: statement.name }), SYNC]);
    await exclusive(this.pg, () => this.pg.execProtocol(message));
  }

  /** Parses and describes `sql` under a new name; undefined when full (the caller runs it unnamed). */
  private async prepare(sql: string): Promise<Named | undefined> {
    if (this.named.size >= this.max) return undefined;
    const name = `twin_${++lastName}`;
    const message = Buffer.concat([serialize.parse({ name, text: sql }), serialize.describe({ type: 'S', name }), SYNC]);
    // A text that does not parse throws here (and is not kept): the caller sees the error as from `query`.
    const { messages } = await exclusive(this.pg, () => this.pg.execProtocol(message));
    const statement = { name, types: parse.parseDescribeStatementResults(messages) };
    this.named.set(sql, statement);
    return statement;
  }
}

/** As PGlite's `query` holds its locks outside a transaction: no open transaction, no other statement. */
const exclusive = <T>(pg: PGlite, run: () => Promise<T>): Promise<T> => pg._runExclusiveTransaction(() => pg.runExclusive(run));

/** SQLSTATE 0A000, "cached plan must not change result type". */
const CACHED_PLAN_CHANGED = '0A000';

const DESCRIBE_PORTAL = serialize.describe({ type: 'P' });
const EXECUTE = serialize.execute({});
const SYNC = serialize.sync();

