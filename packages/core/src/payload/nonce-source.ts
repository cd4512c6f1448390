/** How many nonces one call to the random source provides. */
export const NONCES_PER_DRAW = 16;

/**
 * Hands out `nonceBytes`-long nonces cut from one draw of `randomBytes(nonceBytes × perDraw)`, then
 * draws again. Each random byte is used once, so the nonces stay independent and uniform; nonces
 * travel in clear, so holding a few future ones in memory reveals nothing. Why: one
 * `getRandomValues` / `randomFillSync` call costs ~1.9 µs on the CI machine (the same as the whole
 * OpenSSL AES-GCM seal), a slice ~0.06 µs.
 */
export function createNonceSource(randomBytes: (n: number) => Uint8Array, nonceBytes: number, perDraw = NONCES_PER_DRAW): () => Uint8Array {
  let batch: Uint8Array = new Uint8Array(0);
  let offset = 0;
  return () => {
    if (offset + nonceBytes > batch.length) {
      // A new array each time: nonces handed out earlier are never overwritten.
      batch = randomBytes(nonceBytes * perDraw);
      offset = 0;
    }
    const nonce = batch.subarray(offset, offset + nonceBytes);
    offset += nonceBytes;
    return nonce;
  };
}
