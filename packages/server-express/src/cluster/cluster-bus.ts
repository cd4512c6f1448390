import type { Logger } from 'pino';
import type { ClusterNode } from './cluster-node';

type Handler = (message: string) => void;

/** Pub/sub between instances: what the cluster's parts (control, relays, budget verdicts, live board) need of it. */
export interface MessageBus {
  /** Subscribes `handler`; resolves once Redis confirmed (messages published after that reach it), with its unsubscribe. */
  subscribe(channel: string, handler: Handler): Promise<() => void>;
  /** Publishes; false when Redis is away (the message is lost; receivers fall back on their own refresh). */
  publish(channel: string, message: string): Promise<boolean>;
}

/**
 * The one pub/sub of an instance, over its subscriber connection: many handlers per channel, one
 * Redis SUBSCRIBE per channel (reference-counted: UNSUBSCRIBE when its last handler goes), messages
 * dispatched by channel, a handler that throws logged without stopping the others. ioredis
 * re-subscribes after a reconnect by itself; while Redis is away `subscribe` rejects and callers
 * degrade. One per instance: every part shares it (a second one would dispatch twice and could
 * unsubscribe a channel the other still uses).
 */
export class ClusterBus implements MessageBus {
  private readonly handlers = new Map<string, Set<Handler>>();
  private readonly confirmed = new Map<string, Promise<unknown>>();

  constructor(
    private readonly node: Pick<ClusterNode, 'redis' | 'subscriber'>,
    private readonly logger: Logger,
  ) {
    node.subscriber.on('message', (channel: string, message: string) => {
      for (const handler of this.handlers.get(channel) ?? []) {
        try {
          handler(message);
        } catch (error) {
          this.logger.error({ err: error, channel }, 'cluster message handler failed');
        }
      }
    });
  }

  async subscribe(channel: string, handler: Handler): Promise<() => void> {
    let set = this.handlers.get(channel);
    const first = !set;
    if (!set) this.handlers.set(channel, (set = new Set()));
    set.add(handler);
    const unsubscribe = () => {
      const current = this.handlers.get(channel);
      if (!current?.delete(handler) || current.size > 0) return;
      this.handlers.delete(channel);
      this.confirmed.delete(channel);
      this.node.subscriber.unsubscribe(channel).catch(() => {});
    };
    if (first) this.confirmed.set(channel, this.node.subscriber.subscribe(channel));
    try {
      // A second handler of a channel waits for the first one's SUBSCRIBE too.
      await this.confirmed.get(channel);
    } catch (error) {
      unsubscribe();
      throw error;
    }
    return unsubscribe;
  }

  /** Publishes on the command connection. */
  async publish(channel: string, message: string): Promise<boolean> {
    try {
      await this.node.redis.publish(channel, message);
      return true;
    } catch {
      return false;
    }
  }
}
