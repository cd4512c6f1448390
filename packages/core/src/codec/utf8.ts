import { TwinError } from '../errors/twin-error';

// One encoder and one strict decoder, created on first use (no work at import time).
let encoder: TextEncoder | undefined;
let decoder: TextDecoder | undefined;

export function encodeUtf8(text: string): Uint8Array {
  encoder ??= new TextEncoder();
  return encoder.encode(text);
}

/** Decodes UTF-8, rejecting malformed bytes with `decode_failed` instead of inserting U+FFFD. */
export function decodeUtf8(bytes: Uint8Array): string {
  decoder ??= new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  try {
    return decoder.decode(bytes);
  } catch (error) {
    throw new TwinError('decode_failed', 'Payload is not valid UTF-8.', { cause: error });
  }
}
