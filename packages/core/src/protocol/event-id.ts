/**
 * The SSE `id:` of an event (protocol 2): `<streamId>:<seq>`. A stream id never contains `:` (it is
 * `[A-Za-z0-9_-]`), so the last colon splits it; protocol 1 ids are the bare sequence number.
 */
export function formatEventId(streamId: string, seq: number): string {
  return `${streamId}:${seq}`;
}

/** What a `Last-Event-ID` names: the position, and the stream when the id carries it. */
export interface ParsedEventId {
  /** Absent for a protocol-1 id (`12`). */
  streamId?: string;
  /** The last sequence number received; -1 means "from the beginning". */
  seq: number;
}

const STREAM_ID = /^[A-Za-z0-9_-]{1,128}$/;
const SEQ = /^(?:-1|0|[1-9][0-9]{0,15})$/;

/**
 * Parses a `Last-Event-ID` (`str_abc:12` or `12`). Returns `undefined` for anything else: a
 * malformed id must be refused, never guessed at.
 */
export function parseEventId(text: string): ParsedEventId | undefined {
  const value = text.trim();
  const colon = value.lastIndexOf(':');
  const seqText = colon === -1 ? value : value.slice(colon + 1);
  if (!SEQ.test(seqText)) return undefined;
  const seq = Number(seqText);
  if (!Number.isSafeInteger(seq)) return undefined;
  if (colon === -1) return { seq };
  const streamId = value.slice(0, colon);
  return STREAM_ID.test(streamId) ? { streamId, seq } : undefined;
}
