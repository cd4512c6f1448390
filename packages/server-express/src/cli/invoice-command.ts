import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { billingProfileSchema, invoiceToCsv, invoiceToHtml, safeParseJSON, TwinError, type Invoice } from '@twin/core';
import { createBillingProfileStore } from '../storage/billing-profile-store';
import { createInvoiceStore } from '../storage/invoice-store';
import type { TwinStore } from '../storage/twin-store';
import { periodBounds } from '../http/invoice-routes';

export const INVOICE_HELP = `  twin-server invoice issue --tenant <id> --period <YYYY-MM>   issue a tenant's invoice for a month that is over
  twin-server invoice show <number> [--format json|csv|html]    print an issued invoice
  twin-server invoice list --tenant <id>
  twin-server invoice credit <number> --reason <text>          cancel an invoice with a credit note
  twin-server profile show --tenant <id>
  twin-server profile set --tenant <id> --file <profile.json>   currency, exchangeRate, jurisdiction, taxes, sla, volumeDiscount, modelTerms
  twin-server profile migrate [--dry-run]                      move taxes, SLA and discount terms from price tables into tenants' profiles (idempotent)`;

function render(invoice: Invoice, format: string | undefined): string {
  if (format === undefined || format === 'json') return JSON.stringify(invoice, null, 2) + '\n';
  if (format === 'csv') return invoiceToCsv(invoice);
  if (format === 'html') return invoiceToHtml(invoice);
  throw new TwinError('invalid_argument', '--format must be json, csv or html');
}

/** `twin-server invoice …` and `twin-server profile …`; returns the exit code. */
export async function invoiceCommand(command: 'invoice' | 'profile', sub: string | undefined, args: string[], withStore: <T>(fn: (store: TwinStore) => Promise<T>) => Promise<T>, out: (s: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { tenant: { type: 'string' }, period: { type: 'string' }, format: { type: 'string' }, reason: { type: 'string' }, file: { type: 'string' } },
  });
  return withStore(async (store) => {
    const invoices = createInvoiceStore(store.db);
    const profiles = createBillingProfileStore(store.db);
    const tenant = () => {
      if (!values.tenant) throw new TwinError('invalid_argument', `${command} ${sub} needs --tenant <id>`);
      return values.tenant;
    };
    if (command === 'profile') {
      if (sub === 'show') {
        out(JSON.stringify((await profiles.get(tenant())) ?? billingProfileSchema.parse({ tenantId: tenant() }), null, 2) + '\n');
        return 0;
      }
      if (sub === 'set') {
        if (!values.file) throw new TwinError('invalid_argument', 'profile set needs --file <profile.json>');
        const parsed = safeParseJSON(readFileSync(values.file, 'utf8'));
        if (!parsed.success) throw new TwinError('config_invalid', `${values.file} is not valid JSON.`);
        const result = billingProfileSchema.safeParse({ ...(parsed.value as object), tenantId: tenant() });
        if (!result.success) throw new TwinError('config_invalid', `Invalid billing profile at ${result.error.issues[0]!.path.join('.')}: ${result.error.issues[0]!.message}`);
        await profiles.put(result.data);
        out(`billing profile of ${result.data.tenantId} saved (${result.data.currency}${result.data.jurisdiction ? `, ${result.data.jurisdiction}` : ''})\n`);
        return 0;
      }
      return 2;
    }
    if (sub === 'issue') {
      if (!values.period || !/^\d{4}-(0[1-9]|1[0-2])$/.test(values.period)) throw new TwinError('invalid_argument', 'invoice issue needs --period <YYYY-MM>');
      const { from, to } = periodBounds(values.period);
      const profile = (await profiles.get(tenant())) ?? billingProfileSchema.parse({ tenantId: tenant() });
      const invoice = await invoices.issue({ profile, from, to });
      out(`${invoice.number}\t${invoice.recordCount} streams\t${invoice.totals.amountDue} ${invoice.currency}\n`);
      return 0;
    }
    if (sub === 'show') {
      const invoice = positionals[0] ? await invoices.get(positionals[0]) : undefined;
      if (!invoice) throw new TwinError('not_found', `No invoice ${positionals[0] ?? '(give a number)'}.`);
      out(render(invoice, values.format));
      return 0;
    }
    if (sub === 'list') {
      for (const i of await invoices.list(tenant())) out(`${i.number}\t${i.kind}\t${i.period.from.slice(0, 10)}\t${i.period.to.slice(0, 10)}\t${i.totals.amountDue} ${i.currency}\n`);
      return 0;
    }
    if (sub === 'credit') {
      if (!positionals[0] || !values.reason) throw new TwinError('invalid_argument', 'invoice credit needs <number> --reason <text>');
      const note = await invoices.credit(positionals[0], { reason: values.reason });
      out(`${note.number}\tcredits ${note.refersTo}\t${note.totals.amountDue} ${note.currency}\n`);
      return 0;
    }
    return 2;
  });
}
