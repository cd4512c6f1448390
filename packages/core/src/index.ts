// @twin/core public API. Every public name is exported explicitly (docs/design.md "Public API").
// Each area owns one section below; keep additions inside your section. Adapter internals and
// frame-level primitives live in `@twin/core/internal` (src/internal.ts): usable, not promised stable.

// ── errors & utilities ───────────────────────────────────────────────────────
export { TwinError, isTwinError, toTwinError } from './errors/twin-error';
export type { TwinErrorCode, TwinErrorPayload, TwinErrorOptions } from './errors/twin-error';
export { safeParseJSON } from './util/safe-parse-json';
export type { ParseResult } from './util/safe-parse-json';

// ── protocol ─────────────────────────────────────────────────────────────────
export { PROTOCOL_VERSION } from './protocol/version';
export type { ProtocolVersion } from './protocol/version';
export { formatEventId, parseEventId } from './protocol/event-id';
export type { ParsedEventId } from './protocol/event-id';
export { usageSchema, finishReasonSchema } from './protocol/usage';
export type { Usage, FinishReason } from './protocol/usage';
export {
  messageSchema,
  contentPartSchema,
  textContentSchema,
  imageContentSchema,
  toolCallContentSchema,
  toolResultContentSchema,
  toolDefinitionSchema,
} from './protocol/message';
export type { Message, ContentPart, ToolDefinition } from './protocol/message';
export { isContentPart } from './protocol/stream-part';
export type {
  StreamPart,
  ContentStreamPart,
  ResponseMetadataPart,
  TextDeltaPart,
  ReasoningDeltaPart,
  ToolCallStartPart,
  ToolCallDeltaPart,
  ToolCallPart,
  UsagePart,
  FinishPart,
  ErrorPart,
} from './protocol/stream-part';
export {
  STREAM_EVENT_TYPES,
  codecNameSchema,
  cipherAlgSchema,
  toolCallChunkSchema,
  chunkContentSchema,
  streamStateSchema,
  sealedFieldsSchema,
  startEventDataSchema,
  plainChunkEventDataSchema,
  sealedChunkEventDataSchema,
  chunkEventDataSchema,
  resyncEventDataSchema,
  errorEventDataSchema,
  costReceiptSchema,
  completeEventDataSchema,
  streamEventDataSchemas,
} from './protocol/stream-event';
export type {
  StreamEventType,
  CodecName,
  CipherAlg,
  ToolCallChunk,
  ChunkContent,
  StreamState,
  SealedFields,
  StartEventData,
  PlainChunkEventData,
  SealedChunkEventData,
  ChunkEventData,
  ResyncEventData,
  ErrorEventData,
  CostReceipt,
  CompleteEventData,
  StreamEvent,
} from './protocol/stream-event';
export { streamConfigSchema, DEFAULT_STREAM_CONFIG } from './protocol/stream-config';
export { resolveStreamConfig } from './protocol/resolved-stream-config';
export type { StreamConfig, StreamConfigInput } from './protocol/stream-config';
export { streamRequestSchema } from './protocol/stream-request';
export { NAME_PATTERN, nameSchema, endUserIdSchema, metadataKeySchema, metadataValueSchema } from './protocol/names';
export type { StreamRequest, StreamResponse } from './protocol/stream-request';
export { streamStatusSchema, streamConnectionSchema, streamChunkSchema } from './protocol/stream-connection';
export type { StreamStatus, StreamConnection, StreamChunk } from './protocol/stream-connection';
export { streamBufferStateSchema } from './protocol/stream-buffer-state';
export type { StreamBufferState } from './protocol/stream-buffer-state';
export { streamMetricsSchema } from './protocol/stream-metrics';
export type { StreamMetrics } from './protocol/stream-metrics';
export {
  decimalStringSchema,
  roundingModeSchema,
  volumeTierSchema,
  streamBillingConfigSchema,
  billingEndReasonSchema,
  billLinesSchema,
  streamBillingRecordSchema,
  usageReportDimensionSchema,
  streamUsageReportSchema,
} from './protocol/billing';
export type {
  DecimalString,
  RoundingMode,
  StreamBillingConfig,
  StreamBillingConfigInput,
  BillingEndReason,
  BillLines,
  StreamBillingRecord,
  UsageReportDimension,
  StreamUsageReport,
} from './protocol/billing';

