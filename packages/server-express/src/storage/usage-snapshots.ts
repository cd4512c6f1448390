import { randomBytes } from 'node:crypto';
import { and, asc, desc, eq, sql } from 'drizzle-orm';
import { budgetPeriodBounds, type StreamUsageReport, type UsageReportDimension } from '@twin/core';
import type { TwinDatabase } from './open-database';
import { streamBillingRecords, streamUsageReports } from './schema';
import { billedAt, queryUsageReport } from './usage-report';

/** The grouping every snapshot uses: what a monthly statement is read by. */
const SNAPSHOT_GROUP_BY: UsageReportDimension[] = ['provider', 'model'];

/** One stored snapshot of a tenant's month-to-date usage report. */
export interface UsageSnapshot {
  id: string;
  tenantId: string;
  periodFrom: Date;
  periodTo: Date;
  groupBy: string;
  report: StreamUsageReport;
  createdAt: Date;
}

/**
 * Writes the month-to-date usage report (calendar month, UTC, grouped by provider and model) of
 * every tenant and currency billed this month into stream_usage_reports: a periodic record of
 * what the month looked like as it went, for statements and audits. The report is
 * {@link queryUsageReport}'s, exactly. Returns how many snapshots were written.
 */
export async function snapshotUsageReports(db: TwinDatabase, now: Date): Promise<number> {
  const { from, to } = budgetPeriodBounds('month', now);
  const billed = await db
    .selectDistinct({ tenantId: streamBillingRecords.tenantId, currency: streamBillingRecords.currency })
    .from(streamBillingRecords)
    .where(and(eq(streamBillingRecords.state, 'final'), sql`${billedAt} >= ${from.toISOString()}::timestamptz`, sql`${billedAt} < ${to.toISOString()}::timestamptz`))
    .orderBy(asc(streamBillingRecords.tenantId), asc(streamBillingRecords.currency));
  for (const { tenantId, currency } of billed) {
    const report = await queryUsageReport(db, { tenantId, from, to, groupBy: SNAPSHOT_GROUP_BY, currency, now });
    await db.insert(streamUsageReports).values({
      id: `usage_${randomBytes(9).toString('base64url')}`,
      tenantId,
      periodFrom: from,
      periodTo: to,
      groupBy: SNAPSHOT_GROUP_BY.join(','),
      report: report as unknown as Record<string, unknown>,
      createdAt: now,
    });
  }
  return billed.length;
}

/** The tenant's latest snapshots, newest first. */
export async function listUsageSnapshots(db: TwinDatabase, tenantId: string, limit = 50): Promise<UsageSnapshot[]> {
  const rows = await db.select().from(streamUsageReports).where(eq(streamUsageReports.tenantId, tenantId)).orderBy(desc(streamUsageReports.createdAt)).limit(limit);
  return rows.map((row) => ({ ...row, report: row.report as unknown as StreamUsageReport }));
}
