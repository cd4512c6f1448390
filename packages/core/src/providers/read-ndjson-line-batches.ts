/**
 * Reads a fetch body as newline-delimited JSON text lines (Ollama's native stream), yielding the
 * complete lines of each network read as one batch. Decoding is streaming, so multi-byte
 * characters split across reads survive; a final line without its newline is still yielded (the
 * JSON parser then decides whether it is complete).
 *
 * Leaving the loop early cancels the body, which closes the connection.
 */
export async function* readNdjsonLineBatches(body: ReadableStream<Uint8Array>): AsyncGenerator<string[], void, undefined> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let pending = '';
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      pending += decoder.decode(value, { stream: true });
      const lines = pending.split('\n');
      pending = lines.pop()!;
      const batch = lines.map((l) => l.trim()).filter((l) => l !== '');
      if (batch.length) yield batch;
    }
    pending += decoder.decode();
    if (pending.trim() !== '') yield [pending.trim()];
    finished = true;
  } finally {
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
