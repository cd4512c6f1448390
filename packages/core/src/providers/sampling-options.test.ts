import { describe, expect, it } from 'vitest';
import { samplingOptions } from './sampling-options';

const names = { maxTokens: 'num_predict', stop: 'stop_words' };
const request = { model: 'm', messages: [] };

describe('samplingOptions', () => {
  it('names the limit and stop sequences as the provider does, in a fixed order, the caller options last', () => {
    const options = samplingOptions({ ...request, maxTokens: 10, temperature: 0.2, stop: ['x'] }, names, { temperature: 1, seed: 3 });
    expect(options).toEqual({ num_predict: 10, temperature: 1, stop_words: ['x'], seed: 3 });
    expect(JSON.stringify(options)).toBe('{"num_predict":10,"temperature":1,"stop_words":["x"],"seed":3}');
  });

  it('is undefined when there is nothing to send (an empty stop list is nothing)', () => {
    expect(samplingOptions({ ...request, stop: [] }, names, undefined)).toBeUndefined();
    expect(samplingOptions(request, names, {})).toBeUndefined();
    expect(samplingOptions({ ...request, maxTokens: 0 }, names, undefined)).toEqual({ num_predict: 0 });
  });
});
