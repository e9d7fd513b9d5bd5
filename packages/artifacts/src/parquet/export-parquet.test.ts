import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordBatch, Schema, Table, tableFromIPC, tableToIPC } from 'apache-arrow';
import * as parquet from 'parquet-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashInputs } from '../hash/hash-inputs.js';
import { MASSIVE, type RowOf } from '../schema/kinds.js';
import { buildArtifactMetadata } from '../schema/metadata.js';
import { buildRecordBatchFromRows } from '../schema/record-batch.js';
import { ArtifactStore } from '../store/artifact-store.js';
import { exportParquet } from './export-parquet.js';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'sinkscope-parquet-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const metadata = buildArtifactMetadata({
  kind: 'massive',
  specHash: hashInputs({ spec: 'parquet' }),
  model: 'gpt2',
  dataset: 'fixture',
  bosPolicy: 'prepend-bos',
  engine: 'onnx',
  backend: 'cpu',
  versions: { 'parquet-wasm': '0.8.0' },
  extra: { seq_len: 17, eps: 0.3, emergence_hidden_index: 2 },
});

/** Two batches of `massive` rows with the awkward values: NaN, -0, ±Infinity, float32 extremes, non-ASCII, int32 limits. */
function massiveTable(): Table {
  const rows = (offset: number, n: number): RowOf<typeof MASSIVE>[] =>
    Array.from({ length: n }, (_, i) => {
      const j = offset + i;
      const specials = [NaN, -0, Infinity, -Infinity, 3.4028234663852886e38, 1.401298464324817e-45, -1.1754943508222875e-38];
      return {
        model: j % 3 === 0 ? 'gpt2' : j % 3 === 1 ? 'Llama-3 "8B" ✓' : 'ωmega',
        hidden_index: j,
        rank: (j * 7) % 5,
        value: j < specials.length ? specials[j] : Math.sin(j) * 1e4,
        abs_value: Math.abs(Math.sin(j) * 1e4),
        token: j === 0 ? -(2 ** 31) : j === 1 ? 2 ** 31 - 1 : j,
        dim: j * 3,
        median_abs: j / 7,
        over_100: j % 2 === 0,
        over_1000x_median: j % 5 === 0,
      };
    });
  // Attach the artifact metadata the way the store does.
  const schema = new Schema(MASSIVE.schema.fields, metadata);
  return new Table([rows(0, 700), rows(700, 333)].map((r) => new RecordBatch(schema, buildRecordBatchFromRows(MASSIVE, r).data)));
}

/** Bitwise comparison of every column (float32 by their bits, so NaN and -0 count), fields and metadata. */
function expectIdentical(actual: Table, expected: Table): void {
  expect(actual.numRows).toBe(expected.numRows);
  expect(actual.schema.fields.map((f) => [f.name, String(f.type), f.nullable])).toEqual(expected.schema.fields.map((f) => [f.name, String(f.type), f.nullable]));
  expect(actual.schema.metadata).toEqual(expected.schema.metadata);
  for (const f of expected.schema.fields) {
    const want = expected.getChild(f.name)!.toArray() as ArrayLike<unknown>;
    const got = actual.getChild(f.name)!.toArray() as ArrayLike<unknown>;
    if (want instanceof Float32Array) {
      expect(new Uint32Array(Float32Array.from(got as Float32Array).buffer), f.name).toEqual(new Uint32Array(Float32Array.from(want).buffer));
    } else {
      expect(Array.from(got), f.name).toEqual(Array.from(want));
    }
  }
}

function readBack(path: string): Table {
  return tableFromIPC(parquet.readParquet(readFileSync(path)).intoIPCStream());
}

async function parquetFileMetadata(path: string) {
  const file = await parquet.ParquetFile.fromFile(new Blob([readFileSync(path)]));
  const meta = file.metadata();
  const result = {
    keyValue: meta.fileMetadata().keyValueMetadata() as Map<string, string>,
    rowGroups: meta.numRowGroups(),
    codecs: new Set(meta.rowGroups().flatMap((g) => g.columns().map((c) => c.compression()))),
  };
  file.free();
  return result;
}

