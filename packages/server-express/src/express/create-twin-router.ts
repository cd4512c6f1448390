import type { RequestHandler } from 'express';
import { createTwinHandler } from '../http/twin-handler';
import { createTwinService, type TwinService } from '../twin-service';
import type { TwinServiceOptions } from '../twin-service-options';

/** An Express router (4 or 5) serving Twin; `service` gives access to shutdown, reconcile and the store. */
export type TwinRouter = RequestHandler & { readonly service: TwinService };

/**
 * The Express adapter: a thin shim over the framework-free handler. It is a plain middleware, so it
 * mounts the same way in Express 4 and 5 (`app.use(router)` or `app.use('/twin', router)`); it reads
 * JSON bodies itself and also accepts a body already parsed by `express.json()`.
 *
 * Pass a built service (`createTwinService`) or the options to build one (then it returns a promise).
 */
export function createTwinRouter(options: { service: TwinService }): TwinRouter;
export function createTwinRouter(options: TwinServiceOptions): Promise<TwinRouter>;
export function createTwinRouter(options: { service: TwinService } | TwinServiceOptions): TwinRouter | Promise<TwinRouter> {
  if ('service' in options) return wrap(options.service);
  return createTwinService(options).then(wrap);
}

function wrap(service: TwinService): TwinRouter {
  const handler = createTwinHandler(service);
  const router: RequestHandler = (req, res, next) => handler(req, res, next);
  return Object.assign(router, { service });
}
