import type { z } from 'zod';

/** A key the schema does not know, where it was found, and the known key it most likely meant. */
export interface UnknownKey {
  /** Dotted path of the object holding the key (`''` for the top level). */
  at: string;
  key: string;
  /** The known key this one is a near miss of (`max_tokens` → `maxTokens`), if any. */
  suggestion?: string;
}

interface ZodDef {
  type: string;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  element?: z.ZodType;
  innerType?: z.ZodType;
  options?: z.ZodType[];
  discriminator?: string;
  in?: z.ZodType;
  valueType?: z.ZodType;
  getter?: () => z.ZodType;
}

const defOf = (schema: z.ZodType): ZodDef => (schema as unknown as { _zod: { def: ZodDef } })._zod.def;

/**
 * Every key of `value` that `schema` does not declare, at any depth. One policy for every route:
 * zod objects strip unknown keys by default, which silently turns `{"max_tokens": 5}` into a stream
 * without a limit; walking the schema here refuses them the same way everywhere (core's schemas
 * included) without redefining each object as strict. Objects with a catch-all and records accept
 * any key; a union is checked against the option the value most likely meant.
 */
export function findUnknownKeys(schema: z.ZodType, value: unknown, at = ''): UnknownKey[] {
  const out: UnknownKey[] = [];
  collect(schema, value, at === '' ? [] : [at], out);
  return out;
}

// Every request body and query is walked, and nearly all have no unknown key: the walk appends to
// one array and keeps the path as a stack of segments, joined only for a key it reports (it made
// a dotted path string per key and an array per level, flatMap's and spreads, ~2 KB a request).
function collect(schema: z.ZodType, value: unknown, path: string[], out: UnknownKey[]): void {
  const def = defOf(schema);
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return collect(def.innerType!, value, path, out);
    case 'pipe':
      return collect(def.in!, value, path, out);
    case 'lazy':
      return collect(def.getter!(), value, path, out);
    case 'array':
      if (!Array.isArray(value)) return;
      for (let i = 0; i < value.length; i++) {
        path.push(String(i));
        collect(def.element!, value[i], path, out);
        path.pop();
      }
      return;
    case 'record':
      if (!isPlainObject(value)) return;
      for (const k in value) {
        if (!Object.hasOwn(value, k)) continue;
        path.push(k);
        collect(def.valueType!, value[k], path, out);
        path.pop();
      }
      return;
    case 'union':
      return unionUnknownKeys(def, value, path, out);
    case 'object':
      return objectUnknownKeys(def, value, path, out);
  }
}

function objectUnknownKeys(def: ZodDef, value: unknown, path: string[], out: UnknownKey[]): void {
  if (!isPlainObject(value)) return;
  const shape = def.shape ?? {};
  // A catch-all other than `never` (`.strict()`) accepts any extra key.
  const open = def.catchall !== undefined && defOf(def.catchall).type !== 'never';
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    // Own keys only: a body key named `toString` or `constructor` must not find Object.prototype's.
    const field = Object.hasOwn(shape, key) ? shape[key] : undefined;
    if (field) {
      path.push(key);
      collect(field, value[key], path, out);
      path.pop();
    } else if (!open) {
      const suggestion = nearestKey(key, Object.keys(shape));
      out.push({ at: path.join('.'), key, ...(suggestion ? { suggestion } : {}) });
    }
  }
}

function unionUnknownKeys(def: ZodDef, value: unknown, path: string[], out: UnknownKey[]): void {
  const options = def.options ?? [];
  if (def.discriminator && isPlainObject(value)) {
    const tag = value[def.discriminator];
    const match = options.find((o) => {
      const d = defOf(o);
      const literal = d.shape && Object.hasOwn(d.shape, def.discriminator!) ? d.shape[def.discriminator!] : undefined;
      return literal !== undefined && (defOf(literal) as { values?: unknown[] }).values?.includes(tag);
    });
    if (match) collect(match, value, path, out);
    return;
  }
  // Among the options of the value's kind (`content` is a string OR an array of parts), the one
  // with the fewest unknown keys is the one the caller meant.
  let best: UnknownKey[] | undefined;
  for (const option of options) {
    if (!sameKind(option, value)) continue;
    const found: UnknownKey[] = [];
    collect(option, value, path, found);
    if (!best || found.length < best.length) best = found;
    if (found.length === 0) break;
  }
  if (best) for (const key of best) out.push(key);
}

const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional']);

/** Whether `value` is of the kind `schema` takes at the top (object, array, or anything else). */
function sameKind(schema: z.ZodType, value: unknown): boolean {
  let def = defOf(schema);
  while (WRAPPERS.has(def.type) || def.type === 'pipe') def = defOf(def.type === 'pipe' ? def.in! : def.innerType!);
  if (def.type === 'object' || def.type === 'record') return isPlainObject(value);
  if (def.type === 'array') return Array.isArray(value);
  return !isPlainObject(value) && !Array.isArray(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `max_tokens`, `MaxTokens`, `max-tokens` and `maxToken` all mean `maxTokens`. */
export function nearestKey(key: string, known: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[_\-\s]/g, '');
  const k = norm(key);
  const same = known.find((c) => norm(c) === k);
  if (same) return same;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = editDistance(k, norm(candidate));
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  // Two edits on a long name is a typo; on a three-letter name it is another word.
  return best !== undefined && bestDistance <= Math.min(2, Math.floor(k.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return Infinity;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
