import { DEFAULT_STREAM_CONFIG, streamConfigSchema, type StreamConfig, type StreamConfigInput } from './stream-config';

// Configs resolved once by `resolveStreamConfig`: a session created with one takes it as it is.
// A server starts every stream with the same config, and resolving it again per stream (zod
// walking five nested objects and filling defaults) was ~5 KB of garbage and tens of
// microseconds on every stream's opening.
const resolved = new WeakSet<object>();

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) if (typeof child === 'object' && child !== null) deepFreeze(child as object);
  return Object.freeze(value);
}

/**
 * A stream config resolved (checked, defaults filled in) once, for many sessions: frozen, so what
 * was checked is what every session reads, and recognised by {@link streamConfigOf} without being
 * parsed again. Throws zod's error on an invalid input, as `streamConfigSchema.parse` does.
 */
export function resolveStreamConfig(input: StreamConfigInput = {}): StreamConfig {
  const config = deepFreeze(streamConfigSchema.parse(input));
  resolved.add(config);
  return config;
}

/** The resolved config of a session's `config` option: as it is when already resolved, else parsed. */
export function streamConfigOf(config: StreamConfigInput | StreamConfig | undefined): StreamConfig {
  if (config === undefined) return DEFAULT_STREAM_CONFIG;
  return resolved.has(config) ? (config as StreamConfig) : streamConfigSchema.parse(config);
}
