import { describe, expect, it } from 'vitest';
import { judgeBudget } from './judge-budget';

describe('judgeBudget', () => {
  it('a limit met exactly is used up; one cent below is not', () => {
    expect(judgeBudget('10', '10.00', [])).toEqual({ reached: [], exceeded: true });
    expect(judgeBudget('10', '9.99', []).exceeded).toBe(false);
  });
  it('reaches a threshold exactly at limit × percent / 100, fractional percents included', () => {
    expect(judgeBudget('3', '2.4', [50, 80, 80.5, 100]).reached).toEqual([50, 80]);
    expect(judgeBudget('3', '2.415', [80.5]).reached).toEqual([80.5]);
    expect(judgeBudget('3', '2.414999', [80.5]).reached).toEqual([]);
    // 1/3 of the limit is no finite decimal: still exact, no rounding of the percentage.
    expect(judgeBudget('3', '1', [33.333333333333336]).reached).toEqual([]);
  });
  it('a zero limit is reached and used up at once', () => {
    expect(judgeBudget('0', '0', [80, 100])).toEqual({ reached: [80, 100], exceeded: true });
  });
});
