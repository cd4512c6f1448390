// Display helpers. Amounts stay decimal strings from the API: they are shown, never computed with.

export function formatMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function formatBytes(n: number | undefined): string {
  if (n === undefined) return '—';
  if (n < 1_000) return `${n} B`;
  if (n < 1_000_000) return `${(n / 1_000).toFixed(1)} KB`;
  return `${(n / 1_000_000).toFixed(2)} MB`;
}

export function formatRate(x: number | undefined, digits = 1): string {
  return x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(digits);
}

export function formatPercent(x: number | undefined): string {
  return x === undefined || !Number.isFinite(x) ? '—' : `${(x * 100).toFixed(1)} %`;
}

/** A decimal string with its currency; trailing zeros beyond cents trimmed for reading. */
export function formatMoney(amount: string | undefined, currency: string | undefined): string {
  if (amount === undefined) return '—';
  const [int, frac = ''] = amount.split('.');
  const trimmed = frac.replace(/0+$/, '');
  const shown = trimmed.length < 2 ? `${int}.${trimmed.padEnd(2, '0')}` : `${int}.${trimmed}`;
  return `${shown} ${currency ?? ''}`.trim();
}

export function formatTime(at: string | number | undefined): string {
  if (at === undefined) return '—';
  return new Date(at).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}
