import { TwinError } from '../errors/twin-error';
import { streamBillingConfigSchema, type StreamBillingConfig } from '../protocol/billing';

/**
 * Picks the price table for a provider + model at a moment: among tables whose `effectiveFrom` is at
 * or before `at`, an exact model match beats `model: "*"`, then the latest `effectiveFrom` wins, then
 * the higher `version`. Returns `undefined` when none applies (the caller decides whether that is an
 * error; the server must still write a billing record, flagged).
 */
export function findPricing(
  configs: readonly StreamBillingConfig[],
  provider: string,
  model: string,
  at: Date | string | number,
): StreamBillingConfig | undefined {
  const when = at instanceof Date ? at.getTime() : typeof at === 'number' ? at : Date.parse(at);
  let best: StreamBillingConfig | undefined;
  let bestRank: [number, number, number] | undefined;
  for (const c of configs) {
    if (c.provider !== provider || (c.model !== model && c.model !== '*')) continue;
    const from = Date.parse(c.effectiveFrom);
    if (from > when) continue;
    const rank: [number, number, number] = [c.model === model ? 1 : 0, from, c.version];
    if (!bestRank || rank[0] > bestRank[0] || (rank[0] === bestRank[0] && (rank[1] > bestRank[1] || (rank[1] === bestRank[1] && rank[2] > bestRank[2])))) {
      best = c;
      bestRank = rank;
    }
  }
  return best;
}

/**
 * Validates user-supplied price tables (e.g. a JSON file) and puts them before `base` (by default
 * none), so {@link findPricing} over the result sees both and the user's newer or more specific
 * tables win. Throws `config_invalid` naming the first wrong field.
 */
export function parsePricingConfigs(input: unknown, base: readonly StreamBillingConfig[] = []): StreamBillingConfig[] {
  const result = streamBillingConfigSchema.array().safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new TwinError('config_invalid', `Invalid pricing config at ${issue.path.join('.') || '(root)'}: ${issue.message}`, { details: result.error.issues, cause: result.error });
  }
  return [...result.data, ...base];
}
