import { TwinError, upstreamFamily, upstreamOptions, type CompatRequest } from '@twin/core';
import { randomId } from '../../auth/api-key';
import type { WireFormat } from '../../stream/wire-format';
import { negotiateEncoding } from '../negotiate-encoding';
import type { RouteContext } from '../stream-routes';
import { resolveCompatModel } from './compat-model';

/**
 * Starts a Twin stream for a request that came through a compatible door: the same checks as
 * `POST /api/stream` (capacity and per-key limits, budgets), the same hub, session, metering,
 * billing and audit; only the connection's wire format differs. `format` gets the stream id (the
 * answer's `chatcmpl-…` / `msg_…` id is built from it).
 */
export async function startCompatStream(ctx: RouteContext, request: CompatRequest, format: (streamId: string) => WireFormat): Promise<void> {
  const purpose = purposeOf(ctx);
  const { provider, model } = resolveCompatModel(ctx.service, request.model);
  const providerOptions = upstreamOptions(upstreamFamily(provider.name), request.extras);
  ctx.service.hub.checkCapacity(ctx.auth);
  await ctx.service.budgets.check(ctx.auth.tenantId);
  const streamId = randomId('str', 16);
  ctx.service.hub.start(
    ctx.auth,
    {
      id: streamId,
      provider,
      model,
      request: {
        model,
        messages: request.messages,
        ...(request.tools ? { tools: request.tools } : {}),
        ...(request.maxTokens !== undefined ? { maxTokens: request.maxTokens } : {}),
        ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
        ...(request.stop ? { stop: request.stop } : {}),
        ...(providerOptions ? { providerOptions } : {}),
      },
      ...(purpose ? { purpose } : {}),
      ...(request.metadata ? { metadata: request.metadata } : {}),
      // A JSON answer is small and written once: transport compression is for streams.
      encoding: request.stream ? negotiateEncoding(ctx.req.headers['accept-encoding']) : 'identity',
      format: format(streamId),
    },
    ctx.req,
    ctx.res,
  );
}

/**
 * `X-Twin-Purpose`: the label billing reports group by (`options.purpose` of a native request). A
 * header, because the OpenAI and Anthropic bodies have no place for it and every SDK can send one
 * (`defaultHeaders`, `headers`).
 */
function purposeOf(ctx: RouteContext): string | undefined {
  const value = ctx.req.headers['x-twin-purpose'];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length < 1 || value.length > 64) {
    throw new TwinError('invalid_request', 'X-Twin-Purpose must be one header of 1 to 64 characters.', { details: { field: 'X-Twin-Purpose' } });
  }
  return value;
}
