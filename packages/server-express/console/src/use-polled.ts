import { useEffect, useState } from 'react';
import { messageOf } from './api';

/**
 * Fetches now and every `intervalMs` with `fetch` (memoised: a new one starts over), keeping the
 * last answer while the next is on its way; a failure becomes `error` until a fetch succeeds. An
 * answer that arrives after the page moved on is dropped.
 */
export function usePolled<T>(fetch: () => Promise<T>, intervalMs: number): { data: T | undefined; error: string | undefined } {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    let stop = false;
    const load = () =>
      fetch().then(
        (d) => {
          if (stop) return;
          setData(d);
          setError(undefined);
        },
        (err: unknown) => !stop && setError(messageOf(err)),
      );
    void load();
    const timer = setInterval(load, intervalMs);
    return () => {
      stop = true;
      clearInterval(timer);
    };
  }, [fetch, intervalMs]);
  return { data, error };
}
