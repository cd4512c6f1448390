import type { MessageBus } from './budget-broadcast';
import type { ClusterNode } from './cluster-node';

/**
 * Pub/sub over a cluster node's subscriber connection: handlers per channel, one SUBSCRIBE per
 * channel; ioredis subscribes again after a reconnect. Publishing while Redis is away resolves
 * `false` (the message is lost; receivers fall back on their own refresh).
 */
export function subscriberBus(node: Pick<ClusterNode, 'redis' | 'subscriber'>): MessageBus {
  const handlers = new Map<string, Set<(message: string) => void>>();
  node.subscriber.on('message', (channel: string, message: string) => {
    for (const handler of handlers.get(channel) ?? []) handler(message);
  });
  return {
    async subscribe(channel, handler) {
      let set = handlers.get(channel);
      if (!set) {
        handlers.set(channel, (set = new Set()));
        await node.subscriber.subscribe(channel);
      }
      set.add(handler);
      return () => void set.delete(handler);
    },
    publish: (channel, message) => node.redis.publish(channel, message).then(
      () => true,
      () => false,
    ),
  };
}
