import { TwinError, upstreamFamily, upstreamOptions, type CompatRequest } from '@twin/core';
import type { WireFormat } from '../../stream/wire-format';
import { startValidatedStream, type RouteContext } from '../stream-routes';
import { resolveCompatModel } from './compat-model';

/**
 * Starts a Twin stream for a request that came through a compatible door, through the same start
 * as `/api/stream` (model routing and allow-lists, pricing, capacity, budgets, rate limits, client
 * presence): the same hub, session, metering, billing and audit; only the connection's wire format
 * differs. `format` gets the stream id (the answer's `chatcmpl-…` / `msg_…` id is built from it).
 */
export async function startCompatStream(ctx: RouteContext, request: CompatRequest, format: (streamId: string) => WireFormat): Promise<void> {
  const purpose = purposeOf(ctx);
  // An alias of the routing config resolves there (with its fallback chain); any other name the
  // OpenAI way (`provider/model`, a provider, a model one provider serves), else 404 on `model`.
  const alias = ctx.service.router.aliases.includes(request.model);
  const resolved = alias ? undefined : resolveCompatModel(ctx.service, request.model);
  const providerOptions = resolved ? upstreamOptions(upstreamFamily(resolved.provider.name), request.extras) : undefined;
  await startValidatedStream(
    ctx,
    {
      ...(resolved ? { provider: resolved.provider.name, model: resolved.model } : { model: request.model }),
      messages: request.messages,
      ...(request.tools ? { tools: request.tools } : {}),
      ...(request.maxTokens !== undefined ? { maxTokens: request.maxTokens } : {}),
      ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
      ...(request.stop ? { stop: request.stop } : {}),
      ...(providerOptions ? { providerOptions } : {}),
      ...(purpose ? { options: { purpose } } : {}),
      ...(request.metadata ? { metadata: request.metadata } : {}),
      ...(request.user ? { user: request.user } : {}),
    },
    format,
    // A JSON answer is small and written once: transport compression is for streams.
    request.stream ? undefined : 'identity',
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
