import type { StreamSnapshot } from '@twin/react';

/** One answer's numbers: cost receipt (exact decimal strings, shown as sent), tokens, speed. */
export function Receipt({ snapshot }: { snapshot: StreamSnapshot }) {
  const { cost, metrics, usage, status } = snapshot;
  const tokens = usage?.outputTokens ?? metrics.outputTokens;
  return (
    <div className="receipt" data-testid="receipt">
      <span>{status === 'aborted' ? 'stopped' : status === 'error' ? 'failed' : 'done'}</span>
      <span>
        {metrics.tokensEstimated && usage?.outputTokens === undefined ? '~' : ''}
        {tokens} tokens
      </span>
      {metrics.tokensPerSecond !== undefined && <span>{metrics.tokensPerSecond.toFixed(1)} tok/s</span>}
      {metrics.ttftMs !== undefined && <span>first token {Math.round(metrics.ttftMs)} ms</span>}
      {cost ? (
        <details>
          <summary data-testid="cost">
            {cost.currency} {cost.total}
            {cost.estimated ? ' (estimated)' : ''}
          </summary>
          <table>
            <tbody>
              {Object.entries(cost.lines ?? {}).map(([line, amount]) => (
                <tr key={line}>
                  <td>{line}</td>
                  <td>{amount}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      ) : (
        <span className="muted">{status === 'done' ? 'no receipt' : 'billed on the server'}</span>
      )}
    </div>
  );
}