// ── SSE encoder & stream buffer ──────────────────────────────────────────────
export { encodeSSE, encodeSSEComment, SSE_HEARTBEAT } from './sse/encode-sse';
export type { SSEMessage } from './sse/encode-sse';
export { utf8ByteLength } from './sse/utf8-byte-length';
export { StreamBuffer, createStreamBuffer, publicUsage } from './stream/stream-buffer';
export type { StreamBufferConfig, StreamOutcome, StartFields, CompleteFields, ErrorFields } from './stream/stream-buffer';
export { StreamSession, createStreamSession } from './stream/stream-session';
export type { StreamSessionOptions, FinishOptions, StreamSessionSnapshot, StreamSessionListener } from './stream/stream-session';
export { createConnectionWriter } from './stream/connection-writer';
export type { ConnectionWriter, ConnectionWriterOptions } from './stream/connection-writer';

// ── codecs & cipher ──────────────────────────────────────────────────────────
export { createPayloadSealer } from './payload/payload-sealer';
export type { PayloadSealer, PayloadSealerOptions } from './payload/payload-sealer';
export { createPayloadOpener } from './payload/payload-opener';
export type { PayloadOpener, PayloadOpenerOptions } from './payload/payload-opener';
export type { SealedEventType } from './payload/payload-guards';
export { createKeyring } from './cipher/keyring';
export type { Keyring, KeyringEntry } from './cipher/keyring';
export { deriveKeyFromPassword, deriveKeyFromPasswordAsync, DEFAULT_SCRYPT_PARAMS, MIN_PASSWORD_SALT_BYTES } from './cipher/derive-key-from-password';
export type { ScryptParams } from './cipher/derive-key-from-password';
export { deriveStreamKey } from './cipher/derive-stream-key';
export { nobleAead } from './cipher/noble-aead';
export type { AeadBackend } from './cipher/aead-backend';
export { createAutoCodecPolicy } from './codec/auto-codec-policy';
export type { AutoCodecPolicy, AutoCodecPolicyOptions } from './codec/auto-codec-policy';
export { encodeBase64, decodeBase64 } from './codec/base64';

