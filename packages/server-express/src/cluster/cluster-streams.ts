import { TwinError, type Keyring, type StreamEvent } from '@twin/core';
import type { Logger } from 'pino';
import type { AuthContext } from '../auth/authenticator';
import type { TransportEncoding } from '../http/negotiate-encoding';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SealingSpec, StreamLogSink } from '../stream/live-stream-deps';
import type { StreamHub } from '../stream/stream-hub';
import type { LiveStream } from '../stream/live-stream';
import type { LiveStreamSummary } from '../admin/admin-api-types';
import { sealingFromSpec } from '../stream/sealing-from-spec';
import { streamSummary } from '../stream/stream-summary';
import { TWIN_SSE_FORMAT, type WireFormat } from '../stream/wire-format';
import type { ClusterBus } from './cluster-bus';
import { ClusterControl, type ControlMessage } from './cluster-control';
import type { ClusterNode } from './cluster-node';
import { createLogEntryCipher } from './log-entry-cipher';
import { StreamEventLog, type StreamLogMeta } from './stream-event-log';
import { StreamRelay } from './stream-relay';

/** How long the admin's stream detail waits for the owner's view of a stream it runs. */
const DESCRIBE_TIMEOUT_MS = 2_000;

/** How long a DELETE through another instance waits for the owner's bill. */
const ABORT_TIMEOUT_MS = 15_000;

/** Longest a resume waits for the log of a stream that may just have started on another instance. */
const META_WAIT_MS = 2_000;

/** A running stream as its owner describes it to another instance (the admin's stream detail). */
export interface RemoteStreamView {
  /** The instance that runs it. */
  instance: string;
  status: string;
  /** Its live row (while it runs). */
  live?: LiveStreamSummary;
  metrics: unknown;
}

/** What `resume` did. */
export type ClusterResumeResult = 'relayed' | 'ended' | 'unknown';

/**
 * The cluster side of streams: the event log every stream writes to (the hub's {@link StreamLogSink}),
 * resumes of other instances' streams (relays), control messages to and from the instance that runs
 * a stream (attach / detach / metering / abort), and the cluster-wide active list.
 */
export class ClusterStreams implements StreamLogSink {
  readonly log: StreamEventLog;
  readonly bus: ClusterBus;
  readonly control: ClusterControl;
  private hub: StreamHub | undefined;

  constructor(
    readonly node: ClusterNode,
    private readonly options: {
      logger: Logger;
      /** The instance's one pub/sub (shared with the cluster limits). */
      bus: ClusterBus;
      keyring: Keyring | undefined;
      replayWindowEvents: number;
      maxDurationMs: number;
      resumeGraceMs: number;
      detachGraceMs: number;
      /** What this instance tells another one asking about a stream it runs (the admin's stream detail). */
      describe: (stream: LiveStream) => Omit<RemoteStreamView, 'instance'>;
    },
  ) {
    this.bus = options.bus;
    this.control = new ClusterControl(node, this.bus, options.logger);
    this.log = new StreamEventLog(node, {
      maxLen: options.replayWindowEvents,
      runningTtlMs: options.maxDurationMs + options.resumeGraceMs,
      endedTtlMs: Math.max(1_000, options.resumeGraceMs),
      ...(options.keyring ? { cipher: createLogEntryCipher(options.keyring) } : {}),
      logger: options.logger,
    });
  }

  /** Starts answering control messages for the streams of `hub`. */
  async listen(hub: StreamHub): Promise<void> {
    this.hub = hub;
    await this.control.listen((msg) => this.handle(msg));
  }

  // ── StreamLogSink ──────────────────────────────────────────────────────────

  open(stream: { streamId: string; tenantId: string; encrypted: boolean; sealing?: SealingSpec; summary: Record<string, unknown> }): void {
    this.log.open({ ...stream, owner: this.node.instanceId });
  }
  append(streamId: string, events: readonly StreamEvent[], encrypted: boolean): void {
    this.log.append(streamId, events, encrypted);
  }
  end(streamId: string, tenantId: string): void {
    this.log.end(streamId, tenantId);
  }
  announce(streamId: string, conn: string): void {
    // After the events queued so far, so a relay has written them before it closes.
    void this.log.flush().then(() => this.bus.publish(this.log.channel(streamId), JSON.stringify({ attach: conn })));
  }

