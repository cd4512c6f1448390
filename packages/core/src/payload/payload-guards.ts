import { describeValue } from '../codec/describe-value';
import { TwinError } from '../errors/twin-error';

/**
 * The events whose content can be sealed: `chunk` and `resync` content, and the terminal event
 * (`complete` / `error`), whose seal binds the stream's ending into the same chain of frames.
 */
export type SealedEventType = 'chunk' | 'resync' | 'complete' | 'error';

export function assertEvent(event: unknown): asserts event is SealedEventType {
  if (event !== 'chunk' && event !== 'resync' && event !== 'complete' && event !== 'error') {
    throw new TwinError('invalid_argument', `event must be 'chunk', 'resync', 'complete' or 'error', got ${typeof event === 'string' ? `'${event}'` : describeValue(event)}`);
  }
}

export function assertSeq(seq: unknown): asserts seq is number {
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) {
    throw new TwinError('invalid_argument', `seq must be a non-negative integer, got ${typeof seq === 'number' ? seq : describeValue(seq)}`);
  }
}