// ── providers ────────────────────────────────────────────────────────────────
export type { Provider, ProviderRequest, ProviderStreamOptions, ProviderAttempt } from './providers/provider';
export { resolveEnvironment, timerSleep } from './providers/environment';
export type { ProviderEnvironment, SchedulingSleep } from './providers/environment';
export { mapProviderError, providerHttpError, parseRetryAfter } from './providers/provider-error';
export type { ProviderHttpErrorInput } from './providers/provider-error';
export { guardProviderParts, guardProviderStream } from './providers/guard-provider-stream';
export type { GuardProviderStreamOptions } from './providers/guard-provider-stream';
export { estimateUsage, estimateInputTokens, loadDefaultTokenCounter } from './providers/estimate-usage';
export type { TokenCounter, EstimateUsageInput } from './providers/estimate-usage';
export type { GuardedProviderOptions } from './providers/create-guarded-provider';
export type { FetchProviderOptions } from './providers/create-fetch-provider';
export { createSimulatedProvider, simulatedTokenCount } from './providers/simulated-provider';
export type { SimulatedProviderOptions, SimulatedFailure, SimulatedToolCall } from './providers/simulated-provider';
export { createOpenAIChatProvider } from './providers/openai-chat';
export type { OpenAIChatClient, OpenAIChatProviderOptions } from './providers/openai-chat';
export { createAnthropicProvider } from './providers/anthropic';
export type { AnthropicClient, AnthropicProviderOptions } from './providers/anthropic';
export { createGeminiProvider } from './providers/gemini';
export type { GeminiProviderOptions } from './providers/gemini';
export { createOllamaProvider } from './providers/ollama';
export type { OllamaProviderOptions } from './providers/ollama';
export { createOpenAIResponsesProvider } from './providers/openai-responses';
export type { OpenAIResponsesClient, OpenAIResponsesProviderOptions } from './providers/openai-responses';
export { createProviderRegistry, providerConfigFromEnv, providerRegistryConfigSchema, DEFAULT_MODELS } from './providers/provider-registry';
export type { ProviderRegistry, ProviderRegistryConfig } from './providers/provider-registry';
export { createFallbackProvider } from './providers/fallback';
export type { FallbackEntry, FallbackOptions } from './providers/fallback';
export { withRetry, retryDelayMs } from './providers/retry';
export type { RetryOptions } from './providers/retry';
export { withCircuitBreaker } from './providers/circuit-breaker';
export type { CircuitBreakerOptions, CircuitBreakerProvider, CircuitState } from './providers/circuit-breaker';
export { withRateLimit } from './providers/rate-limiter';
export type { RateLimitOptions } from './providers/rate-limiter';
export { withResponseCache, responseCacheKey, canonicalJson, createMemoryResponseCacheStore } from './providers/response-cache';
export type { ResponseCacheOptions, ResponseCacheStore } from './providers/response-cache';
export { withTimeouts } from './providers/stream-timeouts';
export type { StreamTimeoutOptions } from './providers/stream-timeouts';

// ── billing, metering & alerts ───────────────────────────────────────────────
export { calculateBill } from './billing/calculate-bill';
export type { Bill, BillingContext, ExactBill, MeasuredSla, MeteredUsage } from './billing/bill-types';
export { DEFAULT_PRICING } from './billing/default-pricing';
export { findPricing, parsePricingConfigs } from './billing/find-pricing';
export { PRICE_CATALOGUE, NO_PLATFORM_CHARGES, catalogueToPricing, findCataloguePricing } from './billing/catalogue/catalogue-pricing';
export type { PlatformCharges } from './billing/catalogue/catalogue-pricing';
export { CATALOGUE_SOURCE, CATALOGUE_SKIPPED } from './billing/catalogue/catalogue-source.generated';
export { matchesModel, findCatalogueModel, cataloguePriceAt } from './billing/catalogue/price-catalogue';
export type { CatalogueModel, CataloguePrice, CatalogueTokenPrices, CatalogueSource, ModelMatch } from './billing/catalogue/price-catalogue';
export { resolvePricing, unpricedPricing, unpricedModelError, unpricedModels, unpricedModelPolicySchema } from './billing/resolve-pricing';
export type { PriceBook, PricingResolution, UnpricedModelPolicy } from './billing/resolve-pricing';
export { billingProfileSchema, billingModelTermsSchema, applyBillingProfile, billingContextFor, carriesCustomerTerms, splitLegacyPricing } from './billing/billing-profile';
export type { BillingProfile, BillingProfileInput, BillingModelTerms } from './billing/billing-profile';
export { itemiseBill } from './billing/bill-line-items';
export type { BillLineItem, ItemisedBill, LineItemUnit } from './billing/bill-line-items';
export { buildInvoice, buildCreditNote } from './billing/invoice/build-invoice';
export type { Invoice, InvoiceLine, InvoiceTax, BuildInvoiceInput } from './billing/invoice/build-invoice';
export type { InvoiceTotals } from './billing/invoice/invoice-totals';
export { invoiceToCsv, invoiceToHtml } from './billing/invoice/render-invoice';
export { INVOICE_TOTAL_LABELS } from './billing/invoice/invoice-total-labels';
export { DecimalSum, sumDecimals } from './billing/decimal-sum';
export { roundRational } from './billing/round-rational';
export { rational, parseDecimal, formatFraction } from './billing/rational';
export type { Rational } from './billing/rational';
export { StreamMeter, meterStream, mergeUsage } from './billing/stream-meter';
export type { StreamMeterOptions, StreamLifecycle, MeterTokenCounter } from './billing/stream-meter';
export { billingIdempotencyKey, openBillingRecord, finalizeBillingRecord, costReceiptFromBill } from './billing/billing-record';
export type { OpenBillingRecordInput, FinalizeBillingRecordInput } from './billing/billing-record';
export { buildUsageReport, REPORT_COST_LINES } from './billing/usage-report';
export { usageTrend, usageProjection } from './billing/usage-trend';
export type { UsageReportTotals } from './billing/usage-trend';
export type { UsageReportOptions, ReportCostLine } from './billing/usage-report';
export { budgetSchema, evaluateBudget, priceRunningStream, budgetExceededError, budgetPeriodBounds } from './billing/budget';
export type { Budget, BudgetInput, BudgetStatus, BudgetEvaluation } from './billing/budget';
export { evaluateAlertRules, DEFAULT_ALERT_THRESHOLDS } from './billing/alert-rules';
export type { AlertMetrics, AlertThresholds, AlertRule, Alert } from './billing/alert-rules';