  // ── requests that landed on this instance for another one's stream ──────────

  /**
   * Resumes a stream another instance runs (or ran): relays its log from after `lastEventId`.
   * `unknown`: the log does not know the stream (not of this tenant, expired, or Redis away) and the
   * caller answers as a single instance would; `ended`: the client has everything (204).
   */
  async resume(
    auth: AuthContext,
    streamId: string,
    lastEventId: number,
    req: IncomingMessage,
    res: ServerResponse,
    encoding: TransportEncoding,
    checkpoint: () => Promise<void>,
    /** True when the stream may be running on another instance (its billing record is open or not yet there). */
    mayRunElsewhere: () => Promise<boolean>,
    format: WireFormat = TWIN_SSE_FORMAT,
    /** Only while the stream runs (a chat's resume: an ended one is answered 204 by the caller). */
    onlyRunning = false,
  ): Promise<ClusterResumeResult> {
    const hub = this.hub!;
    let meta = await this.log.readMeta(streamId).catch(() => undefined);
    // Its owner logs a new stream's meta right after the stream's first bytes, off their path, so a
    // client that resumes at once may be here first: wait for the owner's first batch (bounded).
    if (!meta && (await mayRunElsewhere())) meta = await this.awaitMeta(streamId);
    if (!meta || meta.tenantId !== auth.tenantId || meta.owner === this.node.instanceId) return 'unknown';
    if (onlyRunning && meta.ended) return 'ended';
    const relay = new StreamRelay(meta, lastEventId, { log: this.log, bus: this.bus, control: this.control, logger: this.options.logger });
    let first;
    try {
      first = await relay.open();
    } catch {
      return 'unknown';
    }
    try {
      await checkpoint();
    } catch (error) {
      relay.abandon();
      throw error;
    }
    if (first.length === 0 && meta.ended) {
      relay.abandon();
      return 'ended';
    }
    if (relay.startsWithGap(first)) {
      relay.abandon();
      throw new TwinError('capacity_exceeded', `Stream ${streamId} runs on another instance and this resume point is no longer in the shared log; retry (its instance answers with a resync).`, {
        retryAfterMs: 600,
      });
    }
    const sealing = sealingFromSpec(streamId, meta.sealing, this.options.keyring);
    try {
      // A relayed connection is one of the cluster's connections like any other: it holds a slot of
      // the global and per-key caps until its response closes (a refusal answers 503 / 429).
      await hub.takeClusterSlot(auth, res);
      hub.relay(
        auth,
        relay,
        first,
        (f) => {
          const s = sealing?.();
          return f.createWriter({ streamId, ...(s ? { sealer: s.sealer, codec: s.codec, alg: s.alg, kid: s.kid } : {}) });
        },
        req,
        res,
        encoding,
        format,
      );
    } catch (error) {
      relay.abandon();
      throw error;
    }
    return 'relayed';
  }

  /** The meta of a stream that another instance has just started: waits for its first logged batch. */
  private async awaitMeta(streamId: string): Promise<(StreamLogMeta & { ended: boolean }) | undefined> {
    let wake!: () => void;
    const published = new Promise<void>((resolve) => (wake = resolve));
    let unsubscribe: (() => void) | undefined;
    try {
      unsubscribe = await this.bus.subscribe(this.log.channel(streamId), () => wake());
      const meta = await this.log.readMeta(streamId);
      if (meta) return meta;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([published, new Promise<void>((resolve) => (timer = setTimeout(resolve, META_WAIT_MS)))]);
      clearTimeout(timer);
      return await this.log.readMeta(streamId);
    } catch {
      return undefined;
    } finally {
      unsubscribe?.();
    }
  }

