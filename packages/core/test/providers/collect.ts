import type { StreamPart } from '@twin/core';

/** Drains a provider stream into an array (test helper). */
export async function collect(stream: AsyncIterable<StreamPart>): Promise<StreamPart[]> {
  const parts: StreamPart[] = [];
  for await (const part of stream) parts.push(part);
  return parts;
}

/** The concatenated text deltas of a stream. */
export function textOf(parts: StreamPart[]): string {
  return parts.map((p) => (p.type === 'text-delta' ? p.text : '')).join('');
}

export function last(parts: StreamPart[]): StreamPart {
  const part = parts[parts.length - 1];
  if (!part) throw new Error('empty stream');
  return part;
}
