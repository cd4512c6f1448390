import { TwinError, type Provider } from '@twin/core';
import type { TwinService } from '../../twin-service';

/** A model name of a compatible door, resolved to a configured provider and its model. */
export interface CompatModel {
  provider: Provider;
  model: string;
}

/**
 * Resolves the `model` of an OpenAI or Anthropic request: `provider/model` (`openai/gpt-4o`,
 * `simulated/sim-1`; the model part may itself hold slashes), a bare provider name (its default
 * model), or a bare model name that the price catalogue or a provider's default model ties to one
 * configured provider. Anything else is a 404 naming `model`, as OpenAI answers an unknown model.
 */
export function resolveCompatModel(service: TwinService, name: string): CompatModel {
  const names = new Set(service.providerNames());
  const slash = name.indexOf('/');
  if (slash > 0 && names.has(name.slice(0, slash)) && slash < name.length - 1) {
    return { provider: service.provider(name.slice(0, slash)), model: name.slice(slash + 1) };
  }
  if (names.has(name)) {
    const provider = service.provider(name);
    if (provider.defaultModel) return { provider, model: provider.defaultModel };
  }
  if (slash < 0) {
    for (const provider of names) if (service.provider(provider).defaultModel === name) return { provider: service.provider(provider), model: name };
    for (const config of service.pricing.list()) {
      if (config.model === name && names.has(config.provider)) return { provider: service.provider(config.provider), model: name };
    }
  }
  throw new TwinError('not_found', `The model "${name}" does not exist or is not served here. Name it as provider/model; see GET /v1/models.`, {
    details: { field: 'model' },
  });
}

/** One entry of `GET /v1/models`. */
export interface CompatModelEntry {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}

/**
 * The models a caller may name: every configured provider's default model and the models the price
 * catalogue (stored configs, the pricing file, the shipped defaults) lists for it, as
 * `provider/model`, sorted. `created` is when the first price took effect (0 when unknown).
 */
export function listCompatModels(service: TwinService): CompatModelEntry[] {
  const names = service.providerNames();
  const created = new Map<string, number>();
  const add = (provider: string, model: string, at: number) => {
    const id = `${provider}/${model}`;
    const known = created.get(id);
    if (known === undefined || (at > 0 && (known === 0 || at < known))) created.set(id, at);
  };
  for (const name of names) {
    const model = service.provider(name).defaultModel;
    if (model) add(name, model, 0);
  }
  for (const config of service.pricing.list()) {
    if (names.includes(config.provider)) add(config.provider, config.model, Math.floor(new Date(config.effectiveFrom).getTime() / 1000));
  }
  return [...created.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([id, at]) => ({ id, object: 'model' as const, created: at, owned_by: id.slice(0, id.indexOf('/')) }));
}
