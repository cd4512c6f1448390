import type { Logger } from 'pino';
import type { ClusterNode } from './cluster-node';

type Handler = (message: string) => void;

/**
 * Pub/sub of one instance over its subscriber connection: many handlers per channel, one Redis
 * SUBSCRIBE per channel (reference-counted), messages dispatched by channel. ioredis re-subscribes
 * after a reconnect by itself; while Redis is away `subscribe` rejects and callers degrade.
 */
export class ClusterBus {
  private readonly handlers = new Map<string, Set<Handler>>();
  private readonly confirmed = new Map<string, Promise<unknown>>();

  constructor(
    private readonly node: ClusterNode,
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

  /** Subscribes `handler`; resolves once Redis confirmed (messages published after that reach it). */
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
      await this.confirmed.get(channel);
    } catch (error) {
      unsubscribe();
      throw error;
    }
    return unsubscribe;
  }

  /** Publishes on the command connection; false when Redis is away (the message is lost). */
  async publish(channel: string, message: string): Promise<boolean> {
    try {
      await this.node.redis.publish(channel, message);
      return true;
    } catch {
      return false;
    }
  }
}
