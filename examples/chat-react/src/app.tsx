import { useState, type FormEvent } from 'react';
import { useStream, type StreamSnapshot } from '@twin/react';
import { Receipt } from './receipt';

interface Turn {
  prompt: string;
  answer?: StreamSnapshot;
}

const KEY_STORAGE = 'twin-chat-api-key';
// `?key=` in the page URL, then what was saved, then the build-time default.
const initialKey =
  new URLSearchParams(location.search).get('key') ?? localStorage.getItem(KEY_STORAGE) ?? import.meta.env.VITE_TWIN_API_KEY ?? '';

/** A chat page over the reference server: streaming text, stop, reconnect indicator, tokens/s, cost. */
export function App() {
  const [apiKey, setApiKey] = useState(initialKey);
  const [draft, setDraft] = useState('');
  const [turns, setTurns] = useState<Turn[]>([]);
  // One render per ~30 ms at most, however fast tokens come.
  const stream = useStream({ url: '/api/stream', apiKey: apiKey || undefined, throttleMs: 30 });
  const busy = stream.status === 'connecting' || stream.status === 'streaming' || stream.status === 'reconnecting';

  const send = async (event: FormEvent) => {
    event.preventDefault();
    const prompt = draft.trim();
    if (!prompt || busy) return;
    setDraft('');
    localStorage.setItem(KEY_STORAGE, apiKey);
    const history = turns.flatMap((t) => [
      { role: 'user' as const, content: t.prompt },
      ...(t.answer?.text ? [{ role: 'assistant' as const, content: t.answer.text }] : []),
    ]);
    setTurns((all) => [...all, { prompt }]);
    const final = await stream.start({ body: { messages: [...history, { role: 'user', content: prompt }] } });
    setTurns((all) => all.map((t, i) => (i === all.length - 1 ? { ...t, answer: final } : t)));
  };

  return (
    <main>
      <header>
        <h1>Twin chat</h1>
        <span className={`status status-${stream.status}`} data-testid="status">
          {stream.status === 'reconnecting' ? `reconnecting (attempt ${stream.reconnectAttempt})…` : stream.status}
        </span>
        <label className="key">
          API key
          <input type="password" value={apiKey} onChange={(e) => setApiKey(e.target.value)} placeholder="twin_sk_…" />
        </label>
      </header>

      {stream.status === 'reconnecting' && (
        <p className="banner" role="status">
          Connection lost ({stream.error?.message}). Reconnecting and resuming where the answer stopped…
        </p>
      )}

      <ol className="turns">
        {turns.map((turn, i) => {
          const last = i === turns.length - 1;
          const live = last && !turn.answer;
          // The latest turn follows the stream itself: a stopped answer's receipt arrives after the stop.
          const answer = last && (live || turn.answer?.streamId === stream.streamId) ? stream : turn.answer;
          return (
            <li key={i}>
              <p className="prompt">{turn.prompt}</p>
              <div className="answer" data-testid={live ? 'live-answer' : 'answer'} data-stream-id={answer?.streamId}>
                {answer?.text}
                {live && busy && <span className="cursor">▍</span>}
              </div>
              {live && busy && (
                <p className="live-metrics" data-testid="live-metrics">
                  {stream.metrics.outputTokens} tokens
                  {stream.metrics.tokensPerSecond !== undefined && ` · ${stream.metrics.tokensPerSecond.toFixed(1)} tok/s`}
                </p>
              )}
              {answer?.status === 'error' && (
                <p className="error" role="alert">
                  {answer.error?.code}: {answer.error?.message}
                </p>
              )}
              {!live && answer && <Receipt snapshot={answer} />}
            </li>
          );
        })}
      </ol>

      <form onSubmit={send}>
        <textarea
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey) void send(e);
          }}
          placeholder="Ask something…"
          rows={2}
          aria-label="Prompt"
        />
        {busy ? (
          <button type="button" onClick={stream.stop} className="stop">
            Stop
          </button>
        ) : (
          <button type="submit" disabled={!draft.trim()}>
            Send
          </button>
        )}
      </form>
    </main>
  );
}
