import { safeParseJSON, type StreamEvent } from '@twin/core';
import type { Logger } from 'pino';
import type { ClusterNode } from './cluster-node';
import type { LogEntryCipher } from './log-entry-cipher';

/** What another instance needs to resume or control a stream it does not run. */
export interface StreamLogMeta {
  streamId: string;
  tenantId: string;
  /** The instance that runs the provider and bills. */
  owner: string;
  /** The sealing the client asked for (codec, encryption alg and key id; never a key). */
  sealing?: { codec?: string; alg?: string; keyId?: string };
  /** Events are encrypted at rest (the stream is encrypted). */
  encrypted: boolean;
  /** Summary for the cluster-wide active list (provider, model, purpose, createdAt). */
  summary: Record<string, unknown>;
}

/** One event as the log keeps it: its seq and `{type,data}` JSON (sealed at rest for encrypted streams). */
export interface LogEntry {
  seq: number;
  text: string;
}

export interface StreamEventLogOptions {
  /** Entries kept per stream (XADD MAXLEN ~): the server's replay window. */
  maxLen: number;
  /** How long a running stream's keys live without news (its owner died): maxDuration + resume grace. */
  runningTtlMs: number;
  /** How long an ended stream stays resumable (the resume grace). */
  endedTtlMs: number;
  cipher?: LogEntryCipher;
  logger: Logger;
}

interface Pending {
  meta?: StreamLogMeta;
  entries: LogEntry[];
  ended: boolean;
  /** The key's expiry is still to be set (after the first XADD created it). */
  expire: boolean;
  tenantId?: string;
}

/**
 * Every stream's events in a Redis Stream (`<prefix>s:<id>:ev`, entry id `<seq>-1`, capped with
 * MAXLEN ~ like the replay window, expiring after the stream ends) plus a meta hash and a pub/sub
 * channel for live tails on other instances. Writes are queued and sent once per event-loop turn as
 * ONE pipeline for all streams, after the socket writes of that turn: nothing here is on a stream's
 * time to first byte. Explicit entry ids make a re-sent event a no-op (Redis refuses an id not
 * above the last), so an event is never in the log twice. A pipeline that fails (Redis away) drops
 * its entries from the log — the stream goes on from this instance's memory — and readers see the
 * gap and never skip over it.
 */
export class StreamEventLog {
  private pending = new Map<string, Pending>();
  private scheduled = false;
  private readonly inFlight = new Set<Promise<void>>();
  /** Pipelines sent (round trips) and commands in them, for the bench's Redis cost per event. */
  readonly counters = { roundTrips: 0, commands: 0, events: 0, failedPipelines: 0 };
  /** Streams whose meta could not be written yet (Redis away): written with the next pipeline. */
  private readonly metaOwed = new Map<string, StreamLogMeta>();

  constructor(
    private readonly node: ClusterNode,
    private readonly options: StreamEventLogOptions,
  ) {}

  eventsKey(streamId: string): string {
    return this.node.key('s', streamId, 'ev');
  }
  metaKey(streamId: string): string {
    return this.node.key('s', streamId, 'meta');
  }
  channel(streamId: string): string {
    return this.node.key('s', streamId, 'live');
  }
  activeKey(tenantId: string): string {
    return this.node.key('active', tenantId);
  }

  /** A stream starts on this instance: its meta and active-list entry go out with the next pipeline. */
  open(meta: StreamLogMeta): void {
    this.slot(meta.streamId).meta = meta;
    this.schedule();
  }

  /** New events of a stream (heartbeats are per connection and not logged). */
  append(streamId: string, events: readonly StreamEvent[], encrypted: boolean): void {
    let slot: Pending | undefined;
    for (const event of events) {
      if (event.type === 'heartbeat') continue;
      const seq = event.data.seq;
      const json = JSON.stringify(event);
      slot ??= this.slot(streamId);
      slot.entries.push({ seq, text: encrypted && this.options.cipher ? this.options.cipher.seal(streamId, seq, json) : json });
    }
    if (slot) this.schedule();
  }

  /** The stream ended: its keys now expire after the resume grace and it leaves the active list. */
  end(streamId: string, tenantId: string): void {
    this.metaOwed.delete(streamId);
    const slot = this.slot(streamId);
    slot.ended = true;
    slot.tenantId = tenantId;
    this.schedule();
  }

  /**
   * Sends what is queued now (tests, shutdown, before an announcement); resolves once every pipeline
   * so far has answered. Pipelines are not waited for one another: one connection keeps them in
   * order, and Redis runs them in that order.
   */
  async flush(): Promise<void> {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = new Map();
    if (batch.size > 0 || this.metaOwed.size > 0) {
      const sent = this.send(batch);
      this.inFlight.add(sent);
      void sent.finally(() => this.inFlight.delete(sent));
    }
    await Promise.all(this.inFlight);
  }

  /** The meta of a stream (any instance's), or undefined when Redis has none (or is away). */
  async readMeta(streamId: string): Promise<(StreamLogMeta & { ended: boolean }) | undefined> {
    const raw = await this.node.redis.hgetall(this.metaKey(streamId));
    if (!raw.tenantId || !raw.owner) return undefined;
    const sealing = raw.sealing ? safeParseJSON(raw.sealing) : undefined;
    const summary = raw.summary ? safeParseJSON(raw.summary) : undefined;
    return {
      streamId,
      tenantId: raw.tenantId,
      owner: raw.owner,
      ...(sealing?.success ? { sealing: sealing.value as StreamLogMeta['sealing'] & object } : {}),
      encrypted: raw.encrypted === '1',
      summary: summary?.success ? (summary.value as Record<string, unknown>) : {},
      ended: raw.ended === '1',
    };
  }

