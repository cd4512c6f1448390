/**
 * Issue #2 item 8c: sealing and opening one 200-byte frame with Twin's frame cipher beside
 * node:crypto AES-256-GCM (createCipheriv, OpenSSL) used raw, in the same run, with the same key,
 * plaintext, associated data and a fresh random nonce per frame for every peer. Twin runs with both
 * AEAD backends: core's default `nobleAead` (@noble/ciphers, pure JS — what browsers use) and the
 * server's `createNodeAead()` (node:crypto; XChaCha20 = noble HChaCha20 + OpenSSL ChaCha20-Poly1305).
 *
 * Also the whole PayloadSealer / PayloadOpener path (JSON → UTF-8 → seal → base64 and back) for a
 * 200-byte chunk, and the noble alternatives we looked at for repeated seals under one key
 * (managedNonce, GCM-SIV, AES-SIV, ChaCha20-Poly1305) with where noble's GCM time goes.
 * Target: seal ≤ 10 µs median on the 2-core CI machine.
 * Run: `pnpm --filter @twin/core bench cipher` or `pnpm exec tsx packages/core/bench/cipher.bench.ts`.
 */
import { createCipheriv, createDecipheriv, randomFillSync } from 'node:crypto';
import { aessiv, gcm, gcmsiv, unsafe } from '@noble/ciphers/aes.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { ghash } from '@noble/ciphers/_polyval.js';
import { managedNonce } from '@noble/ciphers/utils.js';
import { Bench } from 'tinybench';
// Benches may cross packages (core's src never imports server code): the server's node:crypto backend.
import { createNodeAead } from '../../server-express/src/crypto/node-aead';
import { createKeyring, createPayloadOpener, createPayloadSealer, nobleAead, type AeadBackend, type CipherAlg } from '../src/index';
import { frameAssociatedData, openFrame, sealFrame } from '../src/internal';

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
const nodeAead = createNodeAead();
const BACKENDS = { noble: nobleAead, node: nodeAead } as const;
type BackendName = keyof typeof BACKENDS;
const ALGS: CipherAlg[] = ['aes-256-gcm', 'xchacha20-poly1305'];
const NAMES = ['noble', 'node'] as const;
const twinSeal = (alg: CipherAlg, aead: AeadBackend) => sealFrame(alg, KEY, randomBytes(alg === 'aes-256-gcm' ? 12 : 24), PLAINTEXT, AAD, aead);

const sealedNode = nodeSeal();
const sealed = Object.fromEntries(ALGS.map((alg) => [alg, twinSeal(alg, nobleAead)])) as Record<CipherAlg, Uint8Array>;
// Cross-checks before timing anything: raw node:crypto, both backends, both directions, same bytes.
if (Buffer.compare(nodeOpen(sealed['aes-256-gcm']), PLAINTEXT) !== 0 || Buffer.compare(openFrame('aes-256-gcm', KEY, sealedNode, AAD), PLAINTEXT) !== 0) {
  throw new Error('noble and node:crypto AES-256-GCM disagree');
}
for (const alg of ALGS) {
  if (Buffer.compare(openFrame(alg, KEY, twinSeal(alg, nodeAead), AAD, nobleAead), PLAINTEXT) !== 0 || Buffer.compare(openFrame(alg, KEY, sealed[alg], AAD, nodeAead), PLAINTEXT) !== 0) {
    throw new Error(`node and noble backends disagree on ${alg}`);
  }
}

// Whole payload path, 200 bytes of JSON content.
const keyring = createKeyring([{ id: 'k1', key: KEY }]);
const CONTENT = { text: 'x'.repeat(189) };
if (JSON.stringify(CONTENT).length !== 200) throw new Error('content is not 200 bytes');
const sealerFor = (alg: CipherAlg, name: BackendName) => createPayloadSealer({ streamId: 'st', codec: 'identity', cipher: { keyring, alg }, randomBytes, aead: BACKENDS[name] });
let seq = 0;
// The opener enforces the frame chain, so open a pre-sealed run with a fresh opener per pass.
const RUN = 64;
const runSealer = sealerFor('xchacha20-poly1305', 'noble');
const run = Array.from({ length: RUN }, (_, i) => runSealer.seal('chunk', i + 1, CONTENT));

// Web Crypto (what a browser has natively) is async: one awaited encrypt per frame, key imported once.
const SUBTLE_AAD = AAD.slice(); // typed as an ArrayBuffer-backed BufferSource
const subtleKey = await crypto.subtle.importKey('raw', KEY, 'AES-GCM', false, ['encrypt']);
const subtleSeal = async () => void (await crypto.subtle.encrypt({ name: 'AES-GCM', iv: randomBytes(12), additionalData: SUBTLE_AAD }, subtleKey, PLAINTEXT));

