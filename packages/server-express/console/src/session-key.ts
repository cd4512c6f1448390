// The API key lives in memory and in this tab's sessionStorage (gone when the tab closes), never in
// localStorage: a key left on disk outlives the session that needed it, and any script of the
// origin could read it later.
const SLOT = 'twin-admin-key';

let key: string | undefined;

/** The signed-in key, if any (memory first, then this tab's session). */
export function currentKey(): string | undefined {
  key ??= sessionStorage.getItem(SLOT) ?? undefined;
  return key;
}

export function rememberKey(value: string): void {
  key = value;
  sessionStorage.setItem(SLOT, value);
}

export function forgetKey(): void {
  key = undefined;
  sessionStorage.removeItem(SLOT);
}
