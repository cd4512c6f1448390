import { and, eq, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { randomId } from '../auth/api-key';
import type { StreamStatsWindow } from '../observability/stream-stats';
import type { RoutingConfig } from '../routing/routing-config';
import { streamBillingRecords } from '../storage/schema';
import type { TwinStore } from '../storage/twin-store';
import { billedAt } from '../storage/usage-report';
import { createWebhookDeliveryStore, type WebhookDeliveryStore } from '../storage/webhook-delivery-store';
import { createOpsMonitor, type OpsMonitor } from './ops-monitor';
import { createWebhookDispatcher, type AlertMessage, type WebhookDispatcher, type WebhookDispatcherEnv, type WebhookEndpoint } from './webhook-dispatcher';

/** Alerts: stored, sent to the configured webhooks, and the operational checks that raise them. */
export interface AlertCenter {
  readonly deliveries: WebhookDeliveryStore;
  readonly dispatcher: WebhookDispatcher;
  readonly monitor: OpsMonitor;
  /** Stores a new alert and sends it. */
  raise(alert: Omit<AlertMessage, 'id' | 'createdAt'>): Promise<AlertMessage>;
  /** Sends an alert already stored (budget alerts). */
  send(alert: AlertMessage): void;
  stop(): void;
}

export interface AlertCenterOptions {
  store: TwinStore;
  stats: StreamStatsWindow;
  logger: Logger;
  routing: () => RoutingConfig;
  secrets: Record<string, string | undefined>;
  env?: Partial<WebhookDispatcherEnv>;
  /** Run the operational checks on a timer (default true; tests call `monitor.check()`). */
  schedule?: boolean;
}

export function createAlertCenter(options: AlertCenterOptions): AlertCenter {
  const { store, logger } = options;
  const deliveries = createWebhookDeliveryStore(store.db);
  const endpoints = (): WebhookEndpoint[] =>
    (options.routing().alerts?.webhooks ?? []).flatMap((w) => {
      const secret = options.secrets[w.secretEnv];
      return secret ? [{ url: w.url, secret, ...(w.kinds ? { kinds: w.kinds } : {}) }] : [];
    });
  const dispatcher = createWebhookDispatcher({
    store: deliveries,
    endpoints,
    ...(options.env ? { env: options.env } : {}),
    onError: (err) => logger.warn({ err }, 'webhook delivery bookkeeping failed'),
  });
  const now = options.env?.now ?? Date.now;
  const send = (alert: AlertMessage) => {
    dispatcher.dispatch(alert).catch((err: unknown) => logger.warn({ err, alert: alert.id }, 'recording a webhook delivery failed'));
  };
  const raise = async (input: Omit<AlertMessage, 'id' | 'createdAt'>): Promise<AlertMessage> => {
    const alert: AlertMessage = { ...input, id: randomId('alert', 9), createdAt: new Date(now()) };
    await store.insertAlert({ ...alert, data: alert.data ?? {} });
    logger.warn({ kind: alert.kind, tenantId: alert.tenantId }, alert.message);
    // The deliveries are recorded before this returns; their attempts run in the background.
    await dispatcher.dispatch(alert).catch((err: unknown) => logger.warn({ err, alert: alert.id }, 'recording a webhook delivery failed'));
    return alert;
  };
  const monitor = createOpsMonitor({
    stats: options.stats,
    now,
    raise: async (a) => void (await raise(a)),
    thresholds: () => {
      const a = options.routing().alerts;
      return { errorRatePercent: a?.errorRatePercent ?? 5, meanLatencyMs: a?.meanLatencyMs ?? 5_000, dropsPerHour: a?.dropsPerHour ?? 100, costPerHour: a?.costPerHour };
    },
    async spendAbove(since, amount, currency) {
      const rows = await store.db
        .select({ spent: sql<string>`coalesce(sum(${streamBillingRecords.total}), 0)::text`, above: sql<boolean>`coalesce(sum(${streamBillingRecords.total}), 0) > ${amount}::numeric` })
        .from(streamBillingRecords)
        .where(and(eq(streamBillingRecords.state, 'final'), eq(streamBillingRecords.currency, currency), sql`${billedAt} >= ${since.toISOString()}::timestamptz`));
      return { above: rows[0]?.above ?? false, spent: rows[0]?.spent ?? '0' };
    },
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = () => {
    monitor
      .check()
      .catch((err: unknown) => logger.warn({ err }, 'operational alert check failed'))
      .finally(() => {
        if (timer !== undefined) arm();
      });
  };
  const arm = () => {
    timer = setTimeout(tick, options.routing().alerts?.checkIntervalMs ?? 60_000);
    timer.unref();
  };
  if (options.schedule !== false) arm();
  dispatcher.resume().catch((err: unknown) => logger.warn({ err }, 'resuming pending webhook deliveries failed'));
  return {
    deliveries,
    dispatcher,
    monitor,
    raise,
    send,
    stop() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      dispatcher.stop();
    },
  };
}
