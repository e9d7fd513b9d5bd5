// Throughput of the artifact store: npx tsx packages/artifacts/bench/store-bench.ts [--mb 256]
// Prints one line per measurement. Single runs on a shared machine: compare ratios, not absolutes.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Field, Float32, Schema } from 'apache-arrow';
import {
  ArtifactStore,
  buildArtifactMetadata,
  buildRecordBatch,
  exportParquet,
  hashFile,
  hashInputs,
  PATTERN,
} from '../src/index.js';

const mbArg = process.argv.indexOf('--mb');
const floatMiB = mbArg > 0 ? Number(process.argv[mbArg + 1]) : 256;
const root = mkdtempSync(join(tmpdir(), 'sinkscope-bench-'));
const store = new ArtifactStore({ root });

function meta(kind: string, schemaVersion?: number) {
  return buildArtifactMetadata({
    kind,
    schemaVersion,
    specHash: hashInputs({ bench: kind }),
    model: 'gpt2',
    dataset: 'bench',
    bosPolicy: 'prepend-bos',
    engine: 'onnx',
    backend: 'cpu',
    versions: {},
    extra: { seq_len: 64, eps: 0.3 },
  });
}

async function timed<T>(label: string, bytes: number, rows: number, fn: () => Promise<T> | T): Promise<T> {
  const t0 = performance.now();
  const result = await fn();
  const s = (performance.now() - t0) / 1000;
  const rate = bytes > 0 ? `${(bytes / 2 ** 20 / s).toFixed(0).padStart(6)} MiB/s` : ''.padStart(13);
  const rowRate = rows > 0 ? `${(rows / s / 1e6).toFixed(2).padStart(6)} M rows/s` : '';
  console.log(`${label.padEnd(44)} ${s.toFixed(3).padStart(7)} s ${rate} ${rowRate}`);
  return result;
}

try {
  console.log(`node ${process.version}, ${new Date().toISOString()}`);
  const spec = { model: 'gpt2', layers: Array.from({ length: 12 }, (_, i) => ({ layer: i, hooks: ['resid_post', 'pattern'], eps: 0.3 })), dataset: { name: 'wikitext', n: 100, T: 64 } };
  const n = 20_000;
  await timed(`hashInputs x ${n} (${JSON.stringify(spec).length} B spec)`, 0, 0, () => {
    for (let i = 0; i < n; i++) hashInputs({ ...spec, i });
  });

  // 1. A large float capture: one float32 column, 1 Mi values per batch.
  const values = Math.round((floatMiB * 2 ** 20) / 4);
  const perBatch = 1 << 20;
  const floatSchema = new Schema([new Field('value', new Float32(), false)]);
  const floatKey = hashInputs({ bench: 'floats', values });
  const chunk = Float32Array.from({ length: perBatch }, (_, i) => Math.sin(i));
  const floatBatch = buildRecordBatch(floatSchema, { value: chunk }, 'hidden_states');
  await timed(`write ${floatMiB} MiB float32 (${values / perBatch} batches)`, values * 4, values, () =>
    store.write('hidden_states', floatKey, floatSchema, meta('hidden_states', 1), (w) => {
      for (let done = 0; done < values; done += perBatch) w.append(done + perBatch <= values ? floatBatch : floatBatch.slice(0, values - done));
    }),
  );
  const arrowPath = join(root, 'hidden_states', floatKey.slice(0, 2), `${floatKey}.arrow`);
  const fileBytes = statSync(arrowPath).size;
  await timed('hashFile (streamed SHA-256)', fileBytes, 0, () => hashFile(arrowPath));
  await timed('verify (size + SHA-256 + footer) = ensure hit', fileBytes, 0, () => store.verify('hidden_states', floatKey));
  await timed('read whole (verify + parse)', fileBytes, values, () => store.read('hidden_states', floatKey));
  await timed('readBatches + iterate', fileBytes, values, async () => {
    let sum = 0;
    for await (const b of (await store.readBatches('hidden_states', floatKey))!) sum += b.numRows;
    return sum;
  });

  // 2. A long-form attention table: utf8 + 5 int32 + 1 float32 per row.
  const rows = 1 << 21;
  const per = 1 << 16;
  const cols = {
    model: Array.from({ length: per }, () => 'gpt2'),
    layer: new Int32Array(per).fill(3),
    head: new Int32Array(per).fill(7),
    sequence: new Int32Array(per),
    query: Int32Array.from({ length: per }, (_, i) => i >> 8),
    key: Int32Array.from({ length: per }, (_, i) => i & 255),
    weight: Float32Array.from({ length: per }, (_, i) => 1 / (1 + (i & 255))),
  };
  const patternKey = hashInputs({ bench: 'pattern', rows });
  await timed(`build pattern batch from columns (${per} rows)`, 0, per, () => buildRecordBatch(PATTERN, cols));
  await timed(`write pattern ${rows} rows (build + append)`, 0, rows, () =>
    store.write('pattern', patternKey, PATTERN.schema, meta('pattern'), (w) => {
      for (let done = 0; done < rows; done += per) w.append(cols);
    }),
  );
  const patternBytes = statSync(join(root, 'pattern', patternKey.slice(0, 2), `${patternKey}.arrow`)).size;
  const table = (await timed('read pattern whole', patternBytes, rows, () => store.read('pattern', patternKey)))!;
  for (const compression of ['zstd', 'snappy'] as const) {
    const out = join(root, `pattern-${compression}.parquet`);
    const r = await timed(`exportParquet pattern (${compression}, from store)`, patternBytes, rows, () => store.exportParquet('pattern', patternKey, out, { compression }));
    console.log(`  ${compression}: ${(patternBytes / 2 ** 20).toFixed(1)} MiB arrow -> ${(r!.byteSize / 2 ** 20).toFixed(1)} MiB parquet`);
  }
  await timed('exportParquet pattern (zstd, from Table)', patternBytes, rows, () => exportParquet(table, join(root, 'pattern-table.parquet')));
} finally {
  rmSync(root, { recursive: true, force: true });
}
