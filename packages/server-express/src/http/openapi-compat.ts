import { anthropicMessagesRequestSchema, openAIChatRequestSchema } from '@twin/core';
import type { z } from 'zod';
import { eventStreamContent, jsonRequestBody, jsonResponse, responsesFor, schemaRef, type Json } from './openapi-parts';

const openAIError = jsonResponse(
  {
    type: 'object',
    properties: {
      error: {
        type: 'object',
        properties: { message: { type: 'string' }, type: { type: 'string' }, param: { type: ['string', 'null'] }, code: { type: 'string' } },
        required: ['message', 'type', 'param', 'code'],
      },
    },
  },
  "OpenAI's error shape: `{ error: { message, type, param, code } }` (`code` is Twin's stable error code).",
);

const anthropicError = jsonResponse(
  {
    type: 'object',
    properties: { type: { const: 'error' }, error: { type: 'object', properties: { type: { type: 'string' }, message: { type: 'string' } } } },
  },
  "Anthropic's error shape: `{ type: 'error', error: { type, message } }`.",
);

const costHeaders = {
  'X-Twin-Stream-Id': { schema: { type: 'string' }, description: 'The Twin stream that served the call.' },
  'X-Twin-Cost': { schema: { type: 'string' }, description: 'Non-streamed answers: the billed total, an exact decimal string.' },
  'X-Twin-Cost-Currency': { schema: { type: 'string' } },
  'X-Twin-Billing-Record': { schema: { type: 'string' } },
};

const errorsOf = (response: Json) => responsesFor(['400', '401', '402', '404', '429', '503'], response);

/** A compatible door's 200: one JSON answer, or its events with `stream: true`; both with the cost headers. */
const answerOrEvents = (description: string) => ({
  description,
  headers: costHeaders,
  content: { 'application/json': { schema: { type: 'object' } }, ...eventStreamContent },
});

/** Schemas of the compatible doors' request bodies, from the zod schemas that validate them (`schemaOf`: the document's zod → JSON Schema). */
export function compatOpenApiSchemas(schemaOf: (schema: z.ZodType) => Json): Json {
  return { OpenAIChatRequest: schemaOf(openAIChatRequestSchema), AnthropicMessagesRequest: schemaOf(anthropicMessagesRequestSchema) };
}

/** Paths of the compatible doors: OpenAI's Chat Completions and Models, Anthropic's Messages. */
export function compatOpenApiPaths(): Json {
  return {
    '/v1/chat/completions': {
      post: {
        summary:
          "OpenAI Chat Completions. `model` is `provider/model` (or a bare model the catalogue knows). With `stream: true`: OpenAI's `chat.completion.chunk` events and `data: [DONE]`; the usage chunk (`stream_options.include_usage`) carries Twin's receipt under `twin`. Without: one `chat.completion` with `twin` and the cost headers.",
        requestBody: jsonRequestBody(schemaRef('OpenAIChatRequest')),
        responses: { '200': answerOrEvents('A `chat.completion` (JSON), or its chunks (SSE) with `stream: true`.'), ...errorsOf(openAIError) },
      },
    },
    '/v1/models': {
      get: {
        summary: 'The models this key may name, as `provider/model`.',
        responses: { '200': jsonResponse(), ...errorsOf(openAIError) },
      },
    },
    '/v1/models/{id}': {
      get: {
        summary: 'One model (`provider/model`; the slash may be sent raw or encoded).',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': jsonResponse(), ...errorsOf(openAIError) },
      },
    },
    '/v1/messages': {
      post: {
        summary:
          "Anthropic Messages. Authenticates with `x-api-key` or Bearer; `anthropic-version` is accepted. With `stream: true`: Anthropic's events (`message_start` … `message_stop`, `ping`, `error`), `message_delta` carrying Twin's receipt under `twin`. Without: one `message` with `twin` and the cost headers.",
        requestBody: jsonRequestBody(schemaRef('AnthropicMessagesRequest')),
        responses: { '200': answerOrEvents('A `message` (JSON), or its events (SSE) with `stream: true`.'), ...errorsOf(anthropicError) },
      },
    },
  };
}
