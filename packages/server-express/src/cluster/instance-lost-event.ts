import { PROTOCOL_VERSION, type CostReceipt, type StreamEvent } from '@twin/core';

/**
 * The terminal event a survivor writes into the log of a stream whose instance died: not
 * retryable (no instance runs the stream any more, and the provider call is gone with it), with
 * the receipt of the bill the survivor made for what the stream produced.
 */
export function instanceLostEvent(seq: number, receipt: CostReceipt | undefined): StreamEvent {
  return {
    type: 'error',
    data: {
      v: PROTOCOL_VERSION,
      seq,
      code: 'instance_lost',
      message: 'The server instance running this stream stopped; the stream was billed for what it produced.',
      retryable: false,
      ...(receipt ? { cost: receipt, ...(receipt.usage ? { usage: receipt.usage } : {}) } : {}),
    },
  };
}
