/**
 * Issue #2 item 8b: frame codecs beside node:zlib, on the same payloads, in the same run.
 *
 * - a realistic LLM stream: 500 JSON text frames of 50–500 bytes, compressed frame by frame with a
 *   per-connection context and a sync flush after each frame (Twin's fflate codec vs a node:zlib
 *   DeflateRaw stream flushed with Z_SYNC_FLUSH, which is what an Express server would use);
 * - one large blob (~1 MB of JSON-ish text) compressed in one go;
 * - base64 of a 200-byte frame and of the blob (Twin's encoder vs btoa and Buffer).
 *
 * Prints medians (tinybench p50), MB/s (1 MB = 1,000,000 bytes), compressed sizes and ratios.
 * Run: `pnpm --filter @twin/core bench` or `pnpm exec tsx packages/core/bench/codec.bench.ts`.
 */
import { constants, createDeflateRaw, createInflateRaw, deflateRawSync, inflateRawSync, type DeflateRaw, type InflateRaw } from 'node:zlib';
import { Bench } from 'tinybench';
import { encodeBase64, decodeBase64 } from '../src/index';
import { createFrameCompressor, createFrameDecompressor } from '../src/internal';

const utf8 = new TextEncoder();

// ── payloads ────────────────────────────────────────────────────────────────
const VOCAB = (
  'The model answers in plain English with the occasional code sample , and every frame carries a few tokens . ' +
  'Streaming keeps latency low ; compression pays because JSON framing and common words repeat across frames . ' +
  'function handler ( request ) { return response . json ( ) ; } — Ünïcödé 漢字 🎉 numbers 42 3.14 2026'
).split(' ');
let seed = 20_261_121;
const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
function textOf(bytes: number): string {
  let t = '';
  while (utf8.encode(t).length < bytes) t += VOCAB[Math.floor(random() * VOCAB.length)] + ' ';
  return t;
}
const FRAMES = Array.from({ length: 500 }, () => utf8.encode(JSON.stringify({ text: textOf(40 + Math.floor(random() * 440)) })));
const STREAM_BYTES = FRAMES.reduce((n, f) => n + f.length, 0);
const BLOB = utf8.encode(JSON.stringify(Array.from({ length: 2_500 }, (_, i) => ({ id: i, role: i % 2 ? 'assistant' : 'user', text: textOf(300) }))));

// ── the peers ───────────────────────────────────────────────────────────────
function twinCompressStream(): Uint8Array[] {
  const compressor = createFrameCompressor('deflate');
  return FRAMES.map((f) => compressor.compress(f));
}

/** node:zlib with one context per connection and Z_SYNC_FLUSH per frame (async, as a server does it). */
async function zlibCompressStream(): Promise<Buffer[]> {
  const stream: DeflateRaw = createDeflateRaw();
  const out: Buffer[] = [];
  let current: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => current.push(chunk));
  for (const frame of FRAMES) {
    current = [];
    stream.write(frame);
    await new Promise<void>((resolve) => stream.flush(constants.Z_SYNC_FLUSH, () => resolve()));
    out.push(Buffer.concat(current));
  }
  stream.destroy();
  return out;
}

const twinFrames = twinCompressStream();
const zlibFrames = await zlibCompressStream();

function twinDecompressStream(): number {
  const d = createFrameDecompressor('deflate');
  let n = 0;
  for (const f of twinFrames) n += d.decompress(f).length;
  return n;
}

async function zlibDecompressStream(): Promise<number> {
  const stream: InflateRaw = createInflateRaw();
  let n = 0;
  stream.on('data', (chunk: Buffer) => (n += chunk.length));
  for (const frame of zlibFrames) {
    stream.write(frame);
    await new Promise<void>((resolve) => stream.flush(constants.Z_SYNC_FLUSH, () => resolve()));
  }
  stream.destroy();
  return n;
}

const twinBlob = createFrameCompressor('deflate').compress(BLOB);
const zlibBlob = deflateRawSync(BLOB);
const FRAME_200 = FRAMES.find((f) => f.length >= 190 && f.length <= 260) ?? FRAMES[0]!;

function btoaBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

// Sanity: every peer round-trips the same data before anything is timed.
if (twinDecompressStream() !== STREAM_BYTES || (await zlibDecompressStream()) !== STREAM_BYTES) throw new Error('stream round trip failed');
if (createFrameDecompressor('deflate').decompress(twinBlob).length !== BLOB.length || inflateRawSync(zlibBlob).length !== BLOB.length) throw new Error('blob round trip failed');
if (btoaBase64(BLOB) !== encodeBase64(BLOB) || decodeBase64(encodeBase64(BLOB)).length !== BLOB.length) throw new Error('base64 disagrees');

