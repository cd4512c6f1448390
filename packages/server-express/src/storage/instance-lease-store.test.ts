import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type OpenedDatabase } from './open-database';
import { createInstanceLeaseStore } from './instance-lease-store';
import { openPostgresTestDatabase, postgresReachable, POSTGRES_TEST_URL } from '../../test/postgres-test-database';

const ci = process.env.CI === 'true';
const pgUp = await postgresReachable();
if (!pgUp && ci) throw new Error(`Postgres at ${POSTGRES_TEST_URL} is not reachable (CI=true): the lease suite must not be skipped.`);
if (!pgUp) console.warn(`[instance-lease-store.test] Postgres at ${POSTGRES_TEST_URL} is not reachable: its suite is skipped (it runs in CI).`);

/** A clock the test moves; every lease instant is read from it. */
function clock(start: number) {
  let t = start;
  return { now: () => new Date(t), set: (ms: number) => (t = start + ms) };
}

/** The claims of one test's instances (every test's ids end in its own digit; the database is shared). */
const only = (claims: Array<{ instanceId: string; expiredAt: Date }>, suffix: string) => claims.filter((l) => l.instanceId.endsWith(suffix));

function leaseSuite(name: string, open: () => Promise<OpenedDatabase>, run: boolean) {
  describe.runIf(run)(`instance leases on ${name}`, () => {
    let db: OpenedDatabase;
    beforeAll(async () => {
      db = await open();
    });
    afterAll(async () => {
      await db?.close();
    });
    const t0 = Date.UTC(2026, 0, 1);

    it('a lease renewed in time is never claimed; one past its expiry is claimed by exactly one survivor, and its owner learns it was fenced', async () => {
      const c = clock(t0);
      const leases = createInstanceLeaseStore(db.db, c.now);
      await leases.register('a1', 1_000);
      await leases.register('b1', 1_000);
      c.set(999);
      expect(await leases.claimExpired('a1', 5_000)).toEqual([]);
      expect(await leases.renew('b1', 1_000, 'live')).toBe(true); // until t0 + 1,999
      c.set(1_500);
      expect(await leases.renew('a1', 1_000, 'live')).toBe(true);
      expect(await leases.claimExpired('a1', 5_000)).toEqual([]);
      c.set(2_000);
      expect(await leases.claimExpired('a1', 5_000)).toEqual([{ instanceId: 'b1', expiredAt: new Date(t0 + 1_999) }]);
      // A second survivor finds nothing; the presumed-dead owner's heartbeat fails.
      expect(await leases.claimExpired('c1', 5_000)).toEqual([]);
      expect(await leases.renew('b1', 1_000, 'live')).toBe(false);
      await leases.markReconciled('b1', 'a1', 3);
      expect((await leases.list()).find((l) => l.instanceId === 'b1')).toMatchObject({ state: 'reconciled', claimedBy: 'a1', reconciledRecords: 3 });
    });

    it('a claim whose claimer died is taken over once it expires; the late claimer cannot close the new claim', async () => {
      const c = clock(t0 + 100_000);
      const leases = createInstanceLeaseStore(db.db, c.now);
      await leases.register('dead2', 1_000);
      c.set(1_001);
      expect(only(await leases.claimExpired('x2', 2_000), '2').map((l) => l.instanceId)).toEqual(['dead2']);
      c.set(2_000);
      expect(only(await leases.claimExpired('y2', 2_000), '2')).toEqual([]);
      c.set(3_002);
      const taken = only(await leases.claimExpired('y2', 2_000), '2');
      // The takeover reconciles the same cut-off: the records the dead instance opened.
      expect(taken).toEqual([{ instanceId: 'dead2', expiredAt: new Date(t0 + 101_000) }]);
      await leases.markReconciled('dead2', 'x2', 1);
      expect((await leases.list()).find((l) => l.instanceId === 'dead2')).toMatchObject({ state: 'claimed', claimedBy: 'y2' });
      await leases.markReconciled('dead2', 'y2', 1);
      expect((await leases.list()).find((l) => l.instanceId === 'dead2')).toMatchObject({ state: 'reconciled', claimedBy: 'y2' });
    });

    it('a graceful stop with nothing open closes the lease; with records left open it expires at once for a survivor', async () => {
      const c = clock(t0 + 200_000);
      const leases = createInstanceLeaseStore(db.db, c.now);
      await leases.register('clean3', 60_000);
      await leases.register('dirty3', 60_000);
      await leases.release('clean3', 0);
      await leases.release('dirty3', 2);
      c.set(1);
      expect(only(await leases.claimExpired('z3', 5_000), '3').map((l) => l.instanceId)).toEqual(['dirty3']);
      expect((await leases.list()).find((l) => l.instanceId === 'clean3')).toMatchObject({ state: 'reconciled', reconciledRecords: 0 });
    });

    it('an instance restarting under its id takes its lease back; the old claim can no longer be closed over it', async () => {
      const c = clock(t0 + 300_000);
      const leases = createInstanceLeaseStore(db.db, c.now);
      await leases.register('r4', 1_000);
      c.set(5_000);
      expect(only(await leases.claimExpired('s4', 60_000), '4').map((l) => l.instanceId)).toEqual(['r4']);
      await leases.register('r4', 1_000);
      await leases.markReconciled('r4', 's4', 0);
      expect((await leases.list()).find((l) => l.instanceId === 'r4')).toMatchObject({ state: 'live', claimedBy: null });
      expect(await leases.renew('r4', 1_000, 'draining')).toBe(true);
      expect((await leases.list()).find((l) => l.instanceId === 'r4')).toMatchObject({ state: 'draining' });
    });

    it.runIf(name === 'Postgres')('survivors claiming at the same time on separate connections get each dead lease exactly once', async () => {
      const c = clock(t0 + 400_000);
      const leases = createInstanceLeaseStore(db.db, c.now);
      const dead = Array.from({ length: 30 }, (_, i) => `race5-${i}`);
      for (const id of dead) await leases.register(id, 1_000);
      c.set(2_000);
      const survivors = ['s5-a', 's5-b', 's5-c', 's5-d'];
      const claims = await Promise.all(survivors.map((s) => leases.claimExpired(s, 60_000)));
      const claimed = claims.flat().map((l) => l.instanceId).filter((id) => id.startsWith('race5-'));
      expect(claimed.sort()).toEqual([...dead].sort());
    });
  });
}

leaseSuite('PGlite', () => openDatabase({ dataDir: 'memory://' }), true);
leaseSuite('Postgres', openPostgresTestDatabase, pgUp);
