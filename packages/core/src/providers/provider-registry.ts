import { z } from 'zod';
import { TwinError } from '../errors/twin-error';
import { createAnthropicProvider, type AnthropicClient } from './anthropic';
import type { ProviderEnvironment } from './environment';
import type { TokenCounter } from './estimate-usage';
import { createGeminiProvider } from './gemini';
import { createOllamaProvider } from './ollama';
import { createOpenAIChatProvider, type OpenAIChatClient } from './openai-chat';
import { createOpenAIResponsesProvider, type OpenAIResponsesClient } from './openai-responses';
import type { Provider } from './provider';
import { createSimulatedProvider, type SimulatedProviderOptions } from './simulated-provider';

const url = z.url();
const section = z.object({ apiKey: z.string().min(1).optional(), baseURL: url.optional(), defaultModel: z.string().min(1).optional() });

/** The plain-data part of {@link ProviderRegistryConfig} (what a config file or env can carry), validated with zod. */
export const providerRegistryConfigSchema = z.object({
  openai: section.extend({ api: z.enum(['chat', 'responses']).optional() }).optional(),
  anthropic: section.optional(),
  google: section.optional(),
  ollama: section.omit({ apiKey: true }).optional(),
  default: z.string().min(1).optional(),
});

export interface ProviderRegistryConfig {
  /** Configured when it has an `apiKey`, a `client`, or a `baseURL` (an OpenAI-compatible server). */
  openai?: {
    apiKey?: string;
    baseURL?: string;
    client?: OpenAIChatClient & Partial<OpenAIResponsesClient>;
    defaultModel?: string;
    /** Chat Completions (default) or the Responses API. */
    api?: 'chat' | 'responses';
  };
  /** Configured when it has an `apiKey` or a `client`. */
  anthropic?: { apiKey?: string; baseURL?: string; client?: AnthropicClient; defaultModel?: string };
  /** Configured when it has an `apiKey`. */
  google?: { apiKey?: string; baseURL?: string; defaultModel?: string };
  /** Configured when present (a local server needs no key). */
  ollama?: { baseURL?: string; defaultModel?: string };
  /** Options of the simulated provider, which is always registered. */
  simulated?: SimulatedProviderOptions;
  /** Your own providers, registered under their `name`. */
  providers?: Provider[];
  /** Name of the default provider. Default: the first configured of openai, anthropic, google, ollama; else `simulated`. */
  default?: string;
  env?: Partial<ProviderEnvironment>;
  /**
   * The counter the HTTP adapters estimate usage with when their upstream reports none (see
   * `guardProviderStream`). Default: `loadDefaultTokenCounter`, loaded on first use. A server
   * that counts prompts with a counter of its own passes it, so the process holds one rank table.
   */
  countTokens?: TokenCounter;
}

export interface ProviderRegistry {
  /** Registered provider names. */
  readonly names: readonly string[];
  /** What {@link ProviderRegistry.resolveProvider} returns without a name. */
  readonly defaultName: string;
  /** True when no real provider is configured and the default is the simulated one (say so on start). */
  readonly usingSimulated: boolean;
  has(name: string): boolean;
  /** The named provider (or the default); throws `invalid_request` naming the known ones for an unknown name. */
  resolveProvider(name?: string): Provider;
}

export const DEFAULT_MODELS = {
  openai: 'gpt-4o-mini',
  anthropic: 'claude-sonnet-4-5',
  google: 'gemini-2.5-flash',
  ollama: 'llama3.2',
} as const;

/**
 * Builds the providers an app (or the reference server) can stream from. With no key configured
 * the default is the offline simulated provider. Keys are only handed to adapters, never logged.
 */
