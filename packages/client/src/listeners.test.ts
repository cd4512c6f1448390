import { describe, expect, it } from 'vitest';
import { createListeners } from './listeners';

describe('createListeners', () => {
  it('calls each subscriber once per notify, until it unsubscribes', () => {
    const listeners = createListeners();
    const calls: string[] = [];
    const offA = listeners.subscribe(() => calls.push('a'));
    listeners.subscribe(() => calls.push('b'));
    listeners.notify();
    offA();
    listeners.notify();
    expect(calls).toEqual(['a', 'b', 'b']);
  });

  it('finishes a round as it began when a listener unsubscribes another during it', () => {
    const listeners = createListeners();
    const calls: string[] = [];
    let offB = () => {};
    listeners.subscribe(() => {
      calls.push('a');
      offB();
    });
    offB = listeners.subscribe(() => calls.push('b'));
    listeners.notify();
    listeners.notify();
    expect(calls).toEqual(['a', 'b', 'a']);
  });
});
