import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createConnectionWriter, type StreamEvent } from '@twin/core';
import type { SSEResponse } from '../http/sse-response';
import { ClusterBus } from './cluster-bus';
import type { ClusterControl } from './cluster-control';
import { joinCluster, type ClusterNode } from './cluster-node';
import { StreamEventLog } from './stream-event-log';
import { StreamRelay } from './stream-relay';
import { missingRedis } from './redis-test-url';

const missing = await missingRedis();
if (missing && process.env.CI === 'true') throw new Error(missing);

const chunk = (seq: number, text: string): StreamEvent => ({ type: 'chunk', data: { v: 2, seq, text } }) as StreamEvent;
const lost = (seq: number) => ({ type: 'error', data: { v: 2, seq, code: 'instance_lost', message: 'The instance running this stream stopped.', retryable: false } }) as StreamEvent;

describe.skipIf(missing !== undefined)(`a relayed resume${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let node: ClusterNode;
  let log: StreamEventLog;
  let bus: ClusterBus;
  const logger = pino({ level: 'silent' });
  // The owner is dead in this test: what the relay tells it goes nowhere.
  const control = { send: async () => true } as unknown as ClusterControl;

  beforeAll(async () => {
    node = await joinCluster({ redisUrl: process.env.TWIN_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379', keyPrefix: `twin-relay:${process.pid}-${Date.now()}:`, instanceId: 'survivor' }, logger);
    log = new StreamEventLog(node, { maxLen: 100, runningTtlMs: 60_000, endedTtlMs: 5_000, logger });
    bus = new ClusterBus(node, logger);
  });
  afterAll(async () => {
    const keys = await node.redis.keys(`${node.keyPrefix}*`);
    if (keys.length) await node.redis.del(...keys);
    await node.close();
  });

  it('ends a client that is ahead of the log (its owner died before logging what it wrote) with the terminal event after its position, never a hang', async () => {
    log.open({ streamId: 'str_ahead', tenantId: 't1', owner: 'gone', encrypted: false, summary: {} });
    log.append('str_ahead', [chunk(0, 'a'), chunk(1, 'b')], false);
    await log.flush();
    const meta = (await log.readMeta('str_ahead'))!;
    // The client received seq 2 from the owner, which died before that event reached the log.
    const relay = new StreamRelay(meta, 2, { log, bus, control, logger });
    const first = await relay.open();
    expect(first).toEqual([]);
    let written = '';
    let ended = false;
    const response = { write: (frames: string) => void (written += frames), end: () => void (ended = true) } as unknown as SSEResponse;
    relay.begin(response, createConnectionWriter({ streamId: 'str_ahead' }), first);

    // The survivor bills the stream and ends its log right after the last logged event: seq 2.
    expect(await log.terminate('str_ahead', lost)).toBe(true);
    await vi.waitFor(() => expect(ended).toBe(true), { timeout: 5_000 });
    expect(written).toContain('id: str_ahead:3\n');
    expect(written).toContain('"code":"instance_lost"');
    expect(written).toContain('"seq":3');
    expect(relay.isRunning).toBe(false);
  });
});
