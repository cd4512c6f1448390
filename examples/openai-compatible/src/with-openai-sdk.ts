import OpenAI from 'openai';

/** Where Twin runs and the Twin API key: the only two things that change in an OpenAI app. */
export interface TwinEndpoint {
  /** Twin's address, e.g. `http://localhost:8787`. */
  url: string;
  apiKey: string;
}

/** What an example call printed, for the tests. */
export interface ExampleResult {
  text: string;
  inputTokens: number | undefined;
  outputTokens: number | undefined;
  /** Twin's receipt: the call's billed total (an exact decimal string) and currency. */
  cost: string | undefined;
}

/**
 * An ordinary OpenAI SDK app: `baseURL` points at Twin's `/v1`, the key is a Twin key, and the model
 * names a Twin provider (`simulated/sim-1` runs offline; `openai/gpt-4o`, `anthropic/claude-sonnet-4-5`
 * when the server has those keys). Streamed, with usage; the final usage chunk carries Twin's receipt.
 */
export async function askWithOpenAI(endpoint: TwinEndpoint, question: string, print: (text: string) => void): Promise<ExampleResult> {
  const client = new OpenAI({ baseURL: `${endpoint.url}/v1`, apiKey: endpoint.apiKey });
  const stream = await client.chat.completions.create({
    model: 'simulated/sim-1',
    messages: [{ role: 'user', content: question }],
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = '';
  let usage: OpenAI.CompletionUsage | undefined;
  let cost: string | undefined;
  for await (const chunk of stream) {
    const delta = chunk.choices[0]?.delta.content ?? '';
    text += delta;
    print(delta);
    if (chunk.usage) {
      usage = chunk.usage;
      // Twin's extra field on the usage chunk; the SDK passes unknown fields through.
      cost = (chunk as { twin?: { cost?: { total: string } } }).twin?.cost?.total;
    }
  }
  return { text, inputTokens: usage?.prompt_tokens, outputTokens: usage?.completion_tokens, cost };
}