const bench = new Bench({ name: 'cipher', time: 1_000, warmup: true, warmupTime: 300 });
bench.add('seal: node:crypto aes-256-gcm (raw)', () => void nodeSeal());
bench.add('seal: Web Crypto subtle aes-256-gcm (async, awaited)', subtleSeal);
for (const name of NAMES) for (const alg of ALGS) bench.add(`seal: twin ${alg} (${name})`, () => void twinSeal(alg, BACKENDS[name]));
bench.add('open: node:crypto aes-256-gcm (raw)', () => void nodeOpen(sealedNode));
for (const name of NAMES) for (const alg of ALGS) bench.add(`open: twin ${alg} (${name})`, () => void openFrame(alg, KEY, sealed[alg], AAD, BACKENDS[name]));
for (const name of NAMES) {
  for (const alg of ALGS) {
    const sealer = sealerFor(alg, name);
    bench.add(`payload seal (JSON+seal+base64): ${alg} (${name})`, () => void sealer.seal('chunk', ++seq, CONTENT));
  }
}
for (const name of NAMES) {
  bench.add(`payload open ×${RUN} (base64+open+JSON): xchacha20-poly1305 (${name})`, () => {
    const opener = createPayloadOpener({ streamId: 'st', keyring, aead: BACKENDS[name] });
    for (let i = 0; i < RUN; i++) opener.open('chunk', i + 1, run[i]!);
  });
}
// Noble alternatives for one key and many frames (all seal 200 bytes with a fresh nonce where the
// mode takes one). GCM-SIV and AES-SIV are other wire formats: measured only to see whether
// switching would pay. The last three split noble's GCM: AES key schedule, GHASH table setup, and
// GHASH over AAD + plaintext (tables included) — what a per-key cache could and could not save.
const mGcm = managedNonce(gcm, (n = 12) => randomBytes(n));
const H = randomBytes(16);
bench
  .add('noble option: managedNonce(gcm)', () => void mGcm(KEY, AAD).encrypt(PLAINTEXT))
  .add('noble option: chacha20poly1305 (12-byte nonce)', () => void chacha20poly1305(KEY, randomBytes(12), AAD).encrypt(PLAINTEXT))
  .add('noble option: gcmsiv', () => void gcmsiv(KEY, randomBytes(12), AAD).encrypt(PLAINTEXT))
  .add('noble option: aessiv', () => void aessiv(KEY, AAD).encrypt(PLAINTEXT))
  .add('noble gcm part: AES-256 key schedule', () => void unsafe.expandKeyLE(KEY))
  .add('noble gcm part: GHASH table setup', () => void ghash.create(H, AAD.length + PLAINTEXT.length))
  .add('noble gcm part: GHASH of AAD+plaintext', () => void ghash.create(H, AAD.length + PLAINTEXT.length).update(AAD).update(PLAINTEXT).digest());
await bench.run();

const medianUs = (name: string): number => {
  const result = bench.tasks.find((t) => t.name === name)?.result;
  if (result === undefined || !('latency' in result)) throw new Error(`bench task ${name} did not complete`);
  return result.latency.p50 * 1000 / (name.includes(`×${RUN}`) ? RUN : 1);
};

const nodeSealUs = medianUs('seal: node:crypto aes-256-gcm (raw)');
const nodeOpenUs = medianUs('open: node:crypto aes-256-gcm (raw)');
console.log('\ncipher bench: one 200-byte frame, fresh random nonce each, medians (tinybench p50); ratio = task / raw node:crypto aes-256-gcm (seal or open)');
console.table(
  bench.tasks.map((t) => {
    const us = medianUs(t.name);
    const base = t.name.includes('open') ? nodeOpenUs : nodeSealUs;
    return { task: t.name, 'µs per frame': us.toFixed(2), 'ratio to node:crypto': `${(us / base).toFixed(2)}×` };
  }),
);
for (const alg of ALGS) {
  const noble = medianUs(`seal: twin ${alg} (noble)`);
  const node = medianUs(`seal: twin ${alg} (node)`);
  console.log(`seal ${alg}: noble ${noble.toFixed(2)} µs (${(noble / nodeSealUs).toFixed(2)}× raw), node backend ${node.toFixed(2)} µs (${(node / nodeSealUs).toFixed(2)}× raw), noble/node ${(noble / node).toFixed(2)}×`);
}
for (const name of NAMES) {
  for (const alg of ALGS) {
    const us = medianUs(`seal: twin ${alg} (${name})`);
    console.log(`target seal ≤ 10 µs: ${alg} (${name}) ${us.toFixed(2)} µs — ${us <= 10 ? 'met' : 'NOT met'}`);
  }
}