describe('exportParquet', () => {
  const table = massiveTable();

  it('round-trips every value, type and schema metadata key through Parquet (zstd)', async () => {
    const out = join(tmp, 'massive.parquet');
    const result = await exportParquet(table, out);
    expect(result).toEqual({ path: out, rowCount: 1033, byteSize: readFileSync(out).length });
    expect(readFileSync(out).subarray(0, 4).toString()).toBe('PAR1');
    expectIdentical(readBack(out), table);
    const meta = await parquetFileMetadata(out);
    expect(meta.codecs).toEqual(new Set([parquet.Compression.ZSTD]));
    // Parquet keeps the sinkscope keys as plain key-value metadata too (for readers without Arrow).
    for (const [k, v] of metadata) expect(meta.keyValue.get(k), k).toBe(v);
    expect(meta.keyValue.has('ARROW:schema')).toBe(true);
    expect(readdirSync(tmp).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('writes snappy or uncompressed when asked, and splits row groups', async () => {
    const snappy = join(tmp, 'snappy.parquet');
    await exportParquet(table, snappy, { compression: 'snappy', maxRowGroupSize: 500 });
    expectIdentical(readBack(snappy), table);
    const meta = await parquetFileMetadata(snappy);
    expect([meta.codecs, meta.rowGroups]).toEqual([new Set([parquet.Compression.SNAPPY]), 3]);
    const plain = join(tmp, 'plain.parquet');
    await exportParquet(table, plain, { compression: 'uncompressed' });
    expect((await parquetFileMetadata(plain)).codecs).toEqual(new Set([parquet.Compression.UNCOMPRESSED]));
    await expect(exportParquet(table, plain, { compression: 'lz4' as never })).rejects.toThrow("compression 'lz4' is not one of zstd, snappy, uncompressed");
  });

  it('exports from an Arrow IPC file path and from a stored artifact', async () => {
    const arrowPath = join(tmp, 'massive.arrow');
    writeFileSync(arrowPath, tableToIPC(table, 'file'));
    const fromPath = join(tmp, 'from-path.parquet');
    expect((await exportParquet(arrowPath, fromPath)).rowCount).toBe(1033);
    expectIdentical(readBack(fromPath), table);

    const store = new ArtifactStore({ root: join(tmp, 'cache') });
    const key = hashInputs({ parquet: 'artifact' });
    await store.write('massive', key, MASSIVE.schema, metadata, (w) => w.append(table));
    const fromStore = join(tmp, 'from-store.parquet');
    expect((await store.exportParquet('massive', key, fromStore))?.rowCount).toBe(1033);
    expectIdentical(readBack(fromStore), (await store.read('massive', key))!);
    expect(await store.exportParquet('massive', hashInputs('missing'), join(tmp, 'none.parquet'))).toBeUndefined();

    writeFileSync(join(tmp, 'junk.arrow'), 'not arrow');
    await expect(exportParquet(join(tmp, 'junk.arrow'), join(tmp, 'junk.parquet'))).rejects.toThrow(/junk\.arrow is not a readable Arrow IPC file/);
  });

  it('exports an empty table with its schema and metadata', async () => {
    const empty = new Table(table.schema);
    const out = join(tmp, 'empty.parquet');
    expect((await exportParquet(empty, out)).rowCount).toBe(0);
    const back = readBack(out);
    expect(back.numRows).toBe(0);
    expect(back.schema.fields.map((f) => f.name)).toEqual(MASSIVE.columns.map((c) => c.name));
    expect(back.schema.metadata).toEqual(table.schema.metadata);
  });

  const python = spawnSync('python3', ['-c', 'import pyarrow.parquet'], { encoding: 'utf8' });
  const hasPyarrow = python.status === 0;
  if (!hasPyarrow) console.info('export-parquet.test: skipping the pyarrow cross-check (python3 has no pyarrow here)');
  it.skipIf(!hasPyarrow)('pyarrow reads the same values and metadata (skipped when python3 lacks pyarrow)', async () => {
    const out = join(tmp, 'for-pyarrow.parquet');
    await exportParquet(table, out);
    const script = [
      'import json, sys, pyarrow.parquet as pq',
      't = pq.read_table(sys.argv[1])',
      'meta = {k.decode(): v.decode() for k, v in (t.schema.metadata or {}).items() if k.decode().startswith("sinkscope.")}',
      'print(json.dumps({"rows": t.num_rows, "types": [str(f.type) for f in t.schema], "meta": meta, "token": t.column("token").to_pylist()[:3], "model": t.column("model").to_pylist()[:3]}))',
    ].join('\n');
    const got = JSON.parse(execFileSync('python3', ['-c', script, out], { encoding: 'utf8' }));
    expect(got.rows).toBe(1033);
    expect(got.types).toEqual(['string', 'int32', 'int32', 'float', 'float', 'int32', 'int32', 'float', 'bool', 'bool']);
    expect(got.meta).toEqual(Object.fromEntries(metadata));
    expect(got.token).toEqual([-(2 ** 31), 2 ** 31 - 1, 2]);
    expect(got.model).toEqual(['gpt2', 'Llama-3 "8B" ✓', 'ωmega']);
  });
});
