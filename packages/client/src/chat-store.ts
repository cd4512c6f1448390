import type { StreamRequest } from '@twin/core';
import { answerFromSnapshot } from './answer-from-snapshot';
import type { ChatMessage, ChatPart, ChatToolPart } from './chat-message';
import { createStreamClient, type StreamClient, type StreamClientOptions } from './create-stream-client';
import { createListeners } from './listeners';
import { IDLE_SNAPSHOT, isActive, type ClientStreamStatus } from './stream-snapshot';
import { toStreamMessages } from './to-stream-messages';
import type { TwinClientError } from './twin-client-error';

/** A tool call handed to {@link ChatStoreOptions.onToolCall}. */
export interface ChatToolCall {
  toolCallId: string;
  toolName: string;
  args: unknown;
}

/** Options of {@link createChatStore}: the stream client's (where, how) plus the chat's own. */
export interface ChatStoreOptions extends Omit<StreamClientOptions, 'body' | 'resume' | 'method'> {
  /** Sent with every request besides the messages: provider, model, tools, maxTokens, options... */
  request?: Omit<StreamRequest, 'messages'>;
  /** The chat so far (e.g. restored after a reload; then call `resume()`). */
  initialMessages?: readonly ChatMessage[];
  /**
   * Runs client-side tools. Called for each tool call of an answer that finished with `tool-calls`;
   * the value it returns (or resolves) is the result, a throw is an error result. When every call of
   * the answer has a result, the chat asks the model again with them. Calls it returns `undefined`
   * for are left for `addToolResult()` (a tool that needs the user).
   */
  onToolCall?: (call: ChatToolCall) => unknown;
  /** Most consecutive requests one `send` may make through tool results (default 5). */
  maxSteps?: number;
  /** Message ids (default: random). */
  generateId?: () => string;
}

/** The chat's state. Immutable: each change makes a new object. */
export interface ChatSnapshot {
  messages: readonly ChatMessage[];
  /** The latest answer's status (`idle` before any). */
  status: ClientStreamStatus;
  /** The latest answer's error. */
  error?: TwinClientError;
}

/**
 * A framework-free chat state machine: `subscribe` + `getSnapshot` for any UI binding, commands
 * that move it. Each answer is its own stream (and its own stream client), so an answer keeps its
 * own receipt: stopping one and sending the next prompt never moves or loses it.
 */
export interface ChatStore {
  getSnapshot(): ChatSnapshot;
  subscribe(listener: () => void): () => void;
  /** Sends a user message and streams the answer (stopping one in flight). Resolves when the chat is idle again. */
  send(text: string): Promise<ChatSnapshot>;
  /** Stops the answer in flight; the server ends and bills it, and its receipt lands on that message. */
  stop(): void;
  /** Asks again for an assistant message (default: the last one): it and everything after it are replaced. */
  regenerate(messageId?: string): Promise<ChatSnapshot>;
  /** Replaces a user message's text, drops everything after it, and asks again. */
  edit(messageId: string, text: string): Promise<ChatSnapshot>;
  /** Records a tool's result (or error); when the answer's calls all have one, the model is asked again. */
  addToolResult(toolCallId: string, output: unknown, options?: { error?: string }): Promise<ChatSnapshot>;
  /**
   * After a reload: re-attaches to the last answer when it was still in flight (its `streamId` is
   * known), replaying it from the start; otherwise does nothing.
   */
  resume(): Promise<ChatSnapshot>;
  /** Replaces the messages (stopping any answer). */
  setMessages(messages: readonly ChatMessage[]): void;
}

const randomId = () => Math.random().toString(36).slice(2, 12);

/**
 * Creates a {@link ChatStore}. Nothing is requested until a command. `options` may be a function:
 * it is then read for every request (a UI binding passes its latest options, e.g. a changed API key);
 * `initialMessages` is read once.
 */
