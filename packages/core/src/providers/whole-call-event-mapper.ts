import type { StreamPart } from '../protocol/stream-part';
import type { EventBatchMapper } from './map-event-batches';
import { providerEventRecord } from './provider-event-record';
import { responseMetadataPart } from './response-metadata-part';
import { WholeToolCalls } from './whole-tool-calls';

/**
 * The shell of a mapper for a provider that sends each tool call whole and its response id or
 * model in any chunk (Gemini, Ollama): the guard every event gets ({@link providerEventRecord}),
 * the calls, and the `response-metadata` part once. A subclass maps one event record.
 */
export abstract class WholeCallEventMapper implements EventBatchMapper {
  abstract readonly done: boolean;
  protected readonly calls: WholeToolCalls;
  private metadataSent = false;

  /** `random` makes the ids of calls sent without one unique when the response has no id. */
  constructor(
    protected readonly provider: string,
    random: () => number = Math.random,
  ) {
    this.calls = new WholeToolCalls(random);
  }

  map(event: unknown, out: StreamPart[]): void {
    const record = providerEventRecord(event, this.provider);
    if (record) this.mapRecord(record, out);
  }

  abstract finish(): StreamPart;

  /** Appends the parts for one event record to `out`. */
  protected abstract mapRecord(event: Record<string, unknown>, out: StreamPart[]): void;

  /** The `response-metadata` part, the first time an event carries a response id or model. */
  protected pushMetadataOnce(id: unknown, model: unknown, out: StreamPart[]): void {
    if (this.metadataSent || (typeof id !== 'string' && typeof model !== 'string')) return;
    this.metadataSent = true;
    out.push(responseMetadataPart(id, model));
  }
}
