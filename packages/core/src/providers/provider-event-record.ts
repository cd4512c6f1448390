import { providerHttpError } from './provider-error';

/**
 * One parsed provider event as a record, or `undefined` for anything that is not an object (it
 * carries nothing to map). An event with an `error` body is the provider failing inside a 200
 * answer: thrown as the provider's typed error.
 */
export function providerEventRecord(event: unknown, provider: string): Record<string, unknown> | undefined {
  if (typeof event !== 'object' || event === null) return undefined;
  const record = event as Record<string, unknown>;
  if (record.error !== undefined && record.error !== null) throw providerHttpError({ provider, body: record });
  return record;
}
