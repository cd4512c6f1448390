import { answerNumbers, type ChatAnswer } from '@twin/react';

const STATUS: Record<string, string> = { aborted: 'stopped', error: 'failed', done: 'done' };

/**
 * One answer's numbers, each from the most authoritative source there is: the server's receipt
 * (exact decimal strings, shown as sent), else its `complete` usage, else the client's live estimate,
 * which is marked as one. A request the server refused says it billed nothing.
 */
export function Receipt({ answer }: { answer: ChatAnswer }) {
  const n = answerNumbers(answer);
  const { metrics } = answer;
  return (
    <div className="receipt" data-testid="receipt">
      <span>{STATUS[answer.status] ?? answer.status}</span>
      {n.billing !== 'not-billed' && (
        <span data-testid="tokens">{n.estimated ? `~${n.outputTokens} tokens (estimated)` : `${n.outputTokens} tokens`}</span>
      )}
      {metrics.tokensPerSecond !== undefined && <span>{metrics.tokensPerSecond.toFixed(1)} tok/s</span>}
      {metrics.ttftMs !== undefined && <span>first token {Math.round(metrics.ttftMs)} ms</span>}
      {n.cost ? (
        <details>
          <summary data-testid="cost">
            {n.cost.currency} {n.cost.total}
            {n.cost.estimated ? ' (usage estimated by the server)' : ''}
          </summary>
          <table>
            <tbody>
              {Object.entries(n.cost.lines ?? {}).map(([line, amount]) => (
                <tr key={line}>
                  <td>{line}</td>
                  <td>{amount}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      ) : (
        <span className="muted" data-testid="billing">
          {n.billing === 'not-billed'
            ? 'nothing billed (the server refused the request)'
            : n.billing === 'pending'
              ? 'receipt pending…'
              : 'billed on the server (no receipt received)'}
        </span>
      )}
    </div>
  );
}
