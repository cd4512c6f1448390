import { compatErrorInput } from './compat-error';
import type { CompatAnswer } from './compat-answer';
import { twinAnswerInfo, type TwinAnswerInfo } from './compat-stream-info';
import { anthropicError, type AnthropicErrorBody } from './anthropic-error';
import { anthropicStopReason, anthropicWireUsage, type AnthropicUsage } from './anthropic-message-events';

/** Anthropic's non-streamed `message`. */
export interface AnthropicMessage {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: Array<
    | { type: 'text'; text: string }
    | { type: 'thinking'; thinking: string; signature: string }
    | { type: 'tool_use'; id: string; name: string; input: unknown }
  >;
  stop_reason: string;
  stop_sequence: null;
  usage: AnthropicUsage;
  twin: TwinAnswerInfo;
}

export type AnthropicAnswer = { status: 200; body: AnthropicMessage } | { status: number; body: AnthropicErrorBody };

/** The non-streamed answer from a collected stream: the whole `message`, or Anthropic's error with its HTTP status. */
export function anthropicAnswer(answer: CompatAnswer, options: { id: string; model: string; streamId: string }): AnthropicAnswer {
  if (answer.error || !answer.complete) {
    const input = compatErrorInput(answer.error ?? { code: 'internal', message: 'The stream ended without an answer.', retryable: false });
    return { status: input.status, body: anthropicError(input) };
  }
  const complete = answer.complete;
  const content: AnthropicMessage['content'] = [];
  for (const block of answer.blocks) {
    if (block.type === 'text') content.push({ type: 'text', text: block.text });
    else if (block.type === 'reasoning') content.push({ type: 'thinking', thinking: block.text, signature: '' });
    else if (block.done) content.push({ type: 'tool_use', id: block.id, name: block.name, input: block.args ?? {} });
  }
  return {
    status: 200,
    body: {
      id: options.id,
      type: 'message',
      role: 'assistant',
      model: options.model,
      content,
      stop_reason: anthropicStopReason(complete.finishReason, complete.rawFinishReason),
      stop_sequence: null,
      usage: anthropicWireUsage(complete.usage),
      twin: twinAnswerInfo(options.streamId, complete),
    },
  };
}
