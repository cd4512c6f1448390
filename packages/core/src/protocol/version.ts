/**
 * Wire protocol version carried as `v` in every event's JSON. Bumped only for a change an older
 * client cannot ignore; adding fields or event types does not bump it (clients ignore unknowns).
 */
export const PROTOCOL_VERSION = 1 as const;
export type ProtocolVersion = typeof PROTOCOL_VERSION;
