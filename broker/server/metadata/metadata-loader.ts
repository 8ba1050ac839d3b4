// Turns the committed batches of the `__cluster_metadata` log into images (Kafka's MetadataLoader):
// decodes each record, replays the batch onto the current image and publishes the new image to its
// listeners once per batch, so they never see half a batch (a topic without its partitions).
//
// Ownership: the MetadataLoader owns the current image, the last applied offset, its listeners and
// the callers waiting for an offset. They change only in the committed-batch callback, which the
// Raft node calls one batch at a time in log order.
import { decodeMetadataRecord, type MetadataRecord } from "../../protocol/metadata-records/serde.ts";
import { MetadataDelta } from "./metadata-delta.ts";
import { MetadataImage } from "./metadata-image.ts";

/** A committed data batch of the metadata log: record i sits at baseOffset + i. */
export interface CommittedBatch {
  baseOffset: bigint;
  /** The Raft epoch of the leader that wrote it. */
  epoch: number;
  /** Encoded metadata records (MetadataRecordSerde framing). */
  records: Buffer[];
}

/** What the loader reads from: the Raft node's committed batches, replayed from the start of the log, then live. */
export interface CommittedBatchSource {
  onCommitted(listener: (batch: CommittedBatch) => void): void;
}

export type ImageListener = (image: MetadataImage, previous: MetadataImage) => void;

/** A record that could not be decoded or replayed, or a listener that threw: reported, then skipped. */
export type FaultHandler = (message: string, error: unknown, offset: bigint) => void;

export interface MetadataLoaderOptions {
  decode?: (bytes: Buffer) => MetadataRecord;
  onFault?: FaultHandler;
}

export class MetadataLoader {
  private current: MetadataImage = MetadataImage.EMPTY;
  private readonly listeners = new Set<ImageListener>();
  private waiters: { offset: bigint; resolve: (image: MetadataImage) => void }[] = [];
  private readonly decode: (bytes: Buffer) => MetadataRecord;
  private readonly onFault: FaultHandler;

  constructor(source: CommittedBatchSource, options: MetadataLoaderOptions = {}) {
    this.decode = options.decode ?? decodeMetadataRecord;
    this.onFault = options.onFault ?? (() => {});
    source.onCommitted((batch) => this.load(batch));
  }

  get image(): MetadataImage {
    return this.current;
  }

  /** Offset of the last record applied, -1n before any: what a broker reports in its heartbeats. */
  get lastAppliedOffset(): bigint {
    return this.current.offset;
  }

  /** Calls `listener` with every new image from now on; returns the unsubscribe function. */
  subscribe(listener: ImageListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The first image at or past `offset` (the current one if it is already there). */
  waitForOffset(offset: bigint): Promise<MetadataImage> {
    if (this.current.offset >= offset) return Promise.resolve(this.current);
    return new Promise((resolve) => this.waiters.push({ offset, resolve }));
  }

  private load(batch: CommittedBatch): void {
    const lastOffset = batch.baseOffset + BigInt(batch.records.length) - 1n;
    // A batch already applied (a source that delivers again after a restart of its own) changes nothing.
    if (batch.records.length === 0 || lastOffset <= this.current.offset) return;
    const delta = new MetadataDelta(this.current);
    batch.records.forEach((bytes, i) => {
      const offset = batch.baseOffset + BigInt(i);
      if (offset <= this.current.offset) return;
      try {
        delta.replay(this.decode(bytes), offset);
      } catch (error) {
        this.onFault("skipped a metadata record that does not apply", error, offset);
      }
    });
    const previous = this.current;
    this.current = delta.apply(lastOffset, batch.epoch);
    for (const listener of this.listeners) {
      try {
        listener(this.current, previous);
      } catch (error) {
        this.onFault("a metadata image listener failed", error, lastOffset);
      }
    }
    const ready = this.waiters.filter((w) => w.offset <= lastOffset);
    if (ready.length > 0) {
      this.waiters = this.waiters.filter((w) => w.offset > lastOffset);
      for (const waiter of ready) waiter.resolve(this.current);
    }
  }
}