export function createChatStore(options: ChatStoreOptions | (() => ChatStoreOptions)): ChatStore {
  const read = typeof options === 'function' ? options : () => options;
  const initialMessages = read().initialMessages;
  const generateId = () => (read().generateId ?? randomId)();
  const listeners = createListeners();
  let snapshot: ChatSnapshot = { messages: initialMessages ?? [], status: 'idle' };
  // The answer in flight: its client and message id.
  let current: { client: StreamClient; id: string } | undefined;

  const emit = (messages: readonly ChatMessage[]) => {
    const last = [...messages].reverse().find((m) => m.answer);
    snapshot = { messages, status: last?.answer?.status ?? 'idle', ...(last?.answer?.error ? { error: last.answer.error } : {}) };
    listeners.notify();
  };
  const update = (id: string, change: (m: ChatMessage) => ChatMessage) => {
    const i = snapshot.messages.findIndex((m) => m.id === id);
    if (i === -1) return;
    const messages = snapshot.messages.slice();
    messages[i] = change(messages[i]!);
    emit(messages);
  };

  const halt = () => {
    current?.client.stop();
    current = undefined;
  };

  // Streams one answer to `history`; `resume` re-attaches to a known stream instead.
  const ask = async (history: readonly ChatMessage[], resume?: { id: string; streamId: string }): Promise<ChatMessage | undefined> => {
    halt();
    // What is left after the chat's own options is the stream client's.
    const { request, initialMessages: _i, onToolCall: _t, maxSteps: _m, generateId: _g, ...clientOptions } = read();
    const id = resume?.id ?? generateId();
    const client = createStreamClient({
      ...clientOptions,
      body: { ...request, messages: toStreamMessages(history) },
      ...(resume ? { resume: { streamId: resume.streamId, lastSeq: 0 } } : {}),
    });
    current = { client, id };
    const placeholder: ChatMessage = { id, role: 'assistant', parts: [], answer: { status: 'connecting', metrics: IDLE_SNAPSHOT.metrics } };
    emit(resume ? snapshot.messages.map((m) => (m.id === id ? placeholder : m)) : [...history, placeholder]);
    // The message follows its own stream until the receipt is in: a stopped answer's receipt comes
    // from the cancel request's answer, after the stop (and maybe after the next prompt was sent).
    const off = client.subscribe(() => {
      const s = client.getSnapshot();
      update(id, (m) => (m.answer?.cost ? m : { ...m, ...answerFromSnapshot(s, m.parts) }));
      if (s.cost || s.status === 'done' || s.status === 'error') off();
    });
    const final = await client.start();
    if (current?.client === client) current = undefined;
    return final.status === 'done' ? snapshot.messages.find((m) => m.id === id) : undefined;
  };

  const toolParts = (m: ChatMessage) => m.parts.filter((p): p is ChatToolPart => p.type === 'tool');
  const settled = (p: ChatToolPart) => p.state === 'output-available' || p.state === 'output-error';
  const setTool = (messageId: string, toolCallId: string, patch: Partial<ChatToolPart>) =>
    update(messageId, (m) => ({ ...m, parts: m.parts.map((p): ChatPart => (p.type === 'tool' && p.toolCallId === toolCallId ? { ...p, ...patch } : p)) }));

  // Runs client-side tools of a finished answer; asks again while every call has a result.
  const converse = async (history: readonly ChatMessage[], resume?: { id: string; streamId: string }): Promise<ChatSnapshot> => {
    let answer = await ask(history, resume);
    for (let step = 1; answer && answer.answer?.finishReason === 'tool-calls' && step < (read().maxSteps ?? 5); step++) {
      const message = answer;
      const { onToolCall } = read();
      if (onToolCall) {
        for (const part of toolParts(message)) {
          if (settled(part)) continue;
          try {
            const output = await onToolCall({ toolCallId: part.toolCallId, toolName: part.toolName, args: part.args });
            if (output !== undefined) setTool(message.id, part.toolCallId, { state: 'output-available', output });
          } catch (error) {
            setTool(message.id, part.toolCallId, { state: 'output-error', errorText: error instanceof Error ? error.message : String(error) });
          }
        }
      }
      const now = snapshot.messages.find((m) => m.id === message.id);
      if (!now || current || !toolParts(now).every(settled) || snapshot.messages.at(-1) !== now) break;
      answer = await ask(snapshot.messages);
    }
    return snapshot;
  };

  return {
    getSnapshot: () => snapshot,
    subscribe: listeners.subscribe,
    send(text) {
      halt();
      return converse([...snapshot.messages, { id: generateId(), role: 'user', parts: [{ type: 'text', text }] }]);
    },
    stop: halt,
    regenerate(messageId) {
      const messages = snapshot.messages;
      let i = messageId === undefined ? lastAnswerIndex(messages) : messages.findIndex((m) => m.id === messageId);
      if (i === -1) i = messages.length;
      halt();
      return converse(messages.slice(0, i));
    },
    edit(messageId, text) {
      const i = snapshot.messages.findIndex((m) => m.id === messageId && m.role === 'user');
      if (i === -1) return Promise.resolve(snapshot);
      halt();
      const edited: ChatMessage = { ...snapshot.messages[i]!, parts: [{ type: 'text', text }] };
      return converse([...snapshot.messages.slice(0, i), edited]);
    },
    addToolResult(toolCallId, output, opts) {
      const message = snapshot.messages.find((m) => toolParts(m).some((p) => p.toolCallId === toolCallId));
      if (!message) return Promise.resolve(snapshot);
      setTool(message.id, toolCallId, opts?.error === undefined ? { state: 'output-available', output } : { state: 'output-error', errorText: opts.error });
      const now = snapshot.messages.find((m) => m.id === message.id)!;
      // Ask again only once every call of the latest answer has its result, and nothing is streaming.
      if (current || snapshot.messages.at(-1) !== now || !toolParts(now).every(settled)) return Promise.resolve(snapshot);
      return converse(snapshot.messages);
    },
    resume() {
      const last = snapshot.messages.at(-1);
      const streamId = last?.answer?.streamId;
      if (current || !last || !streamId || !isActive(last.answer!.status)) return Promise.resolve(snapshot);
      return converse(snapshot.messages.slice(0, -1), { id: last.id, streamId });
    },
    setMessages(messages) {
      halt();
      emit(messages);
    },
  };
}

/** The index of the last assistant message, or -1 (`findLastIndex` is ES2023, later than the package's target). */
function lastAnswerIndex(messages: readonly ChatMessage[]): number {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i]!.role === 'assistant') return i;
  return -1;
}
