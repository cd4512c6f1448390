import { useEffect, useState, type FormEvent } from 'react';
import { useChat } from '@ai-sdk/react';
import { DefaultChatTransport, lastAssistantMessageIsCompleteWithToolCalls, type UIMessage } from 'ai';

/**
 * What Twin puts in each answer's `metadata` (the `start` and `finish` chunks): its stream, whether
 * the answer is simulated, and the server's usage and receipt.
 */
interface TwinMetadata {
  streamId?: string;
  simulated?: boolean;
  finishReason?: string;
  usage?: { inputTokens?: number; outputTokens?: number };
  cost?: { currency: string; total: string; estimated: boolean };
}
type Message = UIMessage<TwinMetadata>;

// The chat lives in this tab: a reload keeps it, and `resume` picks up an answer still streaming.
const CHAT_ID = sessionStorage.getItem('chat-id') ?? crypto.randomUUID();
sessionStorage.setItem('chat-id', CHAT_ID);
const saved = JSON.parse(sessionStorage.getItem('chat-messages') ?? '[]') as Message[];
const apiKey = new URLSearchParams(location.search).get('key') ?? import.meta.env.VITE_TWIN_API_KEY ?? '';

// Twin's request fields ride in the transport's `body`: a client-side tool the model may call.
const TOOLS = [{ name: 'get_time', description: 'The current time in the browser.', parameters: { type: 'object', properties: {} } }];

/** A plain AI SDK `useChat` page: the only Twin-specific things are the URL, the API key and the metadata shown. */
export function App() {
  const [draft, setDraft] = useState('');
  const [transport] = useState(
    () => new DefaultChatTransport<Message>({ api: '/api/chat', headers: { Authorization: `Bearer ${apiKey}` }, body: { tools: TOOLS } }),
  );
  const { messages, sendMessage, status, stop, error, addToolOutput } = useChat<Message>({
    id: CHAT_ID,
    messages: saved,
    resume: true,
    transport,
    sendAutomaticallyWhen: lastAssistantMessageIsCompleteWithToolCalls,
    onToolCall({ toolCall }) {
      if (toolCall.toolName === 'get_time') {
        void addToolOutput({ tool: 'get_time', toolCallId: toolCall.toolCallId, output: { time: new Date().toISOString() } });
      }
    },
  });
  // Saved as the AI SDK expects a chat to be stored: an answer once it finished (`resume` replays the
  // one in flight as a new message, and a reload aborts it first, so a half-streamed copy must not be kept).
  useEffect(() => {
    const last = messages.at(-1);
    const settled = last?.role === 'assistant' && last.metadata?.finishReason === undefined ? messages.slice(0, -1) : messages;
    sessionStorage.setItem('chat-messages', JSON.stringify(settled));
  }, [messages]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!draft.trim() || status === 'streaming' || status === 'submitted') return;
    void sendMessage({ text: draft.trim() });
    setDraft('');
  };

  return (
    <main>
      <h1>
        AI SDK <code>useChat</code> on Twin <span data-testid="status">{status}</span>
      </h1>
      {messages.map((m) => (
        <section key={m.id} className={m.role} data-testid={m.role}>
          {m.metadata?.simulated && <span className="badge" data-testid="simulated">simulated</span>}
          {m.parts.map((part, i) =>
            part.type === 'text' ? (
              <p key={i} data-testid="text">{part.text}</p>
            ) : part.type.startsWith('tool-') && 'toolCallId' in part ? (
              <p key={i} className="tool" data-testid="tool">
                🔧 {part.type.slice(5)} {part.state === 'output-available' ? `→ ${JSON.stringify(part.output)}` : '…'}
              </p>
            ) : null,
          )}
          {m.role === 'assistant' && m.metadata?.usage && (
            <p className="usage" data-testid="usage">
              {m.metadata.usage.inputTokens} in · {m.metadata.usage.outputTokens} out
              {m.metadata.cost && ` · ${m.metadata.cost.currency} ${m.metadata.cost.total}`}
            </p>
          )}
        </section>
      ))}
      {error && (
        <p role="alert" className="error">
          {error.message}
        </p>
      )}
      <form onSubmit={submit}>
        <input aria-label="Prompt" value={draft} onChange={(e) => setDraft(e.target.value)} placeholder="Say something… (try “use get_time”)" />
        {status === 'streaming' || status === 'submitted' ? (
          <button type="button" onClick={() => void stop()}>
            Stop
          </button>
        ) : (
          <button type="submit">Send</button>
        )}
      </form>
    </main>
  );
}