  /** DELETE of another instance's stream: its owner aborts and bills; resolves with its summary. */
  async close(auth: AuthContext, streamId: string): Promise<Record<string, unknown>> {
    const meta = await this.log.readMeta(streamId).catch(() => undefined);
    if (!meta || meta.tenantId !== auth.tenantId || meta.owner === this.node.instanceId) {
      throw new TwinError('not_found', `No stream ${streamId}.`, { details: { field: 'id' } });
    }
    const answer = (await this.control.request(meta.owner, { op: 'abort', stream: streamId, tenant: auth.tenantId }, ABORT_TIMEOUT_MS)) as
      | { found: boolean; summary?: Record<string, unknown> }
      | undefined;
    if (!answer) throw new TwinError('capacity_exceeded', `The instance running stream ${streamId} did not answer; retry.`, { retryAfterMs: 1_000 });
    if (!answer.found || !answer.summary) throw new TwinError('not_found', `No stream ${streamId}.`, { details: { field: 'id' } });
    return answer.summary;
  }

  /** The tenant's streams running on other instances (their summaries from the log). */
  async listRemoteActive(auth: AuthContext): Promise<Record<string, unknown>[]> {
    const redis = this.node.redis;
    try {
      const owners = await redis.hgetall(this.log.activeKey(auth.tenantId));
      const ids = Object.entries(owners)
        .filter(([, owner]) => owner !== this.node.instanceId)
        .map(([id]) => id);
      if (ids.length === 0) return [];
      const pipeline = redis.pipeline();
      for (const id of ids) {
        pipeline.hget(this.log.metaKey(id), 'summary');
        pipeline.xrevrange(this.log.eventsKey(id), '+', '-', 'COUNT', 1);
      }
      const results = (await pipeline.exec()) ?? [];
      const out: Record<string, unknown>[] = [];
      ids.forEach((id, i) => {
        const summary = results[2 * i]?.[1] as string | null;
        // Expired meta: its owner died without ending it (reconciled elsewhere).
        if (!summary) return;
        const last = (results[2 * i + 1]?.[1] as [string, string[]][] | undefined)?.[0]?.[0];
        out.push({ id, ...(JSON.parse(summary) as Record<string, unknown>), status: 'streaming', lastSeq: last ? Number(last.slice(0, last.indexOf('-'))) : 0, connected: true });
      });
      return out;
    } catch {
      // Redis away: this instance's streams only.
      return [];
    }
  }

  /**
   * A stream of the caller's tenant that another instance runs, as its owner sees it now; undefined
   * when no other instance runs it, or its owner did not answer (the caller shows what is stored).
   */
  async describeRemote(auth: AuthContext, streamId: string): Promise<RemoteStreamView | undefined> {
    const meta = await this.log.readMeta(streamId).catch(() => undefined);
    if (!meta || meta.ended || meta.tenantId !== auth.tenantId || meta.owner === this.node.instanceId) return undefined;
    const answer = (await this.control.request(meta.owner, { op: 'describe', stream: streamId, tenant: auth.tenantId }, DESCRIBE_TIMEOUT_MS)) as
      | { found: boolean; view?: Omit<RemoteStreamView, 'instance'> }
      | undefined;
    if (!answer?.found || !answer.view) return undefined;
    return { instance: meta.owner, ...answer.view, ...(answer.view.live ? { live: { ...answer.view.live, instance: meta.owner } } : {}) };
  }

  // ── control messages for streams this instance runs ────────────────────────

  private async handle(msg: ControlMessage): Promise<unknown> {
    const stream = this.hub?.byId(msg.stream);
    switch (msg.op) {
      case 'attach':
        stream?.attachRemote(msg.conn);
        return undefined;
      case 'detach':
        stream?.detachRemote(msg.conn, msg.graceMs < 0 ? this.options.detachGraceMs : msg.graceMs);
        return undefined;
      case 'wrote':
        stream?.recordWritten(msg.bytes, msg.events);
        return undefined;
      case 'abort': {
        if (!stream || stream.tenantId !== msg.tenant) return { found: false };
        stream.stop({
          endReason: 'client_abort',
          status: 'aborted',
          error: { code: 'aborted', message: 'The stream was closed by its owner.', retryable: false },
        });
        await stream.finished;
        return { found: true, summary: streamSummary(stream) };
      }
      case 'describe':
        if (!stream || stream.tenantId !== msg.tenant) return { found: false };
        return { found: true, view: this.options.describe(stream) };
    }
  }
}
