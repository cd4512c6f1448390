import Anthropic from '@anthropic-ai/sdk';
import type { ExampleResult, TwinEndpoint } from './with-openai-sdk';

/** An ordinary Anthropic SDK app: `baseURL` is Twin's address, the key a Twin key (sent as `x-api-key`). */
export async function askWithAnthropic(endpoint: TwinEndpoint, question: string, print: (text: string) => void): Promise<ExampleResult> {
  const client = new Anthropic({ baseURL: endpoint.url, apiKey: endpoint.apiKey });
  const stream = client.messages.stream({ model: 'simulated/sim-1', max_tokens: 512, messages: [{ role: 'user', content: question }] });
  stream.on('text', print);
  // Twin's receipt rides in `message_delta` (the SDK's final message keeps only Anthropic's fields);
  // a non-streamed call answers it in the `X-Twin-Cost` header and the message's `twin` field.
  let cost: string | undefined;
  stream.on('streamEvent', (event) => {
    if (event.type === 'message_delta') cost = (event as { twin?: { cost?: { total: string } } }).twin?.cost?.total;
  });
  const message = await stream.finalMessage();
  const text = message.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
  return {
    text,
    inputTokens: message.usage.input_tokens,
    outputTokens: message.usage.output_tokens,
    cost,
  };
}
