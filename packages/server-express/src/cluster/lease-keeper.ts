import type { Logger } from 'pino';
import type { ClaimedLease, InstanceLeaseStore } from '../storage/instance-lease-store';

/** What {@link createLeaseKeeper} takes. */
export interface LeaseKeeperOptions {
  leases: InstanceLeaseStore;
  instanceId: string;
  /** How long a lease lasts without a heartbeat (default 15 s). A dead instance is reconciled within about `leaseMs + heartbeatMs`. */
  leaseMs?: number;
  /** Heartbeat and claim check interval (default a third of the lease). */
  heartbeatMs?: number;
  /** How long a claimer has to finish a dead instance's reconcile before another survivor may take it over (default 60 s). */
  claimMs?: number;
  /** Finalizes the open records `lease.instanceId` opened before `lease.expiredAt`; resolves with how many it finalized. */
  reconcile(lease: ClaimedLease): Promise<number>;
  /**
   * The lease was claimed under this running instance: it missed heartbeats for a whole lease (a
   * database outage, a stopped process) and a survivor reconciled its open records. The instance
   * re-registers; its running streams were billed by the survivor (their own ending finalizes
   * nothing: a record is finalized once).
   */
  onFenced?: () => void;
  logger: Logger;
  /** Run the heartbeat on a timer (default true; tests call `tick()` themselves). */
  schedule?: boolean;
}

export interface LeaseKeeper {
  /** Registers the lease and starts the heartbeat. */
  start(): Promise<void>;
  /** One heartbeat: renew this lease, then claim and reconcile every expired one. Resolves with the claims it reconciled. */
  tick(): Promise<ClaimedLease[]>;
  /** SIGTERM: the lease says `draining` from the next heartbeat on. */
  drain(): void;
  /** Stops the heartbeat and releases the lease (`openRecords`: what this instance leaves open, normally 0). */
  stop(openRecords: number): Promise<void>;
}

/**
 * Keeps this instance's lease alive and reconciles dead instances: each heartbeat renews the lease,
 * then claims every lease that expired (exactly one survivor gets each, see the lease store) and
 * runs the existing reconcile of open billing records for it. Billing stays exactly-once even when
 * a claim is taken over or an instance comes back: a record is finalized by `UPDATE ... WHERE state
 * = 'open'`, once.
 */
export function createLeaseKeeper(options: LeaseKeeperOptions): LeaseKeeper {
  const leaseMs = options.leaseMs ?? 15_000;
  const heartbeatMs = options.heartbeatMs ?? Math.max(1, Math.floor(leaseMs / 3));
  const claimMs = options.claimMs ?? 60_000;
  const { leases, instanceId, logger } = options;
  let state: 'live' | 'draining' = 'live';
  let timer: ReturnType<typeof setInterval> | undefined;
  let current: Promise<ClaimedLease[]> | undefined;
  let stopped = false;

  async function beat(): Promise<ClaimedLease[]> {
    if (!(await leases.renew(instanceId, leaseMs, state))) {
      logger.error({ instanceId }, 'this instance lost its lease (no heartbeat for a whole lease): a survivor reconciled its open records; re-registering');
      await leases.register(instanceId, leaseMs);
      options.onFenced?.();
    }
    const done: ClaimedLease[] = [];
    for (const lease of await leases.claimExpired(instanceId, claimMs)) {
      const records = await options.reconcile(lease);
      await leases.markReconciled(lease.instanceId, instanceId, records);
      logger.warn({ deadInstance: lease.instanceId, expiredAt: lease.expiredAt.toISOString(), records }, 'reconciled a dead instance');
      done.push(lease);
    }
    return done;
  }

  const keeper: LeaseKeeper = {
    async start() {
      await leases.register(instanceId, leaseMs);
      if (options.schedule === false) return;
      timer = setInterval(() => {
        keeper.tick().catch((error: unknown) => logger.warn({ err: error }, 'lease heartbeat failed; retrying at the next one'));
      }, heartbeatMs);
      timer.unref();
    },
    tick() {
      // One heartbeat at a time: a long reconcile delays the next beat instead of overlapping it.
      if (current || stopped) return current ?? Promise.resolve([]);
      current = beat().finally(() => (current = undefined));
      return current;
    },
    drain() {
      state = 'draining';
    },
    async stop(openRecords) {
      stopped = true;
      clearInterval(timer);
      await current?.catch(() => undefined);
      await leases.release(instanceId, openRecords);
    },
  };
  return keeper;
}
