import { isActive, messageText, type ChatMessage } from '@twin/react';
import { Receipt } from './receipt';

interface Props {
  message: ChatMessage;
  /** The last assistant message (it can be regenerated). */
  latest: boolean;
  busy: boolean;
  onRegenerate(): void;
  onEdit(): void;
}

/** One message: a user prompt (editable), or an answer with its parts, badge and receipt. */
export function MessageView({ message, latest, busy, onRegenerate, onEdit }: Props) {
  if (message.role === 'user') {
    return (
      <div className="user-turn">
        <p className="prompt" data-testid="prompt">{messageText(message)}</p>
        {!busy && (
          <button type="button" className="link" onClick={onEdit}>
            Edit
          </button>
        )}
      </div>
    );
  }
  const answer = message.answer!;
  const live = isActive(answer.status);
  const text = messageText(message);
  const tools = message.parts.filter((p) => p.type === 'tool');
  return (
    <div className="assistant-turn" data-testid={live ? 'live-answer' : 'answer'} data-stream-id={answer.streamId}>
      {answer.simulated && (
        <span className="badge" data-testid="simulated" title="The server has no model configured: its offline simulated provider answered.">
          simulated
        </span>
      )}
      {tools.map((t) => (
        <p className="tool" data-testid="tool" key={t.toolCallId}>
          🔧 {t.toolName}({t.argsText}){t.state === 'output-available' ? ` → ${JSON.stringify(t.output)}` : t.state === 'output-error' ? ` → error: ${t.errorText}` : ' …'}
        </p>
      ))}
      {(text || live) && (
        <div className="answer" data-testid="answer-text">
          {text}
          {live && <span className="cursor">▍</span>}
        </div>
      )}
      {answer.status === 'error' && (
        <p className="error" role="alert">
          {answer.error?.code}: {answer.error?.message}
        </p>
      )}
      <Receipt answer={answer} />
      {latest && !busy && (
        <button type="button" className="link" onClick={onRegenerate}>
          Regenerate
        </button>
      )}
    </div>
  );
}
