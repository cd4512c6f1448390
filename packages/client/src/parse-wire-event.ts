import type { ChunkContent, CompleteEventData, ErrorEventData, SealedFields, StartEventData, StreamState } from '@twin/core';
import { safeJSON } from './safe-json';
import { TwinClientError } from './twin-client-error';

/**
 * One received event, checked just enough to be used safely. Sealed content is still sealed here.
 *
 * This runs once per frame, so it uses plain guards rather than zod (which would also weigh more than
 * the whole client). Unknown fields are ignored; unknown event types give `undefined` (docs/design.md "Wire protocol").
 */
export type WireEvent =
  | { type: 'start'; seq: number; data: StartEventData }
  | { type: 'chunk'; seq: number; content: ChunkContent }
  | { type: 'chunk'; seq: number; sealed: SealedFields }
  | { type: 'resync'; seq: number; state: StreamState }
  | { type: 'resync'; seq: number; sealed: SealedFields }
  | { type: 'error'; seq: number; data: ErrorEventData; seal?: SealedFields }
  | { type: 'complete'; seq: number; data: CompleteEventData; seal?: SealedFields };


type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const optStr = (v: unknown) => v === undefined || isStr(v);
const isSeq = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

// Names the field, never echoes the payload. Not retryable: the same bytes would come again.
function fail(type: string, field: string): never {
  throw new TwinClientError('decode_failed', `Malformed "${type}" event: ${field}`);
}

/** Checks decoded chunk content (plain chunk fields or an opened sealed payload). */
export function checkContent(value: unknown, type = 'chunk'): ChunkContent {
  if (!isObj(value)) fail(type, 'not an object');
  if (!optStr(value.text) || !optStr(value.reasoning)) fail(type, '"text" or "reasoning" is not a string');
  const tools = value.tools;
  if (tools !== undefined) {
    if (!Array.isArray(tools)) fail(type, 'bad tool call');
    for (const t of tools as unknown[]) {
      if (!isObj(t) || !isStr(t.id) || !isSeq(t.index) || !optStr(t.name) || !optStr(t.argsDelta)) fail(type, 'bad tool call');
    }
  }
  return value as ChunkContent;
}

/** Checks the full state a resync carries (plain or opened): chunk content with a `text` and full tool calls. */
export function checkState(value: unknown): StreamState {
  const state = checkContent(value, 'resync') as Obj;
  if (!isStr(state.text)) fail('resync', '"text" is missing');
  for (const t of (state.tools ?? []) as Obj[]) if (!isStr(t.name) || !isStr(t.argsText)) fail('resync', 'a tool call is incomplete');
  return state as StreamState;
}

function sealedOf(d: Obj): SealedFields | undefined {
  if (!isStr(d.codec)) return undefined;
  if (!isStr(d.data)) fail('chunk', 'sealed "data" is not a string');
  return { codec: d.codec, data: d.data, alg: d.alg, kid: d.kid } as SealedFields;
}

/** Adds the `seal` of an encrypted stream's terminal event (protocol 2), when it has one. */
function withSeal<E extends { type: 'error' | 'complete' }>(event: E, seal: unknown): E & { seal?: SealedFields } {
  if (seal === undefined) return event;
  if (!isObj(seal)) fail(event.type, '"seal" is not an object');
  const sealed = sealedOf(seal);
  if (!sealed) fail(event.type, '"seal" has no codec');
  return { ...event, seal: sealed };
}

/**
 * Turns one SSE message into a {@link WireEvent}; `undefined` for event types this client does not
 * know. Throws a `decode_failed` {@link TwinClientError} for a known type whose data is malformed.
 */
export function parseWireEvent(event: string | undefined, data: string): WireEvent | undefined {
  if (event !== 'start' && event !== 'chunk' && event !== 'resync' && event !== 'error' && event !== 'complete') return undefined;
  const d = safeJSON(data);
  if (!isObj(d)) fail(event, 'data is not a JSON object');
  const seq = d.seq;
  if (!isSeq(seq)) fail(event, '"seq" is not a non-negative integer');
  switch (event) {
    case 'start':
      if (!isStr(d.streamId)) fail(event, '"streamId" is missing');
      return { type: event, seq, data: d as StartEventData };
    case 'chunk': {
      const sealed = sealedOf(d);
      return sealed ? { type: event, seq, sealed } : { type: event, seq, content: checkContent(d) };
    }
    case 'resync': {
      const sealed = sealedOf(d);
      return sealed ? { type: event, seq, sealed } : { type: event, seq, state: checkState(d) };
    }
    case 'error':
      if (!isStr(d.code) || !isStr(d.message)) fail(event, '"code" and "message" are required');
      return withSeal({ type: event, seq, data: d as ErrorEventData }, d.seal);
    case 'complete':
      if (!isStr(d.finishReason)) fail(event, '"finishReason" is missing');
      return withSeal({ type: event, seq, data: d as CompleteEventData }, d.seal);
  }
}

/** Reads an HTTP error body (`{ error: {...} }` or a bare error payload) without trusting it. */
export function parseErrorBody(text: string): { code?: string; message?: string; retryable?: boolean; provider?: string } {
  const body = safeJSON(text);
  const e = isObj(body) ? (isObj(body.error) ? body.error : body) : undefined;
  if (!e) return {};
  return {
    code: isStr(e.code) ? e.code : undefined,
    message: isStr(e.message) ? e.message : undefined,
    retryable: typeof e.retryable === 'boolean' ? e.retryable : undefined,
    provider: isStr(e.provider) ? e.provider : undefined,
  };
}