export function createProviderRegistry(config: ProviderRegistryConfig = {}): ProviderRegistry {
  const providers = new Map<string, Provider>();
  const env = config.env;
  const counted = config.countTokens ? { countTokens: config.countTokens } : {};
  const { openai, anthropic, google, ollama } = config;
  if (openai && (openai.apiKey || openai.client || openai.baseURL)) {
    const common = { apiKey: openai.apiKey, baseURL: openai.baseURL, defaultModel: openai.defaultModel ?? DEFAULT_MODELS.openai, env, ...counted };
    providers.set(
      'openai',
      openai.api === 'responses'
        ? createOpenAIResponsesProvider({ ...common, client: openai.client?.responses ? (openai.client as OpenAIResponsesClient) : undefined })
        : createOpenAIChatProvider({ ...common, client: openai.client }),
    );
  }
  if (anthropic && (anthropic.apiKey || anthropic.client)) {
    providers.set('anthropic', createAnthropicProvider({ ...anthropic, defaultModel: anthropic.defaultModel ?? DEFAULT_MODELS.anthropic, env, ...counted }));
  }
  if (google?.apiKey) providers.set('google', createGeminiProvider({ ...google, defaultModel: google.defaultModel ?? DEFAULT_MODELS.google, env, ...counted }));
  if (ollama) providers.set('ollama', createOllamaProvider({ ...ollama, defaultModel: ollama.defaultModel ?? DEFAULT_MODELS.ollama, env, ...counted }));
  const real = [...providers.keys()];
  providers.set('simulated', createSimulatedProvider({ ...config.simulated, env: { ...env, ...config.simulated?.env } }));
  for (const p of config.providers ?? []) providers.set(p.name, p);

  const defaultName = config.default ?? real[0] ?? 'simulated';
  if (!providers.has(defaultName)) {
    throw new TwinError('config_invalid', `Default provider "${defaultName}" is not configured (configured: ${[...providers.keys()].join(', ')}).`);
  }
  return {
    names: [...providers.keys()],
    defaultName,
    usingSimulated: defaultName === 'simulated',
    has: (name) => providers.has(name),
    resolveProvider(name) {
      const provider = providers.get(name ?? defaultName);
      if (!provider) {
        throw new TwinError('invalid_request', `Unknown provider "${name}". Configured providers: ${[...providers.keys()].join(', ')}.`, {
          details: { field: 'provider' },
        });
      }
      return provider;
    },
  };
}

/**
 * Registry config from environment variables (pass `process.env`; core never reads it itself):
 * `OPENAI_API_KEY`, `OPENAI_BASE_URL`, `OPENAI_MODEL`, `ANTHROPIC_API_KEY`, `ANTHROPIC_BASE_URL`,
 * `ANTHROPIC_MODEL`, `GOOGLE_API_KEY` (or `GEMINI_API_KEY`), `GEMINI_MODEL`, `OLLAMA_BASE_URL`,
 * `OLLAMA_MODEL`, `TWIN_DEFAULT_PROVIDER`. Validated with zod: a malformed URL is a `config_invalid` error.
 */
export function providerConfigFromEnv(vars: Record<string, string | undefined>): ProviderRegistryConfig {
  const v = (k: string) => (vars[k] && vars[k]!.trim() !== '' ? vars[k]!.trim() : undefined);
  const raw = {
    ...(v('OPENAI_API_KEY') || v('OPENAI_BASE_URL') ? { openai: { apiKey: v('OPENAI_API_KEY'), baseURL: v('OPENAI_BASE_URL'), defaultModel: v('OPENAI_MODEL') } } : {}),
    ...(v('ANTHROPIC_API_KEY') ? { anthropic: { apiKey: v('ANTHROPIC_API_KEY'), baseURL: v('ANTHROPIC_BASE_URL'), defaultModel: v('ANTHROPIC_MODEL') } } : {}),
    ...(v('GOOGLE_API_KEY') || v('GEMINI_API_KEY') ? { google: { apiKey: v('GOOGLE_API_KEY') ?? v('GEMINI_API_KEY'), defaultModel: v('GEMINI_MODEL') } } : {}),
    ...(v('OLLAMA_BASE_URL') ? { ollama: { baseURL: v('OLLAMA_BASE_URL'), defaultModel: v('OLLAMA_MODEL') } } : {}),
    ...(v('TWIN_DEFAULT_PROVIDER') ? { default: v('TWIN_DEFAULT_PROVIDER') } : {}),
  };
  const parsed = providerRegistryConfigSchema.safeParse(raw);
  if (!parsed.success) {
    // Issue paths only: values (which may be keys) never reach the message.
    throw new TwinError('config_invalid', `Invalid provider configuration: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`);
  }
  return parsed.data;
}
