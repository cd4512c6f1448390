import { compatErrorInput } from './compat-error';
import type { CompatAnswer } from './compat-answer';
import { twinAnswerInfo, type TwinAnswerInfo } from './compat-stream-info';
import { openAIFinishReason, openAIWireUsage, type OpenAIUsage } from './openai-chat-chunks';
import { openAIError, type OpenAIErrorBody } from './openai-error';

/** OpenAI's non-streamed `chat.completion`. */
export interface OpenAIChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{
    index: 0;
    message: {
      role: 'assistant';
      content: string | null;
      refusal: null;
      reasoning_content?: string;
      tool_calls?: Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }>;
    };
    logprobs: null;
    finish_reason: string;
  }>;
  usage?: OpenAIUsage;
  twin: TwinAnswerInfo;
}

/** The HTTP answer of a non-streamed call: status and JSON body. */
export type OpenAIChatAnswer = { status: 200; body: OpenAIChatCompletion } | { status: number; body: OpenAIErrorBody };

/**
 * The non-streamed answer from a collected stream: a `chat.completion` with the whole message, or,
 * when the stream ended with an error, OpenAI's error body with the error's HTTP status (nothing was
 * sent yet, so the status can still say what happened).
 */
export function openAIChatAnswer(answer: CompatAnswer, options: { id: string; model: string; created: number; streamId: string }): OpenAIChatAnswer {
  if (answer.error || !answer.complete) {
    const input = compatErrorInput(
      answer.error ?? { code: 'internal', message: 'The stream ended without an answer.', retryable: false },
    );
    return { status: input.status, body: openAIError(input) };
  }
  const complete = answer.complete;
  const text = answer.text;
  const reasoning = answer.reasoning;
  const calls = answer.toolCalls;
  const usage = openAIWireUsage(complete.usage);
  return {
    status: 200,
    body: {
      id: options.id,
      object: 'chat.completion',
      created: options.created,
      model: options.model,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: text === '' && calls.length > 0 ? null : text,
            refusal: null,
            ...(reasoning !== undefined ? { reasoning_content: reasoning } : {}),
            ...(calls.length
              ? { tool_calls: calls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.argsText === '' ? JSON.stringify(c.args ?? {}) : c.argsText } })) }
              : {}),
          },
          logprobs: null,
          finish_reason: openAIFinishReason(complete.finishReason),
        },
      ],
      ...(usage ? { usage } : {}),
      twin: twinAnswerInfo(options.streamId, complete),
    },
  };
}
