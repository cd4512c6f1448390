import { askWithAiSdk } from './with-ai-sdk';
import { askWithAnthropic } from './with-anthropic-sdk';
import { askWithOpenAI, type TwinEndpoint } from './with-openai-sdk';

// TWIN_URL and TWIN_API_KEY (the key `pnpm start` prints and saves to .twin-data/dev-api-key).
const endpoint: TwinEndpoint = { url: process.env.TWIN_URL ?? 'http://localhost:8787', apiKey: process.env.TWIN_API_KEY ?? '' };
if (!endpoint.apiKey) {
  console.error('Set TWIN_API_KEY (see .twin-data/dev-api-key after `pnpm start`).');
  process.exit(1);
}
const question = process.argv[2] ?? 'What does a gateway add to an LLM call?';
const print = (text: string) => process.stdout.write(text);

for (const [name, ask] of [
  ['openai', askWithOpenAI],
  ['@anthropic-ai/sdk', askWithAnthropic],
  ['ai (Vercel AI SDK)', askWithAiSdk],
] as const) {
  process.stdout.write(`\n── ${name} ──\n`);
  const result = await ask(endpoint, question, print);
  process.stdout.write(`\n[${result.inputTokens} in / ${result.outputTokens} out${result.cost ? ` · cost ${result.cost}` : ''}]\n`);
}
