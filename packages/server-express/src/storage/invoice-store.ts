import {
  TwinError,
  buildCreditNote,
  buildInvoice,
  type BillingProfile,
  type Invoice,
} from '@twin/core';
import { and, asc, desc, eq, sql } from 'drizzle-orm';
import type { TwinDatabase } from './open-database';
import { invoices, streamBillingRecords } from './schema';
import { toRecord } from './store-rows';
import { billedAt } from './usage-report';

/** Issued invoices and credit notes. Insert-only: an issued document is never changed. */
export interface InvoiceStore {
  /**
   * Issues the tenant's invoice for `[from, to)` from the final records billed in it. Refused with
   * 409 while an invoice of that period stands (not cancelled by a credit note).
   */
  issue(input: { profile: BillingProfile; from: Date; to: Date; issuedAt?: Date }): Promise<Invoice>;
  /** A credit note cancelling an invoice in full; the period can then be invoiced again. */
  credit(number: string, input: { reason: string; issuedAt?: Date }): Promise<Invoice>;
  get(number: string): Promise<Invoice | undefined>;
  list(tenantId: string): Promise<Invoice[]>;
}

const day = (d: Date) => d.toISOString().slice(0, 10).replace(/-/g, '');

/** `INV-<tenant>-2026-11` for a calendar month, `INV-<tenant>-20261101-20261115` otherwise; `-2`, `-3`... for re-issues. */
function invoiceNumber(tenantId: string, from: Date, to: Date, revision: number): string {
  const month =
    from.getUTCDate() === 1 && from.getUTCHours() + from.getUTCMinutes() + from.getUTCSeconds() + from.getUTCMilliseconds() === 0 &&
    to.getTime() === Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + 1, 1);
  const label = month ? from.toISOString().slice(0, 7) : `${day(from)}-${day(to)}`;
  return `INV-${tenantId}-${label}${revision > 1 ? `-${revision}` : ''}`;
}

function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; cause?: { code?: string } };
  return e?.code === '23505' || e?.cause?.code === '23505';
}

export function createInvoiceStore(db: TwinDatabase): InvoiceStore {
  async function insert(doc: Invoice): Promise<void> {
    try {
      await db.insert(invoices).values({
        number: doc.number,
        kind: doc.kind,
        tenantId: doc.tenantId,
        periodFrom: new Date(doc.period.from),
        periodTo: new Date(doc.period.to),
        issuedAt: new Date(doc.issuedAt),
        currency: doc.currency,
        total: doc.totals.total,
        amountDue: doc.totals.amountDue,
        refersTo: doc.refersTo ?? null,
        document: doc as unknown as Record<string, unknown>,
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new TwinError('conflict', `${doc.kind === 'invoice' ? 'Invoice' : 'A credit note for'} ${doc.refersTo ?? doc.number} was issued meanwhile.`, { cause: error });
      throw error;
    }
  }

  return {
    async issue({ profile, from, to, issuedAt = new Date() }) {
      if (!(to > from)) throw new TwinError('invalid_request', 'Invalid period: to must be after from.', { details: { field: 'to' } });
      if (issuedAt < to) throw new TwinError('invalid_request', `The period ends ${to.toISOString()}: an invoice is issued once its period is over.`, { details: { field: 'period' } });
      const previous = await db
        .select({ number: invoices.number, credited: sql<boolean>`exists (select 1 from ${invoices} c where c.refers_to = ${invoices.number} and c.kind = 'credit_note')` })
        .from(invoices)
        .where(and(eq(invoices.tenantId, profile.tenantId), eq(invoices.kind, 'invoice'), eq(invoices.periodFrom, from), eq(invoices.periodTo, to)));
      const standing = previous.find((p) => !p.credited);
      if (standing) throw new TwinError('conflict', `Invoice ${standing.number} already covers this period; cancel it with a credit note first.`, { details: { number: standing.number } });
      const rows = await db
        .select()
        .from(streamBillingRecords)
        .where(
          and(
            eq(streamBillingRecords.tenantId, profile.tenantId),
            eq(streamBillingRecords.state, 'final'),
            sql`${billedAt} >= ${from.toISOString()}::timestamptz and ${billedAt} < ${to.toISOString()}::timestamptz`,
          ),
        )
        .orderBy(asc(streamBillingRecords.endedAt));
      const invoice = buildInvoice({ number: invoiceNumber(profile.tenantId, from, to, previous.length + 1), profile, period: { from, to }, issuedAt, records: rows.map(toRecord) });
      await insert(invoice);
      return invoice;
    },
    async credit(number, { reason, issuedAt = new Date() }) {
      const invoice = await this.get(number);
      if (!invoice) throw new TwinError('not_found', `No invoice ${number}.`);
      const note = buildCreditNote(invoice, { number: `CN-${number}`, issuedAt, reason });
      await insert(note);
      return note;
    },
    async get(number) {
      const [row] = await db.select({ document: invoices.document }).from(invoices).where(eq(invoices.number, number)).limit(1);
      return row ? (row.document as unknown as Invoice) : undefined;
    },
    async list(tenantId) {
      const rows = await db.select({ document: invoices.document }).from(invoices).where(eq(invoices.tenantId, tenantId)).orderBy(desc(invoices.issuedAt));
      return rows.map((r) => r.document as unknown as Invoice);
    },
  };
}
