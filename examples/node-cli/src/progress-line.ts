import { answerNumbers, type StreamSnapshot } from '@twin/client';

/**
 * The status line: tokens, tokens per second, and the cost once the receipt arrived. While the
 * server has not counted, the tokens are the client's estimate and say so (`~31 tokens (estimated)`);
 * the final line shows the server's count (from `complete`, or from the receipt of a stopped stream).
 */
export function progressLine(s: StreamSnapshot): string {
  const m = s.metrics;
  const n = answerNumbers(s);
  const tokens = n.estimated ? `~${n.outputTokens} tokens (estimated)` : `${n.outputTokens} tokens`;
  const rate = m.tokensPerSecond === undefined ? '– tok/s' : `${m.tokensPerSecond.toFixed(1)} tok/s`;
  const parts = [tokens, rate];
  if (s.status === 'reconnecting') parts.push(`reconnecting (attempt ${s.reconnectAttempt})`);
  if (n.cost) parts.push(`cost ${n.cost.currency} ${n.cost.total}${n.cost.estimated ? ' (estimated)' : ''}`);
  else if (s.status === 'streaming' || s.status === 'connecting') parts.push(s.status);
  else if (n.billing === 'not-billed') parts.push('nothing billed');
  if (s.simulated) parts.push('simulated answer');
  return parts.join(' · ');
}
