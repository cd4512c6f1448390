import type { CostReceipt, StreamBillingRecord } from '@twin/core';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRecordOf } from '../../test/billing-fixtures';
import { openDatabase, type OpenedDatabase } from '../storage/open-database';
import { createInstanceLeaseStore } from '../storage/instance-lease-store';
import { createTwinStore, type TwinStore } from '../storage/twin-store';
import { createPricingBook } from '../stream/pricing-book';
import { reconcileOpenRecords } from '../stream/reconcile-open-records';
import { createLeaseKeeper, type LeaseKeeper } from './lease-keeper';

const logger = pino({ level: 'silent' });

describe('createLeaseKeeper', () => {
  let db: OpenedDatabase;
  const stores: TwinStore[] = [];
  beforeAll(async () => {
    db = await openDatabase({ dataDir: 'memory://' });
  });
  afterAll(async () => {
    for (const s of stores) await s.close();
    await db?.close();
  });

  it("a survivor reconciles exactly the records a dead instance opened before its lease expired, once, and announces each with its receipt; the fenced instance re-registers", async () => {
    const start = Date.now();
    let t = start;
    const leases = createInstanceLeaseStore(db.db, () => new Date(t));
    const dead = createTwinStore(db.db, { instanceId: 'dead-1', batchIntervalMs: 5 });
    const alive = createTwinStore(db.db, { instanceId: 'alive-1', batchIntervalMs: 5 });
    const other = createTwinStore(db.db, { instanceId: 'alive-2', batchIntervalMs: 5 });
    stores.push(dead, alive, other);
    const pricing = await createPricingBook(alive);
    const announced: Array<{ record: StreamBillingRecord; receipt: CostReceipt | undefined }> = [];
    const keeperOf = (store: TwinStore, onFenced?: () => void): LeaseKeeper =>
      createLeaseKeeper({
        leases,
        instanceId: store.instanceId,
        leaseMs: 1_000,
        schedule: false,
        logger,
        ...(onFenced ? { onFenced } : {}),
        reconcile: async (lease) =>
          (
            await reconcileOpenRecords({
              store,
              pricing,
              countTokens: (text) => text.split(' ').length,
              logger,
              of: { instanceId: lease.instanceId, startedBefore: lease.expiredAt },
              onReconciled: (record, receipt) => void announced.push({ record, receipt }),
            })
          ).reconciled,
      });
    let fenced = 0;
    const deadKeeper = keeperOf(dead, () => fenced++);
    const a = keeperOf(alive);
    const b = keeperOf(other);
    await Promise.all([deadKeeper.start(), a.start(), b.start()]);

    dead.openings.push(openRecordOf({ streamId: 'k-s1', tenantId: 'k', startedAt: new Date(start - 50) }));
    dead.openings.push(openRecordOf({ streamId: 'k-s2', tenantId: 'k', startedAt: new Date(start - 10) }));
    await dead.flush();
    // The dead instance stops beating; the others keep theirs.
    t = start + 600;
    expect(await a.tick()).toEqual([]);
    expect(await b.tick()).toEqual([]);
    t = start + 1_001;
    const [claimedByA, claimedByB] = await Promise.all([a.tick(), b.tick()]);
    const claims = [...claimedByA, ...claimedByB];
    expect(claims.map((c) => c.instanceId)).toEqual(['dead-1']);
    // A record the same id opens after the expiry (a restarted instance) is not the dead one's.
    dead.openings.push(openRecordOf({ streamId: 'k-s3', tenantId: 'k', startedAt: new Date(start + 1_500) }));
    await dead.flush();
    t = start + 1_400;
    expect([...(await a.tick()), ...(await b.tick())]).toEqual([]);

    expect(announced.map((x) => x.record.streamId).sort()).toEqual(['k-s1', 'k-s2']);
    for (const { record, receipt } of announced) {
      expect(record).toMatchObject({ state: 'final', endReason: 'interrupted', usageEstimated: true });
      expect(receipt).toMatchObject({ recordId: record.id, estimated: true, currency: "USD" });
      expect(receipt?.total).toMatch(/^\d+(\.\d+)?$/);
      expect(receipt?.total).toBe(record.lines?.total);
    }
    expect((await alive.getBillingRecord('k', 'k-s3'))?.state).toBe('open');
    expect((await leases.list()).find((l) => l.instanceId === 'dead-1')).toMatchObject({ state: 'reconciled', reconciledRecords: 2 });

    // The presumed-dead instance was only paused: its next heartbeat learns it and re-registers.
    await deadKeeper.tick();
    expect(fenced).toBe(1);
    expect((await leases.list()).find((l) => l.instanceId === 'dead-1')).toMatchObject({ state: 'live' });
    await Promise.all([deadKeeper.stop(0), a.stop(0), b.stop(0)]);
    expect((await leases.list()).filter((l) => l.instanceId.endsWith('-1') || l.instanceId === 'alive-2').map((l) => l.state)).toEqual(['reconciled', 'reconciled', 'reconciled']);
  });
});
