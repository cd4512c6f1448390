import { afterEach, describe, expect, it } from 'vitest';
import type { WebhookDeliveryRow, WebhookDeliveryStore } from '../storage/webhook-delivery-store';
import { createWebhookDispatcher, webhookRetryDelayMs, type AlertMessage } from './webhook-dispatcher';
import { verifyWebhookSignature } from './webhook-signature';
import { startWebhookReceiver } from '../../test/webhook-receiver';

// The delivery log in memory, with the table's (alert, url) uniqueness.
function memoryStore(): WebhookDeliveryStore & { rows: Map<string, WebhookDeliveryRow> } {
  const rows = new Map<string, WebhookDeliveryRow>();
  return {
    rows,
    async insert(row) {
      if ([...rows.values()].some((r) => r.alertId === row.alertId && r.url === row.url)) return false;
      rows.set(row.id, { ...(row as WebhookDeliveryRow) });
      return true;
    },
    async update(id, patch) {
      rows.set(id, { ...rows.get(id)!, ...patch });
    },
    async pending() {
      return [...rows.values()].filter((r) => r.status === 'pending');
    },
    async list() {
      return [...rows.values()];
    },
  };
}

const alert: AlertMessage = { id: 'alert_1', tenantId: 'acme', kind: 'budget.month.80', severity: 'warning', message: 'Spend reached 80%.', createdAt: new Date(0) };

describe('createWebhookDispatcher', () => {
  const closers: Array<() => void> = [];
  afterEach(() => closers.splice(0).forEach((c) => c()));

  it('retries a failing receiver with backoff, delivers once with a valid signature and a stable delivery id', async () => {
    const hook = await startWebhookReceiver([500, 503]);
    closers.push(hook.close);
    let now = 1_700_000_000_000;
    const timers: Array<{ fn: () => void; ms: number }> = [];
    const store = memoryStore();
    const dispatcher = createWebhookDispatcher({
      store,
      endpoints: () => [{ url: hook.url, secret: 'whsec' }],
      env: { now: () => now, schedule: (fn, ms) => (timers.push({ fn, ms }), () => undefined) },
    });
    await dispatcher.dispatch(alert);
    await dispatcher.dispatch(alert); // the same alert again: no second delivery
    await dispatcher.idle();
    expect(hook.received).toHaveLength(1);
    expect(timers.map((t) => t.ms)).toEqual([1_000]);
    now += 1_000;
    timers.shift()!.fn();
    await dispatcher.idle();
    expect(timers.map((t) => t.ms)).toEqual([2_000]);
    now += 2_000;
    timers.shift()!.fn();
    await dispatcher.idle();
    expect(timers).toHaveLength(0);

    expect(hook.received).toHaveLength(3);
    const ids = new Set(hook.received.map((r) => r.headers['twin-delivery-id']));
    expect(ids.size).toBe(1);
    for (const r of hook.received) {
      expect(verifyWebhookSignature('whsec', r.headers['twin-signature'] as string, r.body, { nowSeconds: Math.floor(now / 1000) })).toBe(true);
      expect(JSON.parse(r.body)).toMatchObject({ type: 'alert', deliveryId: [...ids][0], alert: { id: 'alert_1', kind: 'budget.month.80' } });
    }
    const [row] = [...store.rows.values()];
    expect(row).toMatchObject({ status: 'delivered', attempts: 3, lastStatus: 200, nextAttemptAt: null });
  });

  it('gives up after maxAttempts and sends only the kinds an endpoint asked for', async () => {
    const hook = await startWebhookReceiver([500, 500, 500]);
    closers.push(hook.close);
    const timers: Array<() => void> = [];
    const store = memoryStore();
    const dispatcher = createWebhookDispatcher({
      store,
      maxAttempts: 2,
      endpoints: () => [
        { url: hook.url, secret: 's' },
        { url: `${hook.url}?latency-only`, secret: 's', kinds: ['latency'] },
      ],
      env: { schedule: (fn) => (timers.push(fn), () => undefined) },
    });
    await dispatcher.dispatch(alert);
    await dispatcher.idle();
    timers.shift()!();
    await dispatcher.idle();
    expect(timers).toHaveLength(0);
    expect([...store.rows.values()].map((r) => [r.status, r.attempts, r.lastError])).toEqual([['failed', 2, 'HTTP 500']]);
    expect(hook.received).toHaveLength(2);
  });

  it('backs off exponentially up to the cap', () => {
    expect([1, 2, 3, 9, 20].map((a) => webhookRetryDelayMs(a))).toEqual([1_000, 2_000, 4_000, 256_000, 300_000]);
  });
});
