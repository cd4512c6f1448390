import { describe, expect, it } from 'vitest';
import { describeValue } from './describe-value';

describe('describeValue', () => {
  it('names the type and size of a value without printing its content', () => {
    expect(describeValue(new Uint8Array(16))).toBe('Uint8Array(16)');
    expect(describeValue('my secret password')).toBe('string');
    expect(describeValue([1, 2, 3])).toBe('array(3)');
    expect(describeValue(null)).toBe('null');
    expect(describeValue(undefined)).toBe('undefined');
    expect(describeValue(new Map())).toBe('Map');
    expect(describeValue(Object.create(null))).toBe('object');
  });
});
