import { useCallback, useEffect, useState } from 'react';
import { messageOf } from './api';

/**
 * Runs `load` (a memoised callback that stores what it fetched) now and whenever it changes; a
 * failure becomes `error` (its message), a success clears it. `reload` runs it again and never
 * throws, so actions can await it.
 */
export function useLoad(load: () => Promise<void>): { error: string | undefined; setError: (message: string | undefined) => void; reload: () => Promise<void> } {
  const [error, setError] = useState<string>();
  const reload = useCallback(async () => {
    try {
      await load();
      setError(undefined);
    } catch (err) {
      setError(messageOf(err));
    }
  }, [load]);
  useEffect(() => {
    void reload();
  }, [reload]);
  return { error, setError, reload };
}
