import { createOpenAI } from '@ai-sdk/openai';
import { streamText } from 'ai';
import type { ExampleResult, TwinEndpoint } from './with-openai-sdk';

/** A Vercel AI SDK app: the OpenAI provider with Twin's `/v1` as its base URL. */
export async function askWithAiSdk(endpoint: TwinEndpoint, question: string, print: (text: string) => void): Promise<ExampleResult> {
  const twin = createOpenAI({ baseURL: `${endpoint.url}/v1`, apiKey: endpoint.apiKey });
  const result = streamText({ model: twin.chat('simulated/sim-1'), prompt: question });
  let text = '';
  for await (const delta of result.textStream) {
    text += delta;
    print(delta);
  }
  const usage = await result.usage;
  // The AI SDK does not surface Twin's receipt; the cost is in GET /api/billing/records.
  return { text, inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, cost: undefined };
}
