import { randomFillSync } from 'node:crypto';

/**
 * Random bytes from the CSPRNG, filled a pool at a time and handed out once each: every stream
 * start takes two ids (stream, billing record) and a `randomBytes` call apiece cost some 5 µs of
 * the request's CPU (node's own `randomUUID` pools its entropy the same way). No byte is handed out
 * twice: the pool is refilled before an id would run past its end.
 */
export class RandomPool {
  private readonly pool: Buffer;
  private offset: number;

  constructor(
    size = 4_096,
    private readonly fill: (buffer: Buffer) => void = (buffer) => void randomFillSync(buffer),
  ) {
    this.pool = Buffer.allocUnsafe(size);
    this.offset = size; // filled on first use
  }

  /** `bytes` fresh random bytes as base64url (as `randomBytes(bytes).toString('base64url')`). */
  base64url(bytes: number): string {
    if (bytes > this.pool.length) throw new RangeError(`at most ${this.pool.length} bytes`);
    if (this.offset + bytes > this.pool.length) {
      this.fill(this.pool);
      this.offset = 0;
    }
    const out = this.pool.toString('base64url', this.offset, this.offset + bytes);
    this.offset += bytes;
    return out;
  }
}
