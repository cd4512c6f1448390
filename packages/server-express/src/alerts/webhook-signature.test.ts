import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhookSignature } from './webhook-signature';

describe('webhook signatures', () => {
  it('is HMAC-SHA256 over "<t>.<body>" (known answer from openssl)', () => {
    // printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac secret
    expect(signWebhook('secret', 1_700_000_000, '{"a":1}')).toBe('t=1700000000,v1=49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686');
  });

  it('verifies its own signature, and refuses another body, secret, or an old timestamp', () => {
    const header = signWebhook('s3', 1_000, 'body');
    expect(verifyWebhookSignature('s3', header, 'body', { nowSeconds: 1_100 })).toBe(true);
    expect(verifyWebhookSignature('s3', header, 'body!', { nowSeconds: 1_100 })).toBe(false);
    expect(verifyWebhookSignature('s4', header, 'body', { nowSeconds: 1_100 })).toBe(false);
    expect(verifyWebhookSignature('s3', header, 'body', { nowSeconds: 1_301 })).toBe(false);
    expect(verifyWebhookSignature('s3', 't=1000,v1=zz', 'body', { nowSeconds: 1_000 })).toBe(false);
    expect(verifyWebhookSignature('s3', undefined, 'body')).toBe(false);
  });
});
