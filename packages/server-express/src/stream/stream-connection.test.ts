import type { ConnectionWriter, StreamEvent } from '@twin/core';
import { describe, expect, it } from 'vitest';
import type { SSEResponse } from '../http/sse-response';
import type { LiveStream, LiveStreamDeps } from './live-stream';
import { StreamConnection } from './stream-connection';

/** A response that records its writes and flushes in order. */
function recordingResponse(log: string[]): SSEResponse {
  return {
    write: (frames: string) => (log.push(`write ${frames}`), true),
    flush: () => void log.push('flush'),
    end: () => void log.push('end'),
    backpressure: false,
    queuedBytes: 0,
    queuedUtf8Bytes: 0,
    bytesWritten: 0,
    closed: false,
    overflowed: false,
  };
}

/** A writer that frames each event as its type (the wire format is not what is tested here). */
function typeWriter(): ConnectionWriter {
  let events = 0;
  let bytes = 0;
  return {
    write: (list: StreamEvent[]) => {
      const text = list.map((e) => e.type).join(',');
      events += list.length;
      bytes += text.length;
      return text;
    },
    get eventsWritten() {
      return events;
    },
    get bytesWritten() {
      return bytes;
    },
  } as unknown as ConnectionWriter;
}

const start = { type: 'start', seq: 0 } as unknown as StreamEvent;
const chunk = { type: 'chunk', seq: 1, text: 'hi' } as unknown as StreamEvent;
const error = { type: 'error', seq: 1 } as unknown as StreamEvent;

function connectionWith(log: string[]): StreamConnection {
  const stream = { id: 'str_test', openingGate: undefined, isRunning: true, onBackpressure: () => {} } as unknown as LiveStream;
  const connection = new StreamConnection(stream, {} as LiveStreamDeps);
  connection.attach(recordingResponse(log), typeWriter);
  return connection;
}

describe('StreamConnection: the first content is not held behind the rest of the response first turn', () => {
  it('flushes the response once it wrote something past the start event (the first chunk leaves at once)', () => {
    const log: string[] = [];
    const connection = connectionWith(log);
    connection.write([start]);
    expect(log).toEqual(['write start']);
    connection.write([chunk]);
    expect(log).toEqual(['write start', 'write chunk', 'flush']);
  });

  it('flushes when the start and the first content are written together, and when the first event past start is an error', () => {
    const together: string[] = [];
    connectionWith(together).write([start, chunk]);
    expect(together).toEqual(['write start,chunk', 'flush']);
    const failed: string[] = [];
    const connection = connectionWith(failed);
    connection.write([start]);
    connection.write([error]);
    expect(failed).toEqual(['write start', 'write error', 'flush']);
  });
});
