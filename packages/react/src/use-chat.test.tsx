import { StrictMode } from 'react';
import { renderToString } from 'react-dom/server';
import { act, configure, cleanup, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { answerNumbers, messageText, useChat, type UseChatOptions } from '@twin/react';
import { answerEvents, chatFetch } from '../../client/test/chat-fetch';

// waitFor's own 1 s limit is a clock a loaded machine can outrun: only the test's limit catches a hang.
configure({ asyncUtilTimeout: 30_000 });

afterEach(cleanup);

function Chat(props: UseChatOptions) {
  const chat = useChat(props);
  return (
    <div>
      <p data-testid="status">{chat.status}</p>
      <ol>
        {chat.messages.map((m) => (
          <li key={m.id} data-testid={m.role}>
            {messageText(m)}
            {m.answer && <span data-testid="tokens">{answerNumbers(m.answer).outputTokens}</span>}
          </li>
        ))}
      </ol>
      <button onClick={() => void chat.send('Hi')}>send</button>
      <button onClick={() => void chat.regenerate()}>regenerate</button>
    </div>
  );
}

describe('useChat', () => {
  it('renders the conversation as it streams, with each answer’s numbers, and regenerates', async () => {
    const net = chatFetch([{ events: answerEvents('s1', ['Hello ', 'there']) }, { events: answerEvents('s2', ['Again']) }]);
    render(
      <StrictMode>
        <Chat url="http://twin.test/api/stream" fetch={net.fetch} throttleMs={20} />
      </StrictMode>,
    );
    expect(screen.getByTestId('status').textContent).toBe('idle');
    await act(async () => screen.getByText('send').click());
    await waitFor(() => expect(screen.getByTestId('status').textContent).toBe('done'));
    expect(screen.getByTestId('user').textContent).toBe('Hi');
    expect(screen.getByTestId('assistant').textContent).toBe('Hello there7');
    await act(async () => screen.getByText('regenerate').click());
    await waitFor(() => expect(screen.getByTestId('assistant').textContent).toBe('Again7'));
    // StrictMode's double mount sent nothing extra: one request per command.
    expect(net.requests.filter((r) => r.method === 'POST')).toHaveLength(2);
  });

  it('renders an empty chat on the server without fetching', () => {
    const net = chatFetch([]);
    expect(renderToString(<Chat url="http://twin.test/api/stream" fetch={net.fetch} />)).toContain('idle');
    expect(net.requests).toHaveLength(0);
  });
});
