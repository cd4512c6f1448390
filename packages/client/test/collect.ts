import type { ClientStreamEvent } from '@twin/client';

/** Drains a client event stream into an array (test helper). */
export async function collect(iterable: AsyncIterable<ClientStreamEvent>): Promise<ClientStreamEvent[]> {
  const out: ClientStreamEvent[] = [];
  for await (const e of iterable) out.push(e);
  return out;
}
