import { describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from './openapi';

describe('buildOpenApiDocument', () => {
  it('gives every operation a unique operationId and declares a server', () => {
    const doc = buildOpenApiDocument() as { servers?: unknown[]; paths: Record<string, Record<string, { operationId?: string }>> };
    expect(doc.servers?.length).toBeGreaterThan(0);
    const ids = Object.values(doc.paths).flatMap((ops) => Object.values(ops).map((op) => op.operationId));
    expect(ids.length).toBeGreaterThanOrEqual(16);
    expect(ids.every((id) => typeof id === 'string' && /^[a-z][A-Za-z0-9]+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
