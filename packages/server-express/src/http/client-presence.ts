import type { IncomingMessage, ServerResponse } from 'node:http';

/** The awaits of a request before its stream starts, after each of which a vanished client is noticed. */
export type RequestStage = 'auth' | 'body' | 'budget' | 'lookup' | 'start';

/**
 * Whether the client of a request is still there. Watched from the moment the request is routed, so
 * a socket closed while the handler awaits the database (a cold key, a budget verdict, a body) is
 * noticed after that await: the `close` event fires once, and a listener attached later (the SSE
 * connection's) would never hear it.
 */
export interface ClientPresence {
  readonly gone: boolean;
}

/** Starts watching `res` (and its socket) for the client going away, until `stop()`. */
export function watchClient(req: IncomingMessage, res: ServerResponse): ClientPresence & { stop(): void } {
  return new ClientWatch(req, res);
}

/**
 * The watch of one request, stopped once its handler returned: a stream started by then has its
 * connection's own listener, and a listener (with its closure) left on every open stream's
 * response for the stream's life cost some 200 bytes apiece.
 */
class ClientWatch implements ClientPresence {
  private closed = false;
  private readonly onClose = (): void => {
    this.closed = true;
  };

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
  ) {
    res.on('close', this.onClose);
  }

  get gone(): boolean {
    // A half-closed socket counts too: Node's HTTP server ends it at once (no half-open), so no
    // answer written to it could arrive.
    return this.closed || socketGone(this.req);
  }

  stop(): void {
    this.res.removeListener('close', this.onClose);
  }
}

/** The request's socket can no longer carry an answer. */
export function socketGone(req: IncomingMessage): boolean {
  const socket = req.socket;
  return !socket || socket.destroyed || !socket.writable;
}

/**
 * Test hooks of the request path: `afterAwait` runs after each await of a request (auth, body,
 * budget, lookup) and before the check for a vanished client, so a test can hold a request exactly
 * there (close its socket, then let it go on) instead of sleeping and hoping.
 */
export interface RequestHooks {
  afterAwait?: (stage: RequestStage, req: IncomingMessage) => Promise<void> | void;
}

/** Thrown at an await point when the client has gone: the request ends there, quietly. */
export class ClientGoneError extends Error {
  constructor(readonly stage: RequestStage) {
    super(`The client disconnected (noticed after ${stage}).`);
    this.name = 'ClientGoneError';
  }
}
