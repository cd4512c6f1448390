import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTwinStore, queryUsageReport, type OpenedDatabase, type TwinStore } from '../src/index';
import { insertRecords, variedRecords } from './billing-fixtures';
import { openTestDatabase } from './test-server';

const from = new Date('2031-03-01T00:00:00.000Z');
const to = new Date('2031-04-01T00:00:00.000Z');
const now = new Date('2031-03-11T07:30:00.123Z');

describe('usage snapshots (stream_usage_reports)', () => {
  let db: OpenedDatabase;
  let store: TwinStore;
  const tenant = `snap-${Math.random().toString(36).slice(2, 8)}`;

  beforeAll(async () => {
    db = await openTestDatabase();
    store = createTwinStore(db.db, { batchIntervalMs: 5 });
    await insertRecords(store, variedRecords(tenant, from, to, 60, 5));
  });
  afterAll(async () => {
    await store?.close();
    await db?.close();
  });

  it("stores each billed tenant's month-to-date report per currency, exactly the SQL usage report at that time", async () => {
    const written = await store.snapshotUsageReports(now);
    expect(written).toBeGreaterThanOrEqual(2); // this tenant bills in USD and EUR
    const snapshots = await store.listUsageSnapshots(tenant);
    expect(snapshots.map((s) => s.report.currency).sort()).toEqual(['EUR', 'USD']);
    for (const snapshot of snapshots) {
      expect(snapshot).toMatchObject({ tenantId: tenant, periodFrom: from, periodTo: to, groupBy: 'provider,model', createdAt: now });
      const report = await queryUsageReport(db.db, { tenantId: tenant, from, to, groupBy: ['provider', 'model'], currency: snapshot.report.currency, now });
      expect(snapshot.report).toEqual(report);
      expect(snapshot.report.totals.count).toBeGreaterThan(0);
    }
  });
});
