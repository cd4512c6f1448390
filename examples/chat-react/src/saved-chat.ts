import type { ChatMessage } from '@twin/react';

const KEY = 'twin-chat-messages';

/** The chat saved in this tab (sessionStorage): a reload restores it and resumes an answer in flight. */
export function loadMessages(): ChatMessage[] {
  try {
    const saved = JSON.parse(sessionStorage.getItem(KEY) ?? '[]') as unknown;
    return Array.isArray(saved) ? (saved as ChatMessage[]) : [];
  } catch {
    return [];
  }
}

export function saveMessages(messages: readonly ChatMessage[]): void {
  sessionStorage.setItem(KEY, JSON.stringify(messages));
}

export function clearMessages(): void {
  sessionStorage.removeItem(KEY);
}