  /**
   * Ends the log of a stream whose owner died (a survivor reconciled its bill): appends `make(seq)`
   * right after the last logged event, hands it to every live tail, and marks the stream ended, so a
   * client resuming it on any instance gets this terminal event instead of waiting on a tail that no
   * instance feeds. False when the log does not know the stream or it already ended.
   */
  async terminate(streamId: string, make: (seq: number) => StreamEvent): Promise<boolean> {
    const meta = await this.readMeta(streamId);
    if (!meta || meta.ended) return false;
    const key = this.eventsKey(streamId);
    const last = await this.node.redis.xrevrange(key, '+', '-', 'COUNT', 1);
    const seq = last[0] ? Number(last[0][0].slice(0, last[0][0].indexOf('-'))) + 1 : 0;
    const json = JSON.stringify(make(seq));
    const entry: LogEntry = { seq, text: meta.encrypted && this.options.cipher ? this.options.cipher.seal(streamId, seq, json) : json };
    const pipeline = this.node.redis.pipeline().xadd(key, `${seq}-1`, 'e', entry.text).publish(this.channel(streamId), JSON.stringify([entry]));
    this.markEnded(pipeline, streamId, meta.tenantId);
    await pipeline.exec();
    return true;
  }

  /** The logged events after `afterSeq`, in order (the log may have a gap: callers check seqs). */
  async readAfter(streamId: string, afterSeq: number): Promise<LogEntry[]> {
    const rows = await this.node.redis.xrange(this.eventsKey(streamId), `${afterSeq + 1}-0`, '+');
    return rows.map(([id, fields]) => ({ seq: Number(id.slice(0, id.indexOf('-'))), text: fields[1] ?? '' }));
  }

  /** An entry back to its event (opening it when encrypted at rest). */
  decode(streamId: string, entry: LogEntry, encrypted: boolean): StreamEvent {
    const json = encrypted && this.options.cipher ? this.options.cipher.open(streamId, entry.seq, entry.text) : entry.text;
    return JSON.parse(json) as StreamEvent;
  }

  /** Queues what ends a stream's log: `ended` in its meta, both keys expiring after the resume grace, out of the active list. Returns the commands queued. */
  private markEnded(pipeline: ReturnType<ClusterNode['redis']['pipeline']>, streamId: string, tenantId: string): number {
    const { endedTtlMs } = this.options;
    pipeline.hset(this.metaKey(streamId), 'ended', '1');
    pipeline.pexpire(this.metaKey(streamId), endedTtlMs);
    pipeline.pexpire(this.eventsKey(streamId), endedTtlMs);
    pipeline.hdel(this.activeKey(tenantId), streamId);
    return 4;
  }

  private slot(streamId: string): Pending {
    let slot = this.pending.get(streamId);
    if (!slot) this.pending.set(streamId, (slot = { entries: [], ended: false, expire: false }));
    return slot;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // After this turn's socket writes: the log never delays a byte to a client.
    setImmediate(() => void this.flush());
  }

  private async send(batch: Map<string, Pending>): Promise<void> {
    const { maxLen, runningTtlMs } = this.options;
    const pipeline = this.node.redis.pipeline();
    let commands = 0;
    let events = 0;
    const metas = new Map(this.metaOwed);
    this.metaOwed.clear();
    for (const [streamId, slot] of batch) if (slot.meta) metas.set(streamId, slot.meta);
    for (const meta of metas.values()) {
      const key = this.metaKey(meta.streamId);
      pipeline.hset(key, {
        tenantId: meta.tenantId,
        owner: meta.owner,
        encrypted: meta.encrypted ? '1' : '0',
        ...(meta.sealing ? { sealing: JSON.stringify(meta.sealing) } : {}),
        summary: JSON.stringify(meta.summary),
      });
      pipeline.pexpire(key, runningTtlMs);
      pipeline.hset(this.activeKey(meta.tenantId), meta.streamId, meta.owner);
      commands += 3;
    }
    for (const [streamId, slot] of batch) {
      const key = this.eventsKey(streamId);
      for (const entry of slot.entries) {
        pipeline.xadd(key, 'MAXLEN', '~', maxLen, `${entry.seq}-1`, 'e', entry.text);
        commands++;
      }
      if (slot.entries.length > 0) {
        pipeline.publish(this.channel(streamId), JSON.stringify(slot.entries));
        commands++;
        events += slot.entries.length;
        if (slot.meta) {
          pipeline.pexpire(key, runningTtlMs);
          commands++;
        }
      }
      if (slot.ended) commands += this.markEnded(pipeline, streamId, slot.tenantId!);
    }
    if (commands === 0) return;
    this.counters.roundTrips++;
    this.counters.commands += commands;
    this.counters.events += events;
    try {
      const results = await pipeline.exec();
      for (const [error] of results ?? []) {
        // An id not above the last one is an event already logged (a re-send): nothing to do.
        if (error && !/equal or smaller/.test(error.message)) throw error;
      }
    } catch (error) {
      this.counters.failedPipelines++;
      // Metas are re-sent with the next pipeline; events of this one are not in the log (readers see the gap).
      for (const [streamId, meta] of metas) if (!batch.get(streamId)?.ended) this.metaOwed.set(streamId, meta);
      this.options.logger.debug({ err: error, streams: batch.size }, 'redis event log write failed; these events are served from this instance only');
    }
  }
}
