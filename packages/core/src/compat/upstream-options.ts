import type { CompatExtras, CompatResponseFormat, CompatToolChoice } from './compat-request';

/**
 * The upstream API family of a provider, read from its name: `openai` (Chat Completions and
 * OpenAI-compatible servers), `anthropic`, `google` (Gemini), `ollama`; anything else (the simulated
 * provider, custom ones) takes no extra options.
 */
export type UpstreamFamily = 'openai' | 'anthropic' | 'google' | 'ollama' | 'other';

export function upstreamFamily(providerName: string): UpstreamFamily {
  if (providerName === 'openai' || providerName === 'anthropic' || providerName === 'google' || providerName === 'ollama') return providerName;
  return 'other';
}

/**
 * The `providerOptions` that carry a compatible request's extras (tool choice, top-p, seed,
 * response format...) to an upstream of `family`, in that upstream's own field names. What an
 * upstream has no equivalent for is left out (e.g. `response_format` for Anthropic): the request
 * still runs, as with any OpenAI-compatible gateway that drops unsupported parameters.
 */
export function upstreamOptions(family: UpstreamFamily, extras: CompatExtras): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  const { toolChoice, parallelToolCalls, topP, topK, seed, responseFormat, user } = extras;
  switch (family) {
    case 'openai':
      if (toolChoice !== undefined) out.tool_choice = typeof toolChoice === 'string' ? toolChoice : { type: 'function', function: { name: toolChoice.name } };
      if (parallelToolCalls !== undefined) out.parallel_tool_calls = parallelToolCalls;
      if (topP !== undefined) out.top_p = topP;
      if (seed !== undefined) out.seed = seed;
      if (responseFormat !== undefined) out.response_format = openAIResponseFormat(responseFormat);
      if (user !== undefined) out.user = user;
      break;
    case 'anthropic': {
      const choice = anthropicToolChoice(toolChoice, parallelToolCalls);
      if (choice) out.tool_choice = choice;
      if (topP !== undefined) out.top_p = topP;
      if (topK !== undefined) out.top_k = topK;
      if (user !== undefined) out.metadata = { user_id: user };
      break;
    }
    case 'google': {
      const config: Record<string, unknown> = {};
      if (topP !== undefined) config.topP = topP;
      if (topK !== undefined) config.topK = topK;
      if (seed !== undefined) config.seed = seed;
      if (responseFormat?.type === 'json_object') config.responseMimeType = 'application/json';
      if (responseFormat?.type === 'json_schema') {
        config.responseMimeType = 'application/json';
        if (responseFormat.schema) config.responseJsonSchema = responseFormat.schema;
      }
      if (Object.keys(config).length) out.generationConfig = config;
      if (toolChoice !== undefined) {
        out.toolConfig = {
          functionCallingConfig:
            typeof toolChoice === 'string'
              ? { mode: toolChoice === 'required' ? 'ANY' : toolChoice.toUpperCase() }
              : { mode: 'ANY', allowedFunctionNames: [toolChoice.name] },
        };
      }
      break;
    }
    case 'ollama': {
      const options: Record<string, unknown> = {};
      if (topP !== undefined) options.top_p = topP;
      if (topK !== undefined) options.top_k = topK;
      if (seed !== undefined) options.seed = seed;
      if (Object.keys(options).length) out.options = options;
      if (responseFormat?.type === 'json_object') out.format = 'json';
      if (responseFormat?.type === 'json_schema') out.format = responseFormat.schema ?? 'json';
      break;
    }
    case 'other':
      break;
  }
  return Object.keys(out).length ? out : undefined;
}

function openAIResponseFormat(format: CompatResponseFormat): Record<string, unknown> {
  if (format.type !== 'json_schema') return { type: format.type };
  return {
    type: 'json_schema',
    json_schema: { name: format.name, ...(format.schema ? { schema: format.schema } : {}), ...(format.strict !== undefined ? { strict: format.strict } : {}) },
  };
}

function anthropicToolChoice(choice: CompatToolChoice | undefined, parallel: boolean | undefined): Record<string, unknown> | undefined {
  if (choice === undefined && parallel !== false) return undefined;
  const base: Record<string, unknown> =
    choice === undefined || choice === 'auto'
      ? { type: 'auto' }
      : choice === 'none'
        ? { type: 'none' }
        : choice === 'required'
          ? { type: 'any' }
          : { type: 'tool', name: choice.name };
  if (parallel === false && base.type !== 'none') base.disable_parallel_tool_use = true;
  return base;
}
