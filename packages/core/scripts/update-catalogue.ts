/**
 * Regenerates Twin's price catalogue (`src/billing/catalogue/*.generated.ts`) from the installed
 * `@pydantic/genai-prices`. One command: `pnpm catalogue:update` (at the repository root) first
 * installs the newest version of the source, then runs this script.
 *
 * Exact on the way: the source's numbers are read from its module TEXT (read-genai-prices.ts),
 * never evaluated to floats, and per-million prices become per-thousand by moving the decimal point.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readGenaiPrices, type RawValue } from './read-genai-prices';

const PROVIDERS = ['openai', 'anthropic', 'google'] as const;
const OUT_DIR = join(import.meta.dirname, '..', 'src', 'billing', 'catalogue');
/** Prices of the source's first, unconstrained entry apply from the start of its record. */
const SINCE_ALWAYS = '1970-01-01T00:00:00Z';

/** Source keys (per million tokens) → Twin's per-1K fields. Everything else is listed as not metered. */
const TOKEN_KEYS: Record<string, keyof TokenPrices> = {
  input_mtok: 'inputPer1K',
  cache_read_mtok: 'cachedInputReadPer1K',
  cache_write_mtok: 'cachedInputWritePer1K',
  output_mtok: 'outputPer1K',
  output_reasoning_mtok: 'reasoningPer1K',
};

interface TokenPrices {
  inputPer1K?: string;
  cachedInputReadPer1K?: string;
  cachedInputWritePer1K?: string;
  outputPer1K?: string;
  reasoningPer1K?: string;
}

type Obj = { [key: string]: RawValue };
const isObj = (v: RawValue | undefined): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v) && !('decimal' in v);
function decimal(v: RawValue | undefined, where: string): string {
  if (typeof v === 'object' && v !== null && 'decimal' in v && typeof v.decimal === 'string') return v.decimal;
  throw new Error(`${where}: expected a number`);
}

/** Per million → per thousand: the decimal point moves three places left, digit for digit. */
export function perMillionToPerThousand(d: string): string {
  const [int = '0', frac = ''] = d.split('.');
  const digits = int.padStart(4, '0') + frac;
  const point = digits.length - frac.length - 3;
  const whole = digits.slice(0, point).replace(/^0+(?=\d)/, '');
  const fraction = digits.slice(point).replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : whole;
}

interface Converted {
  base: TokenPrices;
  tiers: (TokenPrices & { aboveInputTokens: number })[];
  notMetered: string[];
}

function convertPrices(prices: Obj, where: string): Converted {
  const base: TokenPrices = {};
  const tiered: { field: keyof TokenPrices; tiers: { start: number; price: string }[] }[] = [];
  const notMetered: string[] = [];
  for (const [key, value] of Object.entries(prices)) {
    const field = TOKEN_KEYS[key];
    if (!field) {
      notMetered.push(key);
      continue;
    }
    if (isObj(value) && 'base' in value) {
      base[field] = perMillionToPerThousand(decimal(value.base, `${where}.${key}.base`));
      const tiers = (value.tiers as Obj[]).map((t) => ({ start: Number(decimal(t.start, `${where}.${key}.start`)), price: perMillionToPerThousand(decimal(t.price, `${where}.${key}.price`)) }));
      tiered.push({ field, tiers });
    } else {
      base[field] = perMillionToPerThousand(decimal(value, `${where}.${key}`));
    }
  }
  // One context tier per distinct threshold; each price is its key's highest tier at or below it.
  const starts = [...new Set(tiered.flatMap((t) => t.tiers.map((x) => x.start)))].sort((a, b) => a - b);
  const tiers = starts.map((start) => {
    const tier: TokenPrices & { aboveInputTokens: number } = { ...base, aboveInputTokens: start };
    for (const t of tiered) {
      for (const x of t.tiers) if (x.start <= start) tier[t.field] = x.price;
    }
    return tier;
  });
  return { base, tiers, notMetered: notMetered.sort() };
}

function ordered(p: TokenPrices): TokenPrices {
  const out: TokenPrices = {};
  for (const k of ['inputPer1K', 'cachedInputReadPer1K', 'cachedInputWritePer1K', 'outputPer1K', 'reasoningPer1K'] as const) if (p[k] !== undefined) out[k] = p[k];
  return out;
}