// iterations: 10 caps the slow whole-stream tasks (tinybench's default floor is 64 runs), keeping the file under a minute.
const bench = new Bench({ name: 'codecs', time: 1_000, iterations: 10, warmup: true, warmupTime: 200, warmupIterations: 3 });
bench
  .add('stream compress: twin (fflate, sync flush per frame)', () => void twinCompressStream())
  .add('stream compress: node:zlib DeflateRaw + Z_SYNC_FLUSH', async () => void (await zlibCompressStream()))
  .add('stream decompress: twin (fflate Inflate)', () => void twinDecompressStream())
  .add('stream decompress: node:zlib InflateRaw', async () => void (await zlibDecompressStream()))
  .add('blob compress: twin', () => void createFrameCompressor('deflate').compress(BLOB))
  .add('blob compress: node:zlib deflateRawSync', () => void deflateRawSync(BLOB))
  .add('blob decompress: twin', () => void createFrameDecompressor('deflate').decompress(twinBlob))
  .add('blob decompress: node:zlib inflateRawSync', () => void inflateRawSync(zlibBlob))
  .add('base64 200 B: twin encodeBase64', () => void encodeBase64(FRAME_200))
  .add('base64 200 B: btoa', () => void btoaBase64(FRAME_200))
  .add('base64 200 B: Buffer', () => void Buffer.from(FRAME_200.buffer, FRAME_200.byteOffset, FRAME_200.length).toString('base64'))
  .add('base64 1 MB: twin encodeBase64', () => void encodeBase64(BLOB))
  .add('base64 1 MB: btoa', () => void btoaBase64(BLOB))
  .add('base64 1 MB: Buffer', () => void Buffer.from(BLOB.buffer, BLOB.byteOffset, BLOB.length).toString('base64'));
await bench.run();

const medianMs = (name: string): number => {
  const result = bench.tasks.find((t) => t.name === name)?.result;
  if (result === undefined || !('latency' in result)) throw new Error(`bench task ${name} did not complete`);
  return result.latency.p50;
};
const mbps = (bytes: number, ms: number) => (bytes / 1e6 / (ms / 1e3)).toFixed(1);
const sum = (frames: Uint8Array[]) => frames.reduce((n, f) => n + f.length, 0);

console.log(`\ncodec bench: stream = ${FRAMES.length} LLM text frames, ${STREAM_BYTES} bytes (${(STREAM_BYTES / FRAMES.length).toFixed(0)} B/frame avg); blob = ${BLOB.length} bytes`);
console.table(
  bench.tasks.map((t) => {
    const ms = medianMs(t.name);
    const bytes = t.name.startsWith('stream') ? STREAM_BYTES : t.name.startsWith('blob') || t.name.includes('1 MB') ? BLOB.length : FRAME_200.length;
    return { task: t.name, 'median ms': ms.toFixed(4), 'MB/s': mbps(bytes, ms), 'µs/frame': t.name.startsWith('stream') ? ((ms * 1000) / FRAMES.length).toFixed(1) : '' };
  }),
);

const ratio = (a: string, b: string) => (medianMs(a) / medianMs(b)).toFixed(2);
console.log('compressed sizes (ratio = compressed / raw):');
console.table([
  { payload: 'stream, per-frame sync flush', raw: STREAM_BYTES, twin: sum(twinFrames), 'node:zlib': sum(zlibFrames), 'twin ratio': (sum(twinFrames) / STREAM_BYTES).toFixed(3), 'zlib ratio': (sum(zlibFrames) / STREAM_BYTES).toFixed(3) },
  { payload: 'blob, one shot', raw: BLOB.length, twin: twinBlob.length, 'node:zlib': zlibBlob.length, 'twin ratio': (twinBlob.length / BLOB.length).toFixed(3), 'zlib ratio': (zlibBlob.length / BLOB.length).toFixed(3) },
]);
console.log('time ratios twin / node:zlib (< 1 means twin is faster):');
console.log(`  stream compress   ${ratio('stream compress: twin (fflate, sync flush per frame)', 'stream compress: node:zlib DeflateRaw + Z_SYNC_FLUSH')}`);
console.log(`  stream decompress ${ratio('stream decompress: twin (fflate Inflate)', 'stream decompress: node:zlib InflateRaw')}`);
console.log(`  blob compress     ${ratio('blob compress: twin', 'blob compress: node:zlib deflateRawSync')}`);
console.log(`  blob decompress   ${ratio('blob decompress: twin', 'blob decompress: node:zlib inflateRawSync')}`);
console.log(`  base64 200 B      twin/btoa ${ratio('base64 200 B: twin encodeBase64', 'base64 200 B: btoa')}, twin/Buffer ${ratio('base64 200 B: twin encodeBase64', 'base64 200 B: Buffer')}`);
console.log(`  base64 1 MB       twin/btoa ${ratio('base64 1 MB: twin encodeBase64', 'base64 1 MB: btoa')}, twin/Buffer ${ratio('base64 1 MB: twin encodeBase64', 'base64 1 MB: Buffer')}`);
