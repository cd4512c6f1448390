/**
 * The shapes of Twin's price catalogue: providers' list prices per model and effective date, as
 * exact decimal strings per 1,000 tokens. The data is generated from a maintained source (see
 * `catalogue-source.generated.ts` and `pnpm catalogue:update`); this file holds only the types and
 * the model matching the source defines.
 */

/** How the source recognises a model name (case-insensitive, as the source compares). */
export type ModelMatch =
  | { readonly equals: string }
  | { readonly starts_with: string }
  | { readonly ends_with: string }
  | { readonly contains: string }
  | { readonly regex: string }
  | { readonly or: readonly ModelMatch[] }
  | { readonly and: readonly ModelMatch[] };

/** Per-1,000-token prices of the five token buckets Twin meters. Cached and reasoning prices are absent when the source has none. */
export interface CatalogueTokenPrices {
  readonly inputPer1K: string;
  readonly cachedInputReadPer1K?: string;
  readonly cachedInputWritePer1K?: string;
  readonly outputPer1K: string;
  readonly reasoningPer1K?: string;
}

/** The prices of one model from one effective date on. */
export interface CataloguePrice extends CatalogueTokenPrices {
  /** ISO date from which these prices apply (the source's start date, or 1970 for its first prices). */
  readonly effectiveFrom: string;
  /** Context-size tiers: above `aboveInputTokens` input tokens the whole request is priced at the tier. */
  readonly contextTiers?: readonly (CatalogueTokenPrices & { readonly aboveInputTokens: number })[];
  /**
   * Source price keys Twin's usage does not meter (audio, image and video tokens, per-request and
   * per-search fees, one-hour cache writes). Listed so a reader sees what a bill cannot contain.
   */
  readonly notMetered?: readonly string[];
}

/** One model of one provider in the catalogue. */
export interface CatalogueModel {
  readonly provider: string;
  /** The source's model id (the canonical name; records carry the name the request used). */
  readonly id: string;
  readonly name?: string;
  readonly match: ModelMatch;
  readonly contextWindow?: number;
  readonly deprecated?: boolean;
  /** Ascending by `effectiveFrom`. */
  readonly prices: readonly CataloguePrice[];
}

/** Where the catalogue came from, for docs, `twin-server` and records. */
export interface CatalogueSource {
  readonly package: string;
  readonly version: string;
  /** When the source package version was published (from the registry at update time). */
  readonly publishedAt?: string;
}

const regexCache = new Map<string, RegExp>();

/** Whether `model` satisfies the source's match rule (the comparisons the source itself makes). */
export function matchesModel(match: ModelMatch, model: string): boolean {
  const m = model.toLowerCase();
  if ('or' in match) return match.or.some((x) => matchesModel(x, model));
  if ('and' in match) return match.and.every((x) => matchesModel(x, model));
  if ('equals' in match) return m === match.equals.toLowerCase();
  if ('starts_with' in match) return m.startsWith(match.starts_with.toLowerCase());
  if ('ends_with' in match) return m.endsWith(match.ends_with.toLowerCase());
  if ('contains' in match) return m.includes(match.contains.toLowerCase());
  let re = regexCache.get(match.regex);
  if (!re) regexCache.set(match.regex, (re = new RegExp(match.regex)));
  return re.test(model);
}

/** The catalogue model a provider's model name belongs to: the first whose rule matches, in source order. */
export function findCatalogueModel(catalogue: readonly CatalogueModel[], provider: string, model: string): CatalogueModel | undefined {
  for (const entry of catalogue) if (entry.provider === provider && matchesModel(entry.match, model)) return entry;
  return undefined;
}

/** The prices of a catalogue model in effect at `at` (the latest `effectiveFrom` at or before it). */
export function cataloguePriceAt(entry: CatalogueModel, at: Date | string | number): CataloguePrice | undefined {
  const when = at instanceof Date ? at.getTime() : typeof at === 'number' ? at : Date.parse(at);
  let best: CataloguePrice | undefined;
  for (const p of entry.prices) if (Date.parse(p.effectiveFrom) <= when) best = p;
  return best;
}
