// @twin/core/internal: the building blocks behind the public API, for sibling packages, custom
// adapters and benchmarks. Usable, but not part of the stable surface: names here may change in a
// minor release. Public names live in src/index.ts.

// ── provider adapters: wire mapping, request bodies, readers ────────────────
export { OpenAIChatChunkMapper, openAIChatUsage, openAIChatBody, mapOpenAIChatEvents } from './providers/openai-chat';
export { toOpenAIChatMessages, toOpenAIChatTools } from './providers/openai-chat-messages';
export { AnthropicEventMapper, anthropicUsage, anthropicBody } from './providers/anthropic';
export { toAnthropicMessages, toAnthropicTools } from './providers/anthropic-messages';
export { GeminiChunkMapper, geminiUsage, geminiBody } from './providers/gemini';
export { toGeminiContents, toGeminiTools } from './providers/gemini-contents';
export { OllamaLineMapper, ollamaUsage, ollamaBody, toOllamaMessages } from './providers/ollama';
export { OpenAIResponsesEventMapper, openAIResponsesUsage, openAIResponsesBody, toResponsesInput } from './providers/openai-responses';
export { ToolCallAssembler } from './providers/tool-call-assembler';
export type { PendingCall } from './providers/tool-call-assembler';
export { readServerSentEventBatches } from './providers/read-server-sent-event-batches';
export { readNdjsonLineBatches } from './providers/read-ndjson-line-batches';
export { sdkResponseBody } from './providers/sdk-call';
export type { SdkStreamCall } from './providers/sdk-call';
export { readStreamHead } from './providers/stream-head';
export type { StreamHead } from './providers/stream-head';

// ── frame-level cipher and codec primitives (the payload sealer and opener compose them) ──
export { sealFrame, openFrame, CIPHER_KEY_BYTES, CIPHER_NONCE_BYTES, CIPHER_TAG_BYTES } from './cipher/frame-cipher';
export { frameAssociatedData } from './cipher/frame-associated-data';
export type { FrameBinding } from './cipher/frame-associated-data';
export { createFrameCompressor } from './codec/frame-compressor';
export type { FrameCompressor, FrameCompressorOptions } from './codec/frame-compressor';
export { createFrameDecompressor } from './codec/frame-decompressor';
export type { FrameDecompressor } from './codec/frame-decompressor';

// ── compatible doors: the translators behind the OpenAI and Anthropic writers ──
export { OpenAIChatChunker, openAIFinishReason, openAIWireUsage } from './compat/openai-chat-chunks';
export type { OpenAIChunkOutput } from './compat/openai-chat-chunks';
export { AnthropicMessageEvents, anthropicStopReason, anthropicWireUsage } from './compat/anthropic-message-events';
export type { AnthropicStreamEvent } from './compat/anthropic-message-events';
export { createCompatConnectionWriter } from './compat/compat-connection-writer';
export type { CompatConnectionWriterOptions, EncodedEvent } from './compat/compat-connection-writer';
export { twinAnswerInfo } from './compat/compat-stream-info';
// ── AI SDK UI message stream: the per-connection translator behind createUIMessageStreamWriter ──
export { UIMessageChunker } from './compat/ui-message-chunks';
export type { UIMessageChunk } from './compat/ui-message-chunks';
