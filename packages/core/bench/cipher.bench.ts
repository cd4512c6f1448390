/**
 * Issue #2 item 8c: sealing and opening one 200-byte frame with Twin's frame cipher (@noble/ciphers,
 * pure JS) beside node:crypto AES-256-GCM (createCipheriv, OpenSSL), in the same run, with the same
 * key, plaintext, associated data and a fresh random nonce per frame for every peer.
 *
 * Also the whole PayloadSealer / PayloadOpener path (JSON → UTF-8 → seal → base64 and back) for a
 * 200-byte chunk. Target: seal ≤ 10 µs median on the 2-core CI machine.
 * Run: `pnpm --filter @twin/core bench` or `pnpm exec tsx packages/core/bench/cipher.bench.ts`.
 */
import { createCipheriv, createDecipheriv, randomFillSync } from 'node:crypto';
import { Bench } from 'tinybench';
import { createKeyring, createPayloadOpener, createPayloadSealer, frameAssociatedData, openFrame, sealFrame, type CipherAlg } from '../src/index';

const randomBytes = (n: number) => randomFillSync(new Uint8Array(n));
const KEY = randomBytes(32);
const PLAINTEXT = randomBytes(200);
const AAD = frameAssociatedData({ streamId: 'st_01JBENCH0000000000000000', event: 'chunk', seq: 1234, prevSeq: 1233, codec: 'identity', alg: 'aes-256-gcm', kid: 'k1' });

function nodeSeal(): Uint8Array {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', KEY, nonce);
  cipher.setAAD(AAD);
  const head = cipher.update(PLAINTEXT);
  cipher.final();
  const tag = cipher.getAuthTag();
  const out = new Uint8Array(12 + head.length + 16);
  out.set(nonce);
  out.set(head, 12);
  out.set(tag, 12 + head.length);
  return out;
}
function nodeOpen(sealed: Uint8Array): Uint8Array {
  const decipher = createDecipheriv('aes-256-gcm', KEY, sealed.subarray(0, 12));
  decipher.setAAD(AAD);
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  const out = decipher.update(sealed.subarray(12, sealed.length - 16));
  decipher.final();
  return out;
}
const twinSeal = (alg: CipherAlg) => sealFrame(alg, KEY, randomBytes(alg === 'aes-256-gcm' ? 12 : 24), PLAINTEXT, AAD);

const sealedNode = nodeSeal();
const sealedGcm = twinSeal('aes-256-gcm');
const sealedXChaCha = twinSeal('xchacha20-poly1305');
// Cross-check: node:crypto opens what noble sealed and the other way round (same algorithm, same bytes).
if (Buffer.compare(nodeOpen(sealedGcm), PLAINTEXT) !== 0 || Buffer.compare(openFrame('aes-256-gcm', KEY, sealedNode, AAD), PLAINTEXT) !== 0) {
  throw new Error('noble and node:crypto AES-256-GCM disagree');
}

// Whole payload path, 200 bytes of JSON content.
const keyring = createKeyring([{ id: 'k1', key: KEY }]);
const CONTENT = { text: 'x'.repeat(189) };
if (JSON.stringify(CONTENT).length !== 200) throw new Error('content is not 200 bytes');
const sealers = {
  'aes-256-gcm': createPayloadSealer({ streamId: 'st', codec: 'identity', cipher: { keyring, alg: 'aes-256-gcm' }, randomBytes }),
  'xchacha20-poly1305': createPayloadSealer({ streamId: 'st', codec: 'identity', cipher: { keyring, alg: 'xchacha20-poly1305' }, randomBytes }),
};
let seq = 0;
// The opener enforces the frame chain, so open a pre-sealed run with a fresh opener per pass.
const RUN = 64;
const runSealer = createPayloadSealer({ streamId: 'st', codec: 'identity', cipher: { keyring, alg: 'xchacha20-poly1305' }, randomBytes });
const run = Array.from({ length: RUN }, (_, i) => runSealer.seal('chunk', i + 1, CONTENT));

const bench = new Bench({ name: 'cipher', time: 1_000, warmup: true, warmupTime: 300 });
bench
  .add('seal: node:crypto aes-256-gcm', () => void nodeSeal())
  .add('seal: twin aes-256-gcm (noble)', () => void twinSeal('aes-256-gcm'))
  .add('seal: twin xchacha20-poly1305 (noble)', () => void twinSeal('xchacha20-poly1305'))
  .add('open: node:crypto aes-256-gcm', () => void nodeOpen(sealedNode))
  .add('open: twin aes-256-gcm (noble)', () => void openFrame('aes-256-gcm', KEY, sealedGcm, AAD))
  .add('open: twin xchacha20-poly1305 (noble)', () => void openFrame('xchacha20-poly1305', KEY, sealedXChaCha, AAD))
  .add('payload seal (JSON+seal+base64): aes-256-gcm', () => void sealers['aes-256-gcm'].seal('chunk', ++seq, CONTENT))
  .add('payload seal (JSON+seal+base64): xchacha20-poly1305', () => void sealers['xchacha20-poly1305'].seal('chunk', ++seq, CONTENT))
  .add(`payload open ×${RUN} (base64+open+JSON): xchacha20-poly1305`, () => {
    const opener = createPayloadOpener({ streamId: 'st', keyring });
    for (let i = 0; i < RUN; i++) opener.open('chunk', i + 1, run[i]!);
  });
await bench.run();

const medianUs = (name: string): number => {
  const result = bench.tasks.find((t) => t.name === name)?.result;
  if (result === undefined || !('latency' in result)) throw new Error(`bench task ${name} did not complete`);
  return result.latency.p50 * 1000 / (name.includes(`×${RUN}`) ? RUN : 1);
};

console.log('\ncipher bench: one 200-byte frame, fresh random nonce each, medians (tinybench p50)');
console.table(bench.tasks.map((t) => ({ task: t.name, 'µs per frame': medianUs(t.name).toFixed(2) })));
const node = medianUs('seal: node:crypto aes-256-gcm');
const gcmSeal = medianUs('seal: twin aes-256-gcm (noble)');
const xSeal = medianUs('seal: twin xchacha20-poly1305 (noble)');
console.log(`seal ratio twin/node: aes-256-gcm ${(gcmSeal / node).toFixed(2)}×, xchacha20-poly1305 ${(xSeal / node).toFixed(2)}×`);
console.log(`open ratio twin/node: aes-256-gcm ${(medianUs('open: twin aes-256-gcm (noble)') / medianUs('open: node:crypto aes-256-gcm')).toFixed(2)}×, xchacha20-poly1305 ${(medianUs('open: twin xchacha20-poly1305 (noble)') / medianUs('open: node:crypto aes-256-gcm')).toFixed(2)}×`);
for (const [name, us] of [['aes-256-gcm', gcmSeal], ['xchacha20-poly1305', xSeal]] as const) {
  console.log(`target seal ≤ 10 µs: ${name} ${us.toFixed(2)} µs — ${us <= 10 ? 'met' : 'NOT met'}`);
}