// ── compatible doors (OpenAI Chat Completions, Anthropic Messages) ──────────
export type { CompatRequest, CompatExtras, CompatToolChoice, CompatResponseFormat } from './compat/compat-request';
export { upstreamFamily, upstreamOptions } from './compat/upstream-options';
export type { UpstreamFamily } from './compat/upstream-options';
export { compatErrorInput } from './compat/compat-error';
export type { CompatErrorInput } from './compat/compat-error';
export { openAIError } from './compat/openai-error';
export type { OpenAIErrorBody } from './compat/openai-error';
export { anthropicError } from './compat/anthropic-error';
export type { AnthropicErrorBody } from './compat/anthropic-error';
export type { TwinAnswerInfo } from './compat/compat-stream-info';
export { CompatAnswer } from './compat/compat-answer';
export type { CompatAnswerBlock } from './compat/compat-answer';
export { openAIChatRequestSchema, openAIChatRequestToTwin } from './compat/openai-chat-request';
export type { OpenAIChatRequest } from './compat/openai-chat-request';
export type { OpenAIChatChunk, OpenAIChatChunkerOptions, OpenAIUsage } from './compat/openai-chat-chunks';
export { createOpenAIChatWriter } from './compat/openai-chat-writer';
export type { OpenAIChatWriterOptions } from './compat/openai-chat-writer';
export { openAIChatAnswer } from './compat/openai-chat-completion';
export type { OpenAIChatCompletion, OpenAIChatAnswer } from './compat/openai-chat-completion';
export { anthropicMessagesRequestSchema, anthropicMessagesRequestToTwin } from './compat/anthropic-messages-request';
export type { AnthropicMessagesRequest } from './compat/anthropic-messages-request';
export type { AnthropicUsage, AnthropicMessageEventsOptions } from './compat/anthropic-message-events';
export { createAnthropicMessagesWriter } from './compat/anthropic-messages-writer';
export type { AnthropicMessagesWriterOptions } from './compat/anthropic-messages-writer';
export { anthropicAnswer } from './compat/anthropic-message';
export type { AnthropicMessage, AnthropicAnswer } from './compat/anthropic-message';
// AI SDK interop: its UI message stream (what `useChat` reads) and request body.
export type { TwinMessageMetadata } from './compat/ui-message-chunks';
export { createUIMessageStreamWriter, UI_MESSAGE_STREAM_HEADERS } from './compat/ui-message-stream-writer';
export type { UIMessageStreamWriterOptions } from './compat/ui-message-stream-writer';
export { uiChatRequestSchema, uiMessageSchema, uiMessagesToMessages } from './compat/ui-message-request';
export type { UIChatRequest, UIMessage, UIMessagePart } from './compat/ui-message-request';
