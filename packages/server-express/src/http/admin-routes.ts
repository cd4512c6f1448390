import { TwinError } from '@twin/core';
import { sendJson } from './http-util';
import type { RouteContext } from './stream-routes';

function assertAdmin(ctx: RouteContext): void {
  if (ctx.auth.role !== 'admin') throw new TwinError('forbidden', 'This needs an admin API key.');
}

/** `GET /api/admin/routing`: the routing in force (no secrets: the file names variables only) and circuit states. */
export async function getRouting(ctx: RouteContext): Promise<void> {
  assertAdmin(ctx);
  const { router, routing } = ctx.service;
  sendJson(ctx.res, 200, {
    providers: router.providerNames,
    defaultProvider: router.defaultProvider,
    aliases: Object.fromEntries(router.aliases.map((a) => [a, router.resolve({ model: a }).chain])),
    circuits: router.circuits(),
    config: routing,
  });
}

/**
 * `POST /api/admin/routing/reload`: re-reads the routing config file. Streams already running keep
 * their providers; an invalid file answers 400 naming the path in the file and changes nothing.
 */
export async function reloadRouting(ctx: RouteContext): Promise<void> {
  assertAdmin(ctx);
  // An invalid file is `config_invalid` (400), its message naming the path in the file.
  ctx.service.reloadRouting();
  const { router } = ctx.service;
  sendJson(ctx.res, 200, { reloaded: true, providers: router.providerNames, aliases: router.aliases, defaultProvider: router.defaultProvider });
}
