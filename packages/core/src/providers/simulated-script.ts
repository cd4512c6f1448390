import type { Message } from '../protocol/message';
import type { ProviderRequest } from './provider';

/**
 * What the simulated model does with one request. It relates to the prompt (deterministically), so a
 * first-run user sees their request went through, and it says it is simulated:
 * - `answer`: text that starts with `prefix` (quoting the prompt, or the tool result it answers);
 * - `tool`: a call of an offered tool the last user message names (the client-side tools demo).
 */
export type SimulatedTurn = { kind: 'answer'; prefix: string } | { kind: 'tool'; name: string; args: Record<string, unknown> };

const EXCERPT_WORDS = 12;
const EXCERPT_CHARS = 80;

function textOf(message: Message): string {
  if (typeof message.content === 'string') return message.content;
  return message.content.map((p) => (p.type === 'text' ? p.text : '')).join('');
}

/** The text of the last user message ('' when there is none). */
export function lastUserText(request: Pick<ProviderRequest, 'messages'>): string {
  for (let i = request.messages.length - 1; i >= 0; i--) {
    const m = request.messages[i]!;
    if (m.role === 'user') return textOf(m);
  }
  return '';
}

/** The first words of `text` on one line, bounded (a long prompt is quoted, not copied). */
export function excerpt(text: string): string {
  // Only the head is read: a long prompt costs no more than a short one before the first token.
  const head = text.slice(0, EXCERPT_CHARS * 4).trim();
  const words = head.split(/\s+/).filter(Boolean);
  let out = words.slice(0, EXCERPT_WORDS).join(' ');
  if (out.length > EXCERPT_CHARS) out = out.slice(0, EXCERPT_CHARS);
  return out.length < head.length || text.length > EXCERPT_CHARS * 4 ? `${out}…` : out;
}

function toolResults(message: Message): Array<{ toolCallId: string; toolName?: string; result: unknown }> {
  if (typeof message.content === 'string') return [];
  const out: Array<{ toolCallId: string; toolName?: string; result: unknown }> = [];
  for (const part of message.content) if (part.type === 'tool-result') out.push(part);
  return out;
}

// The name of a tool call made earlier in the conversation (a tool result may omit it).
function toolNameOf(messages: readonly Message[], toolCallId: string): string | undefined {
  for (const m of messages) {
    if (typeof m.content === 'string') continue;
    for (const part of m.content) if (part.type === 'tool-call' && part.toolCallId === toolCallId) return part.toolName;
  }
  return undefined;
}

// Arguments that satisfy a simple JSON Schema object: strings quote the prompt, numbers its length.
function argsFor(parameters: Record<string, unknown>, prompt: string): Record<string, unknown> {
  const properties = (parameters.properties ?? {}) as Record<string, { type?: unknown } | undefined>;
  const args: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(properties)) {
    const type = schema?.type;
    if (type === 'string') args[key] = excerpt(prompt);
    else if (type === 'number' || type === 'integer') args[key] = prompt.length;
    else if (type === 'boolean') args[key] = true;
  }
  return args;
}

/** Decides what the simulated model does with `request` (pure; cheap: it reads the last messages only). */
export function planSimulatedTurn(request: Pick<ProviderRequest, 'messages' | 'tools'>): SimulatedTurn {
  const lastMessage = request.messages[request.messages.length - 1];
  const results = lastMessage ? toolResults(lastMessage) : [];
  if (lastMessage && results.length > 0) {
    const described = results.map((r) => {
      const name = r.toolName ?? toolNameOf(request.messages, r.toolCallId) ?? 'tool';
      return `${name} returned ${excerpt(typeof r.result === 'string' ? r.result : JSON.stringify(r.result ?? null))}`;
    });
    return { kind: 'answer', prefix: `Simulated answer: ${described.join('; ')}. ` };
  }
  const prompt = lastUserText(request);
  if (lastMessage?.role === 'user' && request.tools?.length) {
    const tool = request.tools.find((t) => prompt.includes(t.name));
    if (tool) return { kind: 'tool', name: tool.name, args: argsFor(tool.parameters, prompt) };
  }
  return { kind: 'answer', prefix: prompt.trim() === '' ? 'Simulated answer: ' : `Simulated answer to "${excerpt(prompt)}": ` };
}
