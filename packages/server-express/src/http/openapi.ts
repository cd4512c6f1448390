import {
  completeEventDataSchema,
  errorEventDataSchema,
  startEventDataSchema,
  streamBillingConfigSchema,
  streamBillingRecordSchema,
  streamMetricsSchema,
  streamRequestSchema,
  streamUsageReportSchema,
  uiChatRequestSchema,
} from '@twin/core';
import type { z } from 'zod';
import { compatOpenApiPaths, compatOpenApiSchemas } from './openapi-compat';
import { gatewayOpenApiPaths } from './openapi-gateway';
import { eventStreamContent, jsonRequestBody, jsonResponse, schemaOf, schemaRef, type Json } from './openapi-parts';
import { billingRecordsQuerySchema, billingReportQuerySchema, budgetInputSchema, metricsQuerySchema, streamQuerySchema } from './schemas';
import { STREAM_ID_PATTERN } from './stream-id';

/** Query parameters from the fields of a zod object (the API key parameter is documented once, as a security scheme). */
function queryParameters(schema: z.ZodObject): Json[] {
  const json = schemaOf(schema) as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(json.properties ?? {})
    .filter(([name]) => name !== 'api_key')
    .map(([name, s]) => ({ name, in: 'query', required: json.required?.includes(name) ?? false, schema: s }));
}

const errorResponse = jsonResponse(
  {
    type: 'object',
    properties: {
      error: {
        type: 'object',
        properties: {
          code: { type: 'string' },
          message: { type: 'string' },
          retryable: { type: 'boolean' },
          provider: { type: 'string' },
          retryAfterMs: { type: 'number' },
          details: { type: 'object', description: 'The field at fault (`field`), the value received (`received`), what is allowed (`allowed`); `{}` when there is nothing to add.' },
        },
        required: ['code', 'message', 'retryable', 'details'],
      },
      details: { description: 'Same as `error.details` (kept for clients of the first shape).' },
    },
  },
  'Structured error',
);

const sse = {
  description:
    'Server-Sent Events: `start`, `chunk`, `resync`, `error`, `complete` (each with `id: <seq>`), comment heartbeats. See docs/server.md.',
  headers: { 'X-Twin-Stream-Id': { schema: { type: 'string' }, description: 'The stream id (also in the `start` event).' } },
  content: eventStreamContent,
};

