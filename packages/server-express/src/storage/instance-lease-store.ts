import { and, eq, inArray, lt, ne, or, sql, type SQL } from 'drizzle-orm';
import type { TwinDatabase } from './open-database';
import { instanceLeases } from './schema';

/** A lease some other instance let expire, now claimed by the caller. */
export interface ClaimedLease {
  instanceId: string;
  /**
   * When its lease expired (the database's clock). The dead instance opened no record after this;
   * a restarted instance of the same id opens its records later, so a reconcile of the claim only
   * touches records started before it.
   */
  expiredAt: Date;
}

/** One lease row, as the admin and the tests read it. */
export type InstanceLeaseRow = typeof instanceLeases.$inferSelect;

/**
 * The instances' leases in Postgres (`twin_instance_leases`). Every statement is one atomic UPDATE
 * (or upsert), so no transaction is held across round trips and two survivors racing for the same
 * dead instance cannot both claim it: the second one's UPDATE waits on the row lock, re-reads the
 * row and finds it claimed.
 */
export interface InstanceLeaseStore {
  /** (Re-)registers `instanceId` as live until now + `leaseMs`; a previous incarnation's claim is dropped. */
  register(instanceId: string, leaseMs: number): Promise<void>;
  /**
   * The heartbeat: extends the lease to now + `leaseMs` in `state`. `false` when the lease is no longer
   * this instance's: it was presumed dead (it missed its heartbeats for a whole lease) and claimed.
   */
  renew(instanceId: string, leaseMs: number, state: 'live' | 'draining'): Promise<boolean>;
  /**
   * A graceful stop: with nothing left open the lease is closed as reconciled; otherwise it expires
   * now, so a survivor reconciles what is left at its next check.
   */
  release(instanceId: string, openRecords: number): Promise<void>;
  /**
   * Claims the expired leases of other instances, and claims whose claimer died before finishing
   * (`claim_expires_at` passed). Each is returned to exactly one caller.
   */
  claimExpired(claimer: string, claimMs: number): Promise<ClaimedLease[]>;
  /** The claim's reconcile is done; rows reconciled more than a week ago are pruned. */
  markReconciled(instanceId: string, claimer: string, records: number): Promise<void>;
  list(): Promise<InstanceLeaseRow[]>;
}

/**
 * Builds the lease store. `now`: a clock for tests; by default every instant is the database's
 * `now()`, so instances whose clocks disagree still agree on who expired.
 */
export function createInstanceLeaseStore(db: TwinDatabase, now?: () => Date): InstanceLeaseStore {
  const at = (): SQL => (now ? sql`${now().toISOString()}::timestamptz` : sql`now()`);
  const plus = (t: SQL, ms: number): SQL => sql`${t} + (${Math.max(0, Math.round(ms))} * interval '1 millisecond')`;
  const live = inArray(instanceLeases.state, ['live', 'draining']);

  return {
    async register(instanceId, leaseMs) {
      const t = at();
      const fresh = {
        state: 'live',
        startedAt: sql`${t}`,
        heartbeatAt: sql`${t}`,
        expiresAt: plus(t, leaseMs),
        claimedBy: null,
        claimedAt: null,
        claimExpiresAt: null,
        reconciledAt: null,
        reconciledRecords: null,
      } as const;
      await db
        .insert(instanceLeases)
        .values({ instanceId, ...fresh })
        .onConflictDoUpdate({ target: instanceLeases.instanceId, set: fresh });
    },
    async renew(instanceId, leaseMs, state) {
      const t = at();
      const rows = await db
        .update(instanceLeases)
        .set({ state, heartbeatAt: sql`${t}`, expiresAt: plus(t, leaseMs) })
        .where(and(eq(instanceLeases.instanceId, instanceId), live))
        .returning({ id: instanceLeases.instanceId });
      return rows.length > 0;
    },
    async release(instanceId, openRecords) {
      const t = at();
      await db
        .update(instanceLeases)
        .set(openRecords === 0 ? { state: 'reconciled', expiresAt: sql`${t}`, reconciledAt: sql`${t}`, reconciledRecords: 0 } : { expiresAt: sql`${t}` })
        .where(and(eq(instanceLeases.instanceId, instanceId), live));
    },
    async claimExpired(claimer, claimMs) {
      const t = at();
      const rows = await db
        .update(instanceLeases)
        .set({ state: 'claimed', claimedBy: claimer, claimedAt: sql`${t}`, claimExpiresAt: plus(t, claimMs) })
        .where(
          and(
            ne(instanceLeases.instanceId, claimer),
            or(and(live, lt(instanceLeases.expiresAt, sql`${t}`)), and(eq(instanceLeases.state, 'claimed'), lt(instanceLeases.claimExpiresAt, sql`${t}`))),
          ),
        )
        .returning({ instanceId: instanceLeases.instanceId, expiredAt: instanceLeases.expiresAt });
      return rows;
    },
    async markReconciled(instanceId, claimer, records) {
      const t = at();
      await db
        .update(instanceLeases)
        .set({ state: 'reconciled', reconciledAt: sql`${t}`, reconciledRecords: records, claimExpiresAt: null })
        .where(and(eq(instanceLeases.instanceId, instanceId), eq(instanceLeases.state, 'claimed'), eq(instanceLeases.claimedBy, claimer)));
      await db.delete(instanceLeases).where(and(eq(instanceLeases.state, 'reconciled'), lt(instanceLeases.reconciledAt, sql`${t} - interval '7 days'`)));
    },
    list: () => db.select().from(instanceLeases),
  };
}
