import type { ChatToolCall } from '@twin/react';

/**
 * The client-side tool of the demo: the model may call `get_time`, the page runs it and the chat
 * sends the result back. (The simulated model calls a tool when the prompt names it: "use get_time".)
 */
export const TOOLS = [
  {
    name: 'get_time',
    description: 'The current time in the browser, as an ISO-8601 string, and its time zone.',
    parameters: { type: 'object', properties: { zone: { type: 'string', description: 'why the time is asked for' } } },
  },
];

export function runTool(call: ChatToolCall): unknown {
  if (call.toolName === 'get_time') return { time: new Date().toISOString(), zone: Intl.DateTimeFormat().resolvedOptions().timeZone };
  return undefined; // unknown tools are left unanswered
}
