import { useEffect, useState, type FormEvent } from 'react';
import { isActive, useChat } from '@twin/react';
import { MessageView } from './message-view';
import { clearMessages, loadMessages, saveMessages } from './saved-chat';
import { runTool, TOOLS } from './tools';

const KEY_STORAGE = 'twin-chat-api-key';
// `?key=` in the page URL, then what was saved, then the build-time default.
const initialKey =
  new URLSearchParams(location.search).get('key') ?? localStorage.getItem(KEY_STORAGE) ?? import.meta.env.VITE_TWIN_API_KEY ?? '';

/**
 * A chat page over the reference server: history, streaming answers with stop, regenerate and
 * edit-and-resend, a client-side tool, a receipt per answer, and resume after a reload.
 */
export function App() {
  const [apiKey, setApiKey] = useState(initialKey);
  const [draft, setDraft] = useState('');
  const [editing, setEditing] = useState<string | undefined>();
  const [saved] = useState(loadMessages);
  const chat = useChat({
    url: '/api/stream',
    apiKey: apiKey || undefined,
    request: { tools: TOOLS },
    onToolCall: runTool,
    initialMessages: saved,
    resume: true, // a reload mid-answer picks the answer up where the server has it
    throttleMs: 30, // one render per ~30 ms at most, however fast tokens come
  });
  const busy = isActive(chat.status);
  useEffect(() => saveMessages(chat.messages), [chat.messages]);
  const lastAssistant = chat.messages.findLast((m) => m.role === 'assistant');
  const latest = chat.messages.at(-1)?.answer;

  const send = (event: FormEvent) => {
    event.preventDefault();
    const prompt = draft.trim();
    if (!prompt || busy) return;
    setDraft('');
    localStorage.setItem(KEY_STORAGE, apiKey);
    if (editing) void chat.edit(editing, prompt);
    else void chat.send(prompt);
    setEditing(undefined);
  };

  return (
    <main>
      <header>
        <h1>Twin chat</h1>
        <span className={`status status-${chat.status}`} data-testid="status">
          {latest?.status === 'reconnecting' ? 'reconnecting…' : chat.status}
        </span>
        <button
          type="button"
          className="link"
          onClick={() => {
            clearMessages();
            chat.setMessages([]);
          }}
        >
          New chat
        </button>
        <label className="key">
          API key
          <input type="password" value={apiKey} onChange={(e) => setApiKey(e.target.value)} placeholder="twin_sk_…" />
        </label>
      </header>

      {latest?.status === 'reconnecting' && (
        <p className="banner" role="status">
          Connection lost ({latest.error?.message}). Reconnecting and resuming where the answer stopped…
        </p>
      )}

      <ol className="turns">
        {chat.messages.map((message) => (
          <li key={message.id}>
            <MessageView
              message={message}
              latest={message === lastAssistant}
              busy={busy}
              onRegenerate={() => void chat.regenerate()}
              onEdit={() => {
                setEditing(message.id);
                setDraft(message.parts.map((p) => (p.type === 'text' ? p.text : '')).join(''));
              }}
            />
          </li>
        ))}
      </ol>

      <form onSubmit={send}>
        <textarea
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey) send(e);
          }}
          placeholder={editing ? 'Edit the prompt and resend…' : 'Ask something… (try "use get_time")'}
          rows={2}
          aria-label="Prompt"
        />
        {busy ? (
          <button type="button" onClick={chat.stop} className="stop">
            Stop
          </button>
        ) : (
          <button type="submit" disabled={!draft.trim()}>
            {editing ? 'Resend' : 'Send'}
          </button>
        )}
      </form>
    </main>
  );
}
