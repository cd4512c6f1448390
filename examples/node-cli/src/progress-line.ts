import type { StreamSnapshot } from '@twin/client';

/** The live status line: tokens so far, tokens per second, and the cost once the receipt arrived. */
export function progressLine(s: StreamSnapshot): string {
  const m = s.metrics;
  const tokens = `${m.tokensEstimated ? '~' : ''}${m.outputTokens} tokens`;
  const rate = m.tokensPerSecond === undefined ? '– tok/s' : `${m.tokensPerSecond.toFixed(1)} tok/s`;
  const parts = [tokens, rate];
  if (s.status === 'reconnecting') parts.push(`reconnecting (attempt ${s.reconnectAttempt})`);
  if (s.cost) parts.push(`cost ${s.cost.currency} ${s.cost.total}${s.cost.estimated ? ' (estimated)' : ''}`);
  else if (s.status === 'streaming' || s.status === 'connecting') parts.push(s.status);
  return parts.join(' · ');
}
