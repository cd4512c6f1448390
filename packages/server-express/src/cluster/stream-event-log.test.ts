import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyring, type StreamEvent } from '@twin/core';
import { joinCluster, type ClusterNode } from './cluster-node';
import { createLogEntryCipher } from './log-entry-cipher';
import { StreamEventLog } from './stream-event-log';
import { missingRedis } from './redis-test-url';

const missing = await missingRedis();
if (missing && process.env.CI === 'true') throw new Error(missing);

const chunk = (seq: number, text: string): StreamEvent => ({ type: 'chunk', data: { v: 2, seq, text } }) as StreamEvent;

describe.skipIf(missing !== undefined)(`the Redis event log${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let node: ClusterNode;
  let log: StreamEventLog;
  const logger = pino({ level: 'silent' });
  const keyring = createKeyring([{ id: 'k1', key: new Uint8Array(32).fill(7) }]);

  beforeAll(async () => {
    node = await joinCluster({ redisUrl: process.env.TWIN_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379', keyPrefix: `twin-unit:${process.pid}-${Date.now()}:`, instanceId: 'u1' }, logger);
    log = new StreamEventLog(node, { maxLen: 5, runningTtlMs: 60_000, endedTtlMs: 2_000, cipher: createLogEntryCipher(keyring), logger });
  });
  afterAll(async () => {
    const keys = await node.redis.keys(`${node.keyPrefix}*`);
    if (keys.length) await node.redis.del(...keys);
    await node.close();
  });

  it('keeps events in seq order and reads exactly those after a position', async () => {
    log.open({ streamId: 'str_a', tenantId: 't1', owner: 'u1', encrypted: false, summary: { model: 'm' } });
    log.append('str_a', [chunk(0, 'a'), chunk(1, 'b')], false);
    log.append('str_a', [{ type: 'heartbeat' } as StreamEvent, chunk(2, 'c')], false);
    await log.flush();
    const after0 = await log.readAfter('str_a', 0);
    expect(after0.map((e) => e.seq)).toEqual([1, 2]);
    expect(after0.map((e) => log.decode('str_a', e, false))).toEqual([chunk(1, 'b'), chunk(2, 'c')]);
    expect(await log.readAfter('str_a', 2)).toEqual([]);
    const meta = await log.readMeta('str_a');
    expect(meta).toMatchObject({ tenantId: 't1', owner: 'u1', ended: false, summary: { model: 'm' } });
    expect(await node.redis.hget(log.activeKey('t1'), 'str_a')).toBe('u1');
  });

  it("terminates a dead owner's stream right after its last logged event, once, and tells its live tails", async () => {
    log.open({ streamId: 'str_dead', tenantId: 't1', owner: 'gone', encrypted: true, summary: {} });
    log.append('str_dead', [chunk(0, 'a'), chunk(1, 'b')], true);
    await log.flush();
    const tail: string[] = [];
    const sub = node.redis.duplicate();
    if (sub.status === 'wait') await sub.connect();
    await sub.subscribe(log.channel('str_dead'));
    sub.on('message', (_channel, message) => tail.push(message));
    const lost = (seq: number) => ({ type: 'error', data: { v: 2, seq, code: 'instance_lost', message: 'x', retryable: false } }) as StreamEvent;
    expect(await log.terminate('str_dead', lost)).toBe(true);
    expect(await log.terminate('str_dead', lost)).toBe(false);
    expect(await log.terminate('str_unknown', lost)).toBe(false);
    const after1 = await log.readAfter('str_dead', 1);
    expect(after1.map((e) => log.decode('str_dead', e, true))).toEqual([lost(2)]);
    expect(await log.readMeta('str_dead')).toMatchObject({ ended: true });
    expect(await node.redis.hget(log.activeKey('t1'), 'str_dead')).toBeNull();
    await expect.poll(() => tail.length).toBe(1);
    expect((JSON.parse(tail[0]!) as Array<{ seq: number }>).map((e) => e.seq)).toEqual([2]);
    await sub.quit();
  });

  it('never logs an event twice: a re-sent seq is refused by its explicit id', async () => {
    log.append('str_b', [chunk(0, 'x'), chunk(1, 'y')], false);
    await log.flush();
    log.append('str_b', [chunk(1, 'y'), chunk(2, 'z')], false);
    await log.flush();
    expect((await log.readAfter('str_b', -1)).map((e) => e.seq)).toEqual([0, 1, 2]);
  });

  it('batches one event-loop turn of every stream into one pipeline', async () => {
    const before = { ...log.counters };
    for (let i = 0; i < 10; i++) log.append(`str_m${i}`, [chunk(0, 'p')], false);
    await log.flush();
    expect(log.counters.roundTrips - before.roundTrips).toBe(1);
    expect(log.counters.events - before.events).toBe(10);
  });

  it('caps a stream at about its window (MAXLEN ~) and expires it after the end', async () => {
    const events = Array.from({ length: 400 }, (_, i) => chunk(i, 't'));
    log.append('str_c', events, false);
    log.end('str_c', 't1');
    await log.flush();
    const len = await node.redis.xlen(log.eventsKey('str_c'));
    expect(len).toBeLessThan(400);
    expect(len).toBeGreaterThanOrEqual(5);
    const ttl = await node.redis.pttl(log.eventsKey('str_c'));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(2_000);
    expect(await node.redis.hget(log.activeKey('t1'), 'str_c')).toBeNull();
  });

  it('encrypts the events of an encrypted stream at rest, bound to stream and seq', async () => {
    log.append('str_e', [chunk(0, 'secret words')], true);
    await log.flush();
    const [entry] = await log.readAfter('str_e', -1);
    expect(entry!.text).not.toContain('secret');
    expect(log.decode('str_e', entry!, true)).toEqual(chunk(0, 'secret words'));
    expect(() => log.decode('str_other', entry!, true)).toThrow();
  });
});
