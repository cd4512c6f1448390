import { Gauge, type Registry } from 'prom-client';
import type { StreamEventLog } from './stream-event-log';

/**
 * The Redis cost of the cluster's event log in `/metrics`: pipelines (round trips), commands and
 * events sent, and pipelines that failed (Redis away). Round trips per event is
 * `twin_cluster_log_round_trips / twin_cluster_log_events`.
 */
export function registerClusterLogMetrics(registry: Registry, log: StreamEventLog): void {
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  gauge('twin_cluster_log_round_trips', 'Pipelines sent to Redis by the stream event log (one per event-loop turn with events).', () => log.counters.roundTrips);
  gauge('twin_cluster_log_commands', 'Redis commands in those pipelines.', () => log.counters.commands);
  gauge('twin_cluster_log_events', 'Stream events written to the Redis event log.', () => log.counters.events);
  gauge('twin_cluster_log_failed_pipelines', 'Event-log pipelines that failed (Redis away): their events are served from their instance only.', () => log.counters.failedPipelines);
}
