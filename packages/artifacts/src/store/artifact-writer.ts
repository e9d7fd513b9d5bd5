import type { Hash } from 'node:crypto';
import { writevSync } from 'node:fs';
import { AsyncByteQueue, RecordBatch, RecordBatchFileWriter, type Schema, Table } from 'apache-arrow';
import { ArtifactStoreError } from '../errors.js';
import { type BatchTarget, buildRecordBatch, buildRecordBatchFromRows, conformRecordBatch } from '../schema/record-batch.js';

/**
 * What `append` takes: a RecordBatch or Table (checked against the artifact's schema), an object of
 * whole columns, or an array of row objects (both built with the column helpers).
 */
export type AppendInput = RecordBatch | Table | readonly Readonly<Record<string, unknown>>[] | Readonly<Record<string, unknown>>;

/**
 * Collects the bytes Arrow's writer emits so they can be written out synchronously right after each
 * batch: the writer never holds more than one batch's encoding, whatever the artifact's size.
 */
class ChunkCollector extends AsyncByteQueue {
  chunks: Uint8Array[] = [];
  override write(chunk: Uint8Array): void {
    if (chunk.byteLength > 0) this.chunks.push(chunk);
  }
}

/** Arrow's file writer, exposing how many record batches it has framed (a check that none was dropped). */
class CountingFileWriter extends RecordBatchFileWriter {
  get recordBatchCount(): number {
    return this._recordBatchBlocks.length;
  }
}

/**
 * Streams one artifact into its staged file in the Arrow IPC file format, batch by batch, hashing
 * every byte on the way. Handed to the producer callback of `ArtifactStore.write`; `append` is
 * synchronous, so a producer may reuse its arrays as soon as it returns.
 */
export class ArtifactWriter {
  private readonly arrow = new CountingFileWriter();
  private readonly collector = new ChunkCollector();
  private rows = 0;
  private batches = 0;
  private bytes = 0;
  private state: 'open' | 'finished' | 'failed' = 'open';

  /** @internal Created by the store. */
  constructor(
    private readonly fd: number,
    /** The artifact's schema, metadata included. */
    readonly schema: Schema,
    private readonly target: BatchTarget,
    private readonly label: string,
    private readonly hash: Hash,
  ) {
    this.arrow.reset(this.collector, schema);
    this.flush();
  }

  /** Rows appended so far. */
  get rowCount(): number {
    return this.rows;
  }

  /** Non-empty batches written so far. */
  get batchCount(): number {
    return this.batches;
  }

  /** Bytes written to the file so far. */
  get byteCount(): number {
    return this.bytes;
  }

  /**
   * Append rows: a RecordBatch or Table of the artifact's columns (types must match exactly, column
   * order may differ), `{ column: values }`, or `[{ row }, ...]`. Input errors name the kind and the
   * column, and leave the file as it was (the producer may catch them and go on).
   */
  append(input: AppendInput): void {
    this.requireOpen();
    if (input instanceof Table) {
      for (const batch of input.batches) this.append(batch);
      return;
    }
    const batch =
      input instanceof RecordBatch
        ? conformRecordBatch(this.target, input, this.label)
        : Array.isArray(input)
          ? buildRecordBatchFromRows(this.target, input, this.label)
          : buildRecordBatch(this.target, input as Readonly<Record<string, unknown>>, this.label);
    if (batch.numRows === 0) return;
    this.arrow.write(new RecordBatch(this.schema, batch.data));
    if (this.arrow.recordBatchCount !== this.batches + 1) {
      // Arrow's writer closes itself instead of writing a batch whose schema it finds different.
      this.state = 'failed';
      throw new ArtifactStoreError(`${this.label}: Arrow's writer did not take the batch (its schema differs from the artifact's)`);
    }
    this.flush();
    this.rows += batch.numRows;
    this.batches += 1;
  }

  /** @internal Write the footer; the store then syncs and publishes the file. */
  finish(): void {
    this.requireOpen();
    this.arrow.close();
    this.flush();
    this.state = 'finished';
  }

  private requireOpen(): void {
    if (this.state === 'finished') throw new ArtifactStoreError(`${this.label}: append after the producer returned (the artifact is already finished)`);
    if (this.state === 'failed') throw new ArtifactStoreError(`${this.label}: an earlier write to the artifact file failed`);
  }

  /** Hash and write out what the Arrow writer produced; a failed write poisons the writer. */
  private flush(): void {
    const chunks = this.collector.chunks;
    if (chunks.length === 0) return;
    this.collector.chunks = [];
    try {
      let total = 0;
      for (const c of chunks) {
        this.hash.update(c);
        total += c.byteLength;
      }
      let pending = chunks;
      let left = total;
      while (left > 0) {
        const written = writevSync(this.fd, pending);
        left -= written;
        if (left > 0) pending = dropBytes(pending, written);
      }
      this.bytes += total;
    } catch (err) {
      this.state = 'failed';
      throw err;
    }
  }
}

/** The chunks that remain after the first `n` bytes were written (a short writev). */
function dropBytes(chunks: Uint8Array[], n: number): Uint8Array[] {
  const rest: Uint8Array[] = [];
  for (const c of chunks) {
    if (n >= c.byteLength) {
      n -= c.byteLength;
    } else {
      rest.push(n > 0 ? c.subarray(n) : c);
      n = 0;
    }
  }
  return rest;
}
