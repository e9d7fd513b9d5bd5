import { open, rename, rm } from 'node:fs/promises';
import { makeData, RecordBatch, RecordBatchReader, type Schema, Struct, Table, tableToIPC } from 'apache-arrow';
import * as parquet from 'parquet-wasm';
import { ArtifactInputError } from '../errors.js';
import { stagingName } from '../store/local/durable.js';

export type ParquetCompression = 'zstd' | 'snappy' | 'uncompressed';

export interface ParquetExportOptions {
  /** Column compression (default zstd: smaller than snappy at similar speed for float columns). */
  readonly compression?: ParquetCompression;
  /** Most rows per row group (default parquet-rs's 1 048 576). */
  readonly maxRowGroupSize?: number;
}

export interface ParquetExportResult {
  readonly path: string;
  readonly rowCount: number;
  readonly byteSize: number;
}

/** Batches with their schema, e.g. what `ArtifactStore.readBatches` returns. */
export interface BatchSource extends AsyncIterable<RecordBatch> {
  readonly schema: Schema;
}

const CODECS: Record<ParquetCompression, parquet.Compression> = {
  zstd: parquet.Compression.ZSTD,
  snappy: parquet.Compression.SNAPPY,
  uncompressed: parquet.Compression.UNCOMPRESSED,
};

/**
 * Write Arrow data as a Parquet file with parquet-wasm, batch by batch (memory is bounded by one row
 * group, not the file; wasm32 memory could not hold a multi-GB table anyway). `source` is the path of
 * an Arrow IPC file (not verified: use `ArtifactStore.exportParquet` for stored artifacts), a Table,
 * or a batch source. The Arrow schema metadata is kept twice: inside the embedded Arrow schema (for
 * Arrow readers) and as the file's Parquet key-value metadata (for every other reader). The file
 * appears atomically (temp file + rename).
 */
export async function exportParquet(source: string | Table | BatchSource, outPath: string, options: ParquetExportOptions = {}): Promise<ParquetExportResult> {
  const compression = options.compression ?? 'zstd';
  if (!Object.hasOwn(CODECS, compression)) throw new ArtifactInputError(`exportParquet: compression '${compression}' is not one of ${Object.keys(CODECS).join(', ')}`);
  const input = await openSource(source);
  const tmp = stagingName(outPath);
  let rowCount = 0;
  try {
    let props = new parquet.WriterPropertiesBuilder()
      .setCompression(CODECS[compression])
      .setKeyValueMetadata(new Map(input.schema.metadata));
    if (options.maxRowGroupSize !== undefined) props = props.setMaxRowGroupSize(options.maxRowGroupSize);
    const iterator = input.batches[Symbol.asyncIterator]();
    let sentAny = false;
    // Pull-based: the next Arrow batch is read only when the Parquet writer asks for it.
    const wasmBatches = new ReadableStream<parquet.RecordBatch>({
      async pull(controller) {
        const next = await iterator.next();
        if (next.done && sentAny) {
          controller.close();
          return;
        }
        // A Parquet file needs at least one batch to carry the schema: send an empty one if there were none.
        const batch = next.done ? emptyBatch(input.schema) : next.value;
        sentAny = true;
        rowCount += batch.numRows;
        const table = parquet.Table.fromIPCStream(tableToIPC(new Table([batch]), 'stream'));
        try {
          for (const b of table.recordBatches()) controller.enqueue(b);
        } finally {
          table.free();
        }
        if (next.done) controller.close();
      },
      async cancel() {
        await iterator.return?.();
      },
    });
    const bytes = await parquet.transformParquetStream(wasmBatches, props.build());
    const out = await open(tmp, 'wx');
    let byteSize = 0;
    try {
      for await (const chunk of bytes as ReadableStream<Uint8Array>) {
        await out.write(chunk);
        byteSize += chunk.byteLength;
      }
      await out.sync();
    } finally {
      await out.close();
    }
    await rename(tmp, outPath);
    return { path: outPath, rowCount, byteSize };
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  } finally {
    await input.close();
  }
}

async function openSource(source: string | Table | BatchSource): Promise<{ schema: Schema; batches: AsyncIterable<RecordBatch>; close(): Promise<void> }> {
  if (typeof source === 'string') {
    const handle = await open(source, 'r');
    try {
      const reader = await RecordBatchReader.from(handle);
      await reader.open();
      return { schema: reader.schema, batches: reader as AsyncIterable<RecordBatch>, close: () => handle.close() };
    } catch (err) {
      await handle.close();
      throw new ArtifactInputError(`exportParquet: ${source} is not a readable Arrow IPC file (${(err as Error).message})`);
    }
  }
  if (source instanceof Table) {
    return { schema: source.schema, batches: toAsync(source.batches), close: async () => undefined };
  }
  return { schema: source.schema, batches: source, close: async () => undefined };
}

async function* toAsync<T>(items: Iterable<T>): AsyncIterable<T> {
  yield* items;
}

function emptyBatch(schema: Schema): RecordBatch {
  const children = schema.fields.map((f) => makeData({ type: f.type, length: 0, nullCount: 0 }));
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: 0, nullCount: 0, children }));
}
