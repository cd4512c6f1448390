import { useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { createChatStore, type ChatMessage, type ChatSnapshot, type ChatStore, type ChatStoreOptions } from '@twin/client';
import { bindClient } from './bind-client';

/** Options of {@link useChat}: the chat store's options plus one for rendering. */
export interface UseChatOptions extends ChatStoreOptions {
  /**
   * Re-render at most once per this many milliseconds while tokens arrive (status changes render at
   * once). Default 0: every event renders.
   */
  throttleMs?: number;
  /**
   * On mount, re-attach to the last answer of `initialMessages` when it was still in flight (a page
   * reload mid-answer). Once, also under StrictMode. Default false.
   */
  resume?: boolean;
}

/** The chat's snapshot plus the commands that drive it. Commands are stable across renders. */
export interface UseChatResult extends ChatSnapshot {
  send: ChatStore['send'];
  stop: ChatStore['stop'];
  regenerate: ChatStore['regenerate'];
  edit: ChatStore['edit'];
  addToolResult: ChatStore['addToolResult'];
  resume: ChatStore['resume'];
  setMessages: ChatStore['setMessages'];
}

const EMPTY: ChatSnapshot = Object.freeze({ messages: Object.freeze([]) as readonly ChatMessage[], status: 'idle' }) as ChatSnapshot;
const serverSnapshot = () => EMPTY;

/**
 * A chat in a component: messages (text, reasoning, tool calls and results, each answer with its own
 * receipt) plus `send`, `stop`, `regenerate`, `edit`, `addToolResult`, `resume`.
 *
 * It only binds a `@twin/client` chat store with `useSyncExternalStore`: nothing is requested during
 * render, unmounting stops the answer in flight. Each request uses the latest render's options
 * (`initialMessages` is read once, on mount).
 */
export function useChat(options: UseChatOptions): UseChatResult {
  const latest = useRef(options);
  latest.current = options;
  const [bound] = useState(() => {
    // The store reads the latest render's options for every request (a changed API key, tools...).
    const store = createChatStore(() => latest.current);
    return { store, binding: bindClient(store, () => latest.current.throttleMs ?? 0) };
  });
  const snapshot = useSyncExternalStore(bound.binding.subscribe, bound.binding.getSnapshot, serverSnapshot);
  useEffect(() => {
    let cancelled = false;
    // Deferred one microtask: StrictMode's simulated unmount runs first and cancels it, so only the
    // real mount resumes (and the simulated unmount's stop() never cancels the resumed stream).
    if (latest.current.resume) {
      queueMicrotask(() => {
        if (!cancelled) void bound.store.resume();
      });
    }
    return () => {
      cancelled = true;
      bound.store.stop();
    };
  }, [bound]);
  const { store } = bound;
  return useMemo(() => ({ ...snapshot, ...commands(store) }), [snapshot, store]);
}

// The store's methods do not use `this`: they can be handed out as they are.
function commands(store: ChatStore) {
  const { send, stop, regenerate, edit, addToolResult, resume, setMessages } = store;
  return { send, stop, regenerate, edit, addToolResult, resume, setMessages };
}
