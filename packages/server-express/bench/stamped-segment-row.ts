import type { ChunkRow } from '../src/storage/store-rows';

const WORDS = ['the ', 'stream ', 'of ', 'tokens ', 'flows ', 'from ', 'model ', 'to ', 'client '];

/**
 * One audit row as the load bench writes them: a compact segment of `events` chunk texts from
 * `seq` on, each as the stamped provider sends it (`word |timestamp|`). Shared by the benches that
 * load `stream_chunks` directly, so they all measure rows of the same shape.
 */
export function stampedSegmentRow(streamId: string, seq: number, events: number): ChunkRow {
  const texts = Array.from({ length: events }, (_, k) => `${WORDS[k % WORDS.length]}|${(Date.now() + k / 10).toFixed(1)}|`);
  const data = `{"v":1,"seq":${seq},"texts":${JSON.stringify(texts)}}`;
  return { streamId, seq, lastSeq: seq + events - 1, tenantId: 'ten_bench', event: 'texts', data, bytes: Buffer.byteLength(data), createdAt: new Date() };
}
