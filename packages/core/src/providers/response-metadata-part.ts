import type { ResponseMetadataPart } from '../protocol/stream-part';

/** The `response-metadata` part for a provider's response id and model, keeping only the ones that are strings. */
export function responseMetadataPart(id: unknown, model: unknown): ResponseMetadataPart {
  return {
    type: 'response-metadata',
    ...(typeof id === 'string' ? { id } : {}),
    ...(typeof model === 'string' ? { model } : {}),
  };
}
