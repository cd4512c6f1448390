import { randomBytes } from 'node:crypto';
import { safeParseJSON } from '@twin/core';
import type { Logger } from 'pino';
import type { ClusterBus } from './cluster-bus';
import type { ClusterNode } from './cluster-node';

/** A control message to the instance that runs a stream. */
export type ControlMessage =
  /** Another instance now serves this stream's client (`conn` names that connection). */
  | { op: 'attach'; stream: string; conn: string }
  /** That connection went away: the owner's detach grace starts. */
  | { op: 'detach'; stream: string; conn: string; graceMs: number }
  /** Bytes and events that connection wrote (metered and billed by the owner). */
  | { op: 'wrote'; stream: string; bytes: number; events: number }
  /** DELETE through another instance: abort, then answer once the bill is final. */
  | { op: 'abort'; stream: string; tenant: string }
  /** The admin console's stream detail through another instance: the stream's status, live row and metrics. */
  | { op: 'describe'; stream: string; tenant: string };

interface Envelope {
  msg: ControlMessage;
  /** Where the answer goes (requests only). */
  reply?: { instance: string; id: string };
}

/**
 * Instance-to-instance control over pub/sub: each instance listens on `<prefix>ctl:<instanceId>`
 * and gets answers on `<prefix>reply:<instanceId>`. Delivery takes one Redis hop (sub-millisecond on
 * a LAN); a message to an instance that is gone is simply lost, so requests time out.
 */
export class ClusterControl {
  private readonly waiting = new Map<string, (answer: unknown) => void>();

  constructor(
    private readonly node: ClusterNode,
    private readonly bus: ClusterBus,
    private readonly logger: Logger,
  ) {}

  /** Starts listening; `handle` answers requests (its result is the reply) and gets one-way messages. */
  async listen(handle: (msg: ControlMessage) => Promise<unknown> | unknown): Promise<void> {
    await this.bus.subscribe(this.node.key('ctl', this.node.instanceId), (text) => {
      const parsed = safeParseJSON(text);
      if (!parsed.success) return;
      const { msg, reply } = parsed.value as Envelope;
      void Promise.resolve()
        .then(() => handle(msg))
        .then(
          (answer) => (reply ? this.bus.publish(this.node.key('reply', reply.instance), JSON.stringify({ id: reply.id, answer })) : undefined),
          (error: unknown) => {
            this.logger.warn({ err: error, op: msg.op }, 'cluster control message failed');
            return reply ? this.bus.publish(this.node.key('reply', reply.instance), JSON.stringify({ id: reply.id, answer: { error: String((error as Error).message) } })) : undefined;
          },
        );
    });
    await this.bus.subscribe(this.node.key('reply', this.node.instanceId), (text) => {
      const parsed = safeParseJSON(text);
      if (!parsed.success) return;
      const { id, answer } = parsed.value as { id: string; answer: unknown };
      this.waiting.get(id)?.(answer);
    });
  }

  /** One-way message; false when it could not be sent (Redis away). */
  send(instance: string, msg: ControlMessage): Promise<boolean> {
    if (instance === this.node.instanceId) return Promise.resolve(false);
    return this.bus.publish(this.node.key('ctl', instance), JSON.stringify({ msg } satisfies Envelope));
  }

  /** A request and its answer; undefined when nobody answered within `timeoutMs`. */
  async request(instance: string, msg: ControlMessage, timeoutMs: number): Promise<unknown> {
    const id = randomBytes(8).toString('hex');
    const answer = new Promise<unknown>((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve(undefined);
      }, timeoutMs);
      timer.unref();
      this.waiting.set(id, (value) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(value);
      });
    });
    const sent = await this.bus.publish(this.node.key('ctl', instance), JSON.stringify({ msg, reply: { instance: this.node.instanceId, id } } satisfies Envelope));
    if (!sent) {
      this.waiting.get(id)?.(undefined);
    }
    return answer;
  }
}
