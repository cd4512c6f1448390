/**
 * Wire protocol version carried as `v` in every event's JSON. Bumped only for a change an older
 * consumer cannot ignore; adding fields or event types does not bump it (clients ignore unknowns).
 *
 * - **1**: the SSE `id:` of an event is its sequence number (`id: 12`).
 * - **2**: the SSE `id:` carries the stream id and the sequence number (`id: str_abc:12`, see
 *   {@link formatEventId}), so a browser's native `EventSource`, which echoes it back as
 *   `Last-Event-ID`, resumes the right stream with no client code; an encrypted stream's terminal
 *   event carries a `seal` that binds it into the chain of sealed frames. `data.seq` is unchanged,
 *   so a client that reads positions from `seq` (as @twin/client does) works with both.
 */
export const PROTOCOL_VERSION = 2 as const;
export type ProtocolVersion = typeof PROTOCOL_VERSION;
