import { randomId } from '../auth/api-key';
import type { WebhookDeliveryRow, WebhookDeliveryStore } from '../storage/webhook-delivery-store';
import { WEBHOOK_SIGNATURE_HEADER, signWebhook } from './webhook-signature';

/** An alert as it is sent (and stored in `stream_alerts`). */
export interface AlertMessage {
  id: string;
  /** The tenant it concerns; `*` for the whole server. */
  tenantId: string;
  /** `budget.month.80`, `error_rate`, `latency`, `drops`, `cost.hour` ... */
  kind: string;
  severity: 'warning' | 'critical';
  message: string;
  data?: Record<string, unknown>;
  createdAt: Date;
}

/** One receiving endpoint. */
export interface WebhookEndpoint {
  url: string;
  /** The HMAC secret (from the environment variable the config names). */
  secret: string;
  /** Alert kind prefixes to send (default all). */
  kinds?: readonly string[];
}

/** What the dispatcher needs from its environment (injected in tests). */
export interface WebhookDispatcherEnv {
  fetch: typeof globalThis.fetch;
  now: () => number;
  /** Runs `fn` after `ms`; returns a cancel function. */
  schedule: (fn: () => void, ms: number) => () => void;
}

export interface WebhookDispatcherOptions {
  store: WebhookDeliveryStore;
  endpoints: () => readonly WebhookEndpoint[];
  /** Attempts before a delivery is given up (`failed`). Default 8. */
  maxAttempts?: number;
  /** First retry delay; doubles per attempt, capped at `maxDelayMs`. Default 1 s / 5 min. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** One attempt's time limit. Default 10 s. */
  timeoutMs?: number;
  env?: Partial<WebhookDispatcherEnv>;
  onError?: (error: unknown) => void;
}

export interface WebhookDispatcher {
  /** Records a delivery per matching endpoint and sends it (in the background). */
  dispatch(alert: AlertMessage): Promise<void>;
  /** Picks up deliveries a previous process left pending. */
  resume(): Promise<void>;
  /** Waits for attempts in flight (tests, shutdown). */
  idle(): Promise<void>;
  stop(): void;
}

/** Retry delay after `attempts` failed attempts: exponential, capped. */
export function webhookRetryDelayMs(attempts: number, baseDelayMs = 1_000, maxDelayMs = 300_000): number {
  return Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, attempts - 1));
}

/**
 * Delivers alerts to webhooks: each (alert, endpoint) is one delivery row with a stable id, sent
 * as `Twin-Delivery-Id` on every attempt (receivers drop repeats), signed with HMAC-SHA256
 * (`Twin-Signature`), retried with exponential backoff on a non-2xx answer or a network error until
 * `maxAttempts`, and never sent again once a 2xx came back. The log is the table.
 */
export function createWebhookDispatcher(options: WebhookDispatcherOptions): WebhookDispatcher {
  const env: WebhookDispatcherEnv = {
    fetch: options.env?.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    now: options.env?.now ?? Date.now,
    schedule:
      options.env?.schedule ??
      ((fn, ms) => {
        const t = setTimeout(fn, ms);
        t.unref();
        return () => clearTimeout(t);
      }),
  };
  const maxAttempts = options.maxAttempts ?? 8;
  const timers = new Map<string, () => void>();
  const inFlight = new Set<Promise<void>>();
  const secrets = (url: string) => options.endpoints().find((e) => e.url === url)?.secret;
  let stopped = false;

  const track = (p: Promise<void>) => {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };

  async function attempt(row: WebhookDeliveryRow): Promise<void> {
    timers.delete(row.id);
    const secret = secrets(row.url);
    const attempts = row.attempts + 1;
    if (secret === undefined) {
      await options.store.update(row.id, { status: 'failed', attempts: row.attempts, lastError: 'endpoint no longer configured', nextAttemptAt: null });
      return;
    }
    const body = JSON.stringify(row.payload);
    let status: number | undefined;
    let error: string | undefined;
    try {
      const res = await env.fetch(row.url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'twin-server-webhooks',
          'Twin-Delivery-Id': row.id,
          'Twin-Event': row.kind,
          [WEBHOOK_SIGNATURE_HEADER]: signWebhook(secret, Math.floor(env.now() / 1000), body),
        },
        body,
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      status = res.status;
      await res.arrayBuffer().catch(() => undefined);
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    const ok = status !== undefined && status >= 200 && status < 300;
    if (ok) {
      await options.store.update(row.id, { status: 'delivered', attempts, lastStatus: status, lastError: null, nextAttemptAt: null, deliveredAt: new Date(env.now()) });
      return;
    }
    const lastError = error ?? `HTTP ${status}`;
    if (attempts >= maxAttempts || stopped) {
      await options.store.update(row.id, { status: attempts >= maxAttempts ? 'failed' : 'pending', attempts, lastStatus: status ?? null, lastError, nextAttemptAt: null });
      return;
    }
    const delay = webhookRetryDelayMs(attempts, options.baseDelayMs, options.maxDelayMs);
    await options.store.update(row.id, { attempts, lastStatus: status ?? null, lastError, nextAttemptAt: new Date(env.now() + delay) });
    later({ ...row, attempts }, delay);
  }

  function later(row: WebhookDeliveryRow, ms: number): void {
    if (stopped) return;
    timers.set(
      row.id,
      env.schedule(() => track(attempt(row).catch((e: unknown) => options.onError?.(e))), ms),
    );
  }

  return {
    async dispatch(alert) {
      const payload = {
        type: 'alert',
        alert: { id: alert.id, tenantId: alert.tenantId, kind: alert.kind, severity: alert.severity, message: alert.message, data: alert.data ?? {}, createdAt: alert.createdAt.toISOString() },
      };
      for (const endpoint of options.endpoints()) {
        if (endpoint.kinds && !endpoint.kinds.some((k) => alert.kind === k || alert.kind.startsWith(`${k}.`))) continue;
        const id = randomId('whd', 12);
        const row: WebhookDeliveryRow = {
          id,
          alertId: alert.id,
          tenantId: alert.tenantId,
          kind: alert.kind,
          url: endpoint.url,
          payload: { deliveryId: id, ...payload },
          status: 'pending',
          attempts: 0,
          lastStatus: null,
          lastError: null,
          createdAt: new Date(env.now()),
          nextAttemptAt: new Date(env.now()),
          deliveredAt: null,
        };
        // One row per (alert, endpoint): a second dispatch of the same alert sends nothing.
        if (!(await options.store.insert(row))) continue;
        track(attempt(row).catch((e: unknown) => options.onError?.(e)));
      }
    },
    async resume() {
      for (const row of await options.store.pending()) {
        const due = row.nextAttemptAt ? row.nextAttemptAt.getTime() - env.now() : 0;
        later(row, Math.max(0, due));
      }
    },
    async idle() {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
    stop() {
      stopped = true;
      for (const cancel of timers.values()) cancel();
      timers.clear();
    },
  };
}