/** A required JSON body of a schema under `components.schemas`. */
const bodyOf = (name: string) => jsonRequestBody(schemaRef(name));
const errors = { '400': errorResponse, '401': errorResponse, '404': errorResponse, '405': errorResponse, '429': errorResponse, '503': errorResponse };
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: STREAM_ID_PATTERN.source } };
const tenantIdParam = { name: 'tenantId', in: 'query', required: false, schema: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' } };

/** One stable `operationId` per operation, so generated clients get readable method names. */
const OPERATION_IDS: Record<string, Record<string, string>> = {
  '/api/stream': { get: 'startOrResumeStream', post: 'startStream' },
  '/api/stream/active': { get: 'listActiveStreams' },
  '/api/stream/stats': { get: 'getStreamStats' },
  '/api/stream/{id}/metrics': { get: 'getStreamMetrics' },
  '/api/stream/{id}': { delete: 'closeStream' },
  '/api/billing/records': { get: 'listBillingRecords' },
  '/api/billing/report': { get: 'getUsageReport' },
  '/api/billing/configs': { get: 'listPricingConfigs', put: 'putPricingConfigs' },
  '/api/billing/budgets': { get: 'listBudgets', put: 'putBudget' },
  '/api/billing/alerts': { get: 'listBudgetAlerts' },
  '/health': { get: 'getHealth' },
  '/metrics': { get: 'getPrometheusMetrics' },
  '/openapi.json': { get: 'getOpenApiDocument' },
};

/** `get /api/admin/streams/{id}` → `getAdminStreamsById`, for operations not named above. */
function derivedOperationId(method: string, path: string): string {
  const words = path
    .split('/')
    .filter((s) => s !== '' && s !== 'api')
    .map((s) => (s.startsWith('{') ? `by-${s.slice(1, -1)}` : s))
    .flatMap((s) => s.split(/[^A-Za-z0-9]+/))
    .filter(Boolean);
  return method + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
}

function withOperationIds(paths: Record<string, Record<string, Json>>): Record<string, Record<string, Json>> {
  return Object.fromEntries(
    Object.entries(paths).map(([path, ops]) => [
      path,
      Object.fromEntries(Object.entries(ops).map(([method, op]) => [method, { operationId: OPERATION_IDS[path]?.[method] ?? derivedOperationId(method, path), ...op }])),
    ]),
  );
}

/** The OpenAPI 3.1 description of the router, generated from the same zod schemas that validate requests. */
export function buildOpenApiDocument(): Json {
  const gateway = gatewayOpenApiPaths(errorResponse);
  return {
    openapi: '3.1.0',
    info: { title: 'Twin reference server', version: '1', description: 'Stream LLM output over SSE with exact billing.' },
    // Relative: the paths are served next to this document, wherever the router is mounted.
    servers: [{ url: '.', description: 'Where this document is served (the router mount path).' }],
    components: {
      responses: gateway.responses,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'API key (`twin-server keys create`).' },
        apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
        apiKeyQuery: { type: 'apiKey', in: 'query', name: 'api_key', description: 'For EventSource, which cannot set headers.' },
      },
      schemas: {
        StreamRequest: schemaOf(streamRequestSchema),
        UIChatRequest: schemaOf(uiChatRequestSchema),
        StartEvent: schemaOf(startEventDataSchema),
        ErrorEvent: schemaOf(errorEventDataSchema),
        CompleteEvent: schemaOf(completeEventDataSchema),
        StreamMetrics: schemaOf(streamMetricsSchema),
        BillingRecord: schemaOf(streamBillingRecordSchema),
        BillingConfig: schemaOf(streamBillingConfigSchema),
        UsageReport: schemaOf(streamUsageReportSchema),
        Budget: schemaOf(budgetInputSchema),
        ...compatOpenApiSchemas(schemaOf),
      },
    },
    security: [{ bearer: [] }, { apiKeyHeader: [] }, { apiKeyQuery: [] }],
    paths: withOperationIds({
      '/api/stream': {
        get: {
          summary: 'Start a stream from query parameters, or resume one (`streamId` + `Last-Event-ID`).',
          parameters: [
            ...queryParameters(streamQuerySchema),
            { name: 'Last-Event-ID', in: 'header', required: false, schema: { type: 'string' } },
          ],
          responses: { '200': sse, ...errors },
        },
        post: {
          summary: 'Start a stream.',
          requestBody: bodyOf('StreamRequest'),
          responses: { '200': sse, ...errors, '402': errorResponse, '413': errorResponse },
        },
      },
      '/api/stream/active': { get: { summary: "The caller's running streams.", responses: { '200': jsonResponse({ type: 'object' }), ...errors } } },
      '/api/stream/stats': {
        get: { summary: 'Connections, throughput, latency percentiles, completion and error rates.', responses: { '200': jsonResponse({ type: 'object' }), ...errors } },
      },
      '/api/stream/{id}/metrics': {
        get: {
          summary: "One stream's metrics.",
          parameters: [idParam, ...queryParameters(metricsQuerySchema)],
          responses: { '200': jsonResponse({ type: 'object', properties: { metrics: schemaRef('StreamMetrics') } }), ...errors },
        },
      },
      '/api/stream/{id}': {
        delete: { summary: 'Close a stream: aborts the provider, bills what was used.', parameters: [idParam], responses: { '200': jsonResponse({ type: 'object' }), ...errors } },
      },
      '/api/chat': {
        post: {
          summary:
            "The AI SDK `useChat` door: its DefaultChatTransport's body in, its UI message stream out (`data:` JSON chunks, `data: [DONE]`, header `x-vercel-ai-ui-message-stream: v1`); Twin's usage and receipt ride in the message metadata.",
          requestBody: bodyOf('UIChatRequest'),
          responses: { '200': { description: 'UI message stream', content: eventStreamContent }, ...errors, '402': errorResponse },
        },
      },
      '/api/chat/{id}/stream': {
        get: {
          summary: "Resume a chat's answer still in flight (`useChat({ resume: true })`), replayed from its start; 204 when none is running.",
          parameters: [idParam],
          responses: { '200': { description: 'UI message stream', content: eventStreamContent }, '204': { description: 'Nothing in flight.' }, ...errors },
        },
      },
      '/api/billing/records': {
        get: {
          summary: "The caller's billing records, newest first.",
          parameters: queryParameters(billingRecordsQuerySchema),
          responses: { '200': jsonResponse({ type: 'object', properties: { records: { type: 'array', items: schemaRef('BillingRecord') } } }), ...errors },
        },
      },
      '/api/billing/report': {
        get: {
          summary:
            'Final records whose stream ended in [from, to), in one currency (`currency`, or the only one of the records: 400 when they span several), summed per group and in total; trend against the previous period, projection to the end of the period.',
          parameters: queryParameters(billingReportQuerySchema),
          responses: { '200': jsonResponse(schemaRef('UsageReport')), ...errors },
        },
      },
      '/api/billing/configs': {
        get: { summary: 'Pricing configs in force.', responses: { '200': jsonResponse({ type: 'object' }), ...errors } },
        put: {
          summary: 'Store pricing configs (admin keys).',
          requestBody: jsonRequestBody({ oneOf: [schemaRef('BillingConfig'), { type: 'array', items: schemaRef('BillingConfig') }] }),
          responses: { '200': jsonResponse({ type: 'object' }), ...errors, '403': errorResponse },
        },
      },
      '/api/billing/budgets': {
        get: { summary: "The caller's budgets (admin keys: `?tenantId=` another tenant's).", parameters: [tenantIdParam], responses: { '200': jsonResponse({ type: 'object' }), ...errors } },
        put: {
          summary: 'Set a budget for a period (admin keys: `?tenantId=` for another tenant).',
          parameters: [tenantIdParam],
          requestBody: bodyOf('Budget'),
          responses: { '200': jsonResponse({ type: 'object' }), ...errors },
        },
      },
      '/api/billing/alerts': { get: { summary: 'Budget alerts.', responses: { '200': jsonResponse({ type: 'object' }), ...errors } } },
      '/api/admin/whoami': { get: { summary: 'The admin key the console signed in with (403 for member keys).', responses: { '200': jsonResponse({ type: 'object' }), ...errors, '403': errorResponse } } },
      '/api/admin/live': {
        get: {
          summary: "SSE: one `live` event per interval with every running stream of the key's tenant (admin keys).",
          parameters: [{ name: 'intervalMs', in: 'query', required: false, schema: { type: 'integer', minimum: 250, maximum: 10000 } }],
          responses: { '200': { description: 'SSE', content: eventStreamContent }, ...errors, '403': errorResponse },
        },
      },
      '/api/admin/streams/{id}': {
        get: { summary: 'One stream: bill, connection, metrics, audit timeline and replayed text (admin keys).', parameters: [idParam], responses: { '200': jsonResponse({ type: 'object' }), ...errors, '403': errorResponse } },
      },
      '/api/admin/traffic': {
        get: {
          summary: 'Throughput, latency, rates and network signals of the tenant, bucketed over a window (admin keys).',
          parameters: [
            { name: 'window', in: 'query', required: false, schema: { type: 'string', enum: ['5m', '15m', '1h', '6h', '24h'] } },
            { name: 'buckets', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 240 } },
          ],
          responses: { '200': jsonResponse({ type: 'object' }), ...errors, '403': errorResponse },
        },
      },
      '/api/admin/spend': {
        get: {
          summary: "The tenant's spend per hour or day (exact decimal strings), for the trend chart (admin keys).",
          parameters: ['from', 'to', 'bucket', 'currency'].map((name) => ({ name, in: 'query', required: name === 'from' || name === 'to', schema: { type: 'string' } })),
          responses: { '200': jsonResponse({ type: 'object' }), ...errors, '403': errorResponse },
        },
      },
      '/api/admin/keys': { get: { summary: "The tenant's API keys (display prefix only; admin keys).", responses: { '200': jsonResponse({ type: 'object' }), ...errors, '403': errorResponse } } },
      '/health': { get: { summary: 'Liveness and database reachability.', security: [], responses: { '200': jsonResponse({ type: 'object' }), '503': jsonResponse({ type: 'object' }) } } },
      '/metrics': { get: { summary: 'Prometheus text format.', security: [], responses: { '200': { description: 'OK', content: { 'text/plain': { schema: { type: 'string' } } } } } } },
      '/openapi.json': { get: { summary: 'This document.', security: [], responses: { '200': jsonResponse({ type: 'object' }) } } },
      ...gateway.paths,
      ...compatOpenApiPaths(),
    }),
  };
}
