import { z } from 'zod';
import { TwinError } from '../errors/twin-error';
import { decimalStringSchema, streamBillingConfigSchema, type StreamBillingConfig } from '../protocol/billing';
import type { BillingContext, MeasuredSla } from './bill-types';

const slaSchema = streamBillingConfigSchema.shape.sla;
const discountSchema = streamBillingConfigSchema.shape.volumeDiscount;
const taxesSchema = streamBillingConfigSchema.shape.taxes;

/**
 * Terms the customer agreed for one price table (named by its `provider` and `model` exactly as the
 * table writes them, `*` included): its taxes, SLA and volume-discount plan, which replace the
 * profile's own on that table's streams. `twin-server profile migrate` writes them from price tables
 * made before profiles existed, so a tenant's bills stay exactly what they were.
 */
export const billingModelTermsSchema = z
  .object({
    provider: z.string().min(1),
    model: z.string().min(1),
    taxes: taxesSchema,
    sla: slaSchema,
    volumeDiscount: discountSchema,
  })
  .strict();
export type BillingModelTerms = z.infer<typeof billingModelTermsSchema>;

/**
 * What belongs to the customer (a tenant), not to a price list: the currency it is billed in and the
 * exchange rate from the price lists' currency, its tax jurisdiction and the rates that apply there
 * (local rates for a customer in the seller's jurisdiction, reverse charge or none for international
 * ones), the SLA it bought and its volume-discount plan. Price lists hold prices only.
 */
export const billingProfileSchema = z.object({
  tenantId: z.string().min(1),
  /** Shown on invoices. */
  name: z.string().optional(),
  address: z.array(z.string()).optional(),
  currency: z.string().regex(/^[A-Z]{3}$/).default('USD'),
  /**
   * Price lists' currency → this currency, as a decimal string ("0.9215"). Required when the currency
   * differs from the price list's; every bill records the rate it used.
   */
  exchangeRate: decimalStringSchema.optional(),
  /** The customer's tax jurisdiction ("DE", "CA-BC"); rates apply to it, its parent region, or "*". */
  jurisdiction: z.string().min(1).optional(),
  taxes: taxesSchema,
  sla: slaSchema,
  volumeDiscount: discountSchema,
  /** Terms agreed per price table, winning over the three above on that table's streams. */
  modelTerms: z.array(billingModelTermsSchema).max(1_000).optional(),
  /** Decimal places of the invoice's amount due (the currency's minor unit; 2 for cents). */
  invoiceMinorUnits: z.number().int().min(0).max(6).default(2),
});
export type BillingProfile = z.infer<typeof billingProfileSchema>;
export type BillingProfileInput = z.input<typeof billingProfileSchema>;

// One merged table per (price table, profile): every stream of a tenant on a model shares it.
const merged = new WeakMap<StreamBillingConfig, WeakMap<BillingProfile, StreamBillingConfig>>();

/**
 * A price table with the customer's plan applied: the profile's taxes, SLA and volume discount (its
 * `modelTerms` for this table, when it has them) REPLACE the table's (a price list's own are a legacy of tables written before profiles existed and
 * are used only for tenants without a profile). Cached per (table, profile) object and frozen.
 */
export function applyBillingProfile(config: StreamBillingConfig, profile: BillingProfile | undefined): StreamBillingConfig {
  if (!profile) return config;
  let byProfile = merged.get(config);
  if (!byProfile) merged.set(config, (byProfile = new WeakMap()));
  let out = byProfile.get(profile);
  if (!out) {
    const { sla: _sla, volumeDiscount: _discount, ...prices } = config;
    const terms = profile.modelTerms?.find((t) => t.provider === config.provider && t.model === config.model) ?? profile;
    out = Object.freeze({
      ...prices,
      ...(terms.sla ? { sla: terms.sla } : {}),
      ...(terms.volumeDiscount ? { volumeDiscount: terms.volumeDiscount } : {}),
      taxes: terms.taxes,
      ...(config.id !== undefined ? { id: config.id } : {}),
    }) as StreamBillingConfig;
    byProfile.set(profile, out);
  }
  return out;
}

/** The per-bill context a profile gives: jurisdiction and exchange rate, plus what the caller measured. */
export function billingContextFor(profile: BillingProfile | undefined, config: StreamBillingConfig, measured: { periodTokensBefore?: number; sla?: MeasuredSla } = {}): BillingContext {
  const context: BillingContext = { ...measured };
  if (!profile) return context;
  if (profile.jurisdiction !== undefined) context.jurisdiction = profile.jurisdiction;
  if (profile.currency !== config.currency) {
    if (profile.exchangeRate === undefined) {
      throw new TwinError('config_invalid', `The billing profile of tenant ${profile.tenantId} bills in ${profile.currency} but has no exchangeRate from ${config.currency}.`);
    }
    context.exchangeRate = { to: profile.currency, rate: profile.exchangeRate };
  }
  return context;
}

/** Whether a price table still carries customer terms (taxes, SLA or a discount plan) from before profiles. */
export function carriesCustomerTerms(config: StreamBillingConfig): boolean {
  return config.taxes.length > 0 || config.sla !== undefined || config.volumeDiscount !== undefined;
}

/**
 * Splits a legacy price table (taxes, SLA and discount inside) into the price list and the customer's
 * part, for migrating stored tables to profiles.
 */
export function splitLegacyPricing(config: StreamBillingConfig): { prices: StreamBillingConfig; plan: Pick<BillingProfile, 'taxes' | 'sla' | 'volumeDiscount'> } {
  const { sla, volumeDiscount, taxes, ...prices } = config;
  return { prices: { ...prices, taxes: [] }, plan: { taxes, sla, volumeDiscount } };
}