function convertModel(provider: string, m: Obj, skipped: string[]): Obj | undefined {
  const id = m.id as string;
  const list: Obj[] = Array.isArray(m.prices) ? (m.prices as Obj[]) : [{ prices: m.prices as Obj }];
  const prices: Obj[] = [];
  for (const entry of list) {
    const c = entry.constraint as Obj | undefined;
    if (c && c.type !== 'start_date') {
      skipped.push(`${provider}/${id}: ${String(c.type)} prices (not date-based) left out`);
      continue;
    }
    const converted = convertPrices(entry.prices as Obj, `${provider}/${id}`);
    if (converted.base.inputPer1K === undefined || converted.base.outputPer1K === undefined) continue;
    const price: Obj = { effectiveFrom: c ? `${String(c.start_date)}T00:00:00Z` : SINCE_ALWAYS, ...ordered(converted.base) } as Obj;
    if (converted.tiers.length > 0) price.contextTiers = converted.tiers.map((t) => ({ aboveInputTokens: t.aboveInputTokens, ...ordered(t) })) as unknown as RawValue;
    if (converted.notMetered.length > 0) price.notMetered = converted.notMetered;
    prices.push(price);
  }
  if (prices.length === 0) {
    skipped.push(`${provider}/${id}: no input and output token prices in the source`);
    return undefined;
  }
  prices.sort((a, b) => Date.parse(a.effectiveFrom as string) - Date.parse(b.effectiveFrom as string));
  const out: Obj = { provider, id };
  if (typeof m.name === 'string') out.name = m.name;
  out.match = m.match as RawValue;
  if (m.context_window !== undefined) out.contextWindow = Number(decimal(m.context_window, `${provider}/${id}.context_window`)) as unknown as RawValue;
  if (m.deprecated === true) out.deprecated = true;
  out.prices = prices;
  return out;
}

function publishedAt(version: string): string | undefined {
  try {
    const times = JSON.parse(execFileSync('npm', ['view', '@pydantic/genai-prices', 'time', '--json'], { encoding: 'utf8', timeout: 30_000 })) as Record<string, string>;
    return times[version] ? new Date(times[version]).toISOString() : undefined;
  } catch {
    return undefined; // offline: the version alone identifies the data
  }
}

const { version, providers } = readGenaiPrices();
const skipped: string[] = [];
const header = (what: string) =>
  `// GENERATED by packages/core/scripts/update-catalogue.ts from @pydantic/genai-prices@${version}: ${what}.\n// Do not edit by hand; run \`pnpm catalogue:update\`.\n`;
for (const provider of PROVIDERS) {
  const source = (providers as Obj[]).find((p) => p.id === provider);
  if (!source) throw new Error(`Provider ${provider} is missing from the source`);
  const models = (source.models as Obj[]).map((m) => convertModel(provider, m, skipped)).filter((m): m is Obj => m !== undefined);
  const name = `${provider.toUpperCase()}_CATALOGUE`;
  const body = models.map((m) => `  ${JSON.stringify(m)},`).join('\n');
  writeFileSync(
    join(OUT_DIR, `${provider}-catalogue.generated.ts`),
    `${header(`${provider} list prices per 1,000 tokens`)}import type { CatalogueModel } from './price-catalogue';\n\n/** ${provider} models priced by the catalogue (${models.length}). */\nexport const ${name}: readonly CatalogueModel[] = [\n${body}\n];\n`,
  );
  console.log(`${provider}: ${models.length} models`);
}
const source = { package: '@pydantic/genai-prices', version, publishedAt: publishedAt(version) };
writeFileSync(
  join(OUT_DIR, 'catalogue-source.generated.ts'),
  `${header('where the catalogue came from')}import type { CatalogueSource } from './price-catalogue';\n\n/** The source and version the catalogue was generated from. */\nexport const CATALOGUE_SOURCE: CatalogueSource = ${JSON.stringify(source)};\n\n/** Source entries the catalogue leaves out, and why. */\nexport const CATALOGUE_SKIPPED: readonly string[] = ${JSON.stringify(skipped, null, 2)};\n`,
);
console.log(`skipped ${skipped.length}:\n  ${skipped.join('\n  ')}`);
