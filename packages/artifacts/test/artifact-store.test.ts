import { createHash } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Field, Float32, Int32, Schema, Table } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import {
  ArtifactStore,
  buildArtifactMetadata,
  buildRecordBatch,
  hashInputs,
  LAYERS,
  LocalFolderBackend,
  readArtifactMetadata,
} from '../src/index.js';
import { filesUnder, keyOf, layersColumns, layersMetadata } from './helpers/store-fixtures.js';
import { columnsOf, expectedColumns, expectSameColumns, storeFactory, writeLayers } from './helpers/store-test-kit.js';

const newStore = storeFactory();

describe('layout, manifest and cache hits', () => {
  const { root, store } = newStore('layout');
  const key = keyOf('layout');

  it('writes <root>/<kind>/<key[0:2]>/<key>.arrow and a manifest describing it', async () => {
    const manifest = await writeLayers(store, key, 4, 4, 1);
    expect(filesUnder(root)).toEqual([`layers/${key.slice(0, 2)}/${key}.arrow`, `layers/${key.slice(0, 2)}/${key}.json`]);
    const arrowPath = join(root, 'layers', key.slice(0, 2), `${key}.arrow`);
    const bytes = readFileSync(arrowPath);
    const onDisk = JSON.parse(readFileSync(arrowPath.replace(/\.arrow$/, '.json'), 'utf8'));
    expect(onDisk).toEqual(manifest);
    expect(manifest).toMatchObject({
      format: 'sinkscope.artifact',
      manifest_version: 1,
      kind: 'layers',
      key,
      schema_version: 2,
      row_count: 4,
      batch_count: 1,
      byte_size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      inputs: { model: 'gpt2', dataset: 'fixture-3x17', bos_policy: 'prepend-bos', engine: 'onnx', backend: 'cpu', spec_hash: hashInputs({ spec: 'test' }) },
    });
    expect(Date.parse(manifest.created)).toBeGreaterThan(Date.now() - 60_000);
    // Arrow IPC file format: "ARROW1" at both ends.
    expect(bytes.subarray(0, 6).toString()).toBe('ARROW1');
    expect(bytes.subarray(bytes.length - 6).toString()).toBe('ARROW1');
  });

  it('reads back every value and the schema metadata', async () => {
    const table = (await store.read('layers', key))!;
    expect(table.numRows).toBe(4);
    expect(columnsOf(table)).toEqual(expectedColumns(4, 1));
    expect(Number.isNaN(table.getChild('sink_rate')!.get(0))).toBe(true);
    const meta = readArtifactMetadata(table.schema);
    expect(meta).toMatchObject({ kind: 'layers', schemaVersion: 2, model: 'gpt2', engine: 'onnx', backend: 'cpu', bosPolicy: 'prepend-bos' });
    expect(meta.versions).toEqual({ '@sinkscope/artifacts': '0.1.0', 'apache-arrow': '21.2.0' });
    expect(meta.extra).toEqual({ eps: '0.3', seq_len: '17' });
    expect(table.schema.fields.map((f) => `${f.name}:${String(f.type)}:${f.nullable}`)).toEqual(
      LAYERS.schema.fields.map((f) => `${f.name}:${String(f.type)}:false`),
    );
  });

  it('misses on any other key and hits on the same key (ensure runs the producer once)', async () => {
    expect(await store.read('layers', keyOf('never written'))).toBeUndefined();
    expect(await store.readBatches('layers', keyOf('never written'))).toBeUndefined();
    expect(await store.verify('layers', keyOf('never written'))).toBeUndefined();
    let runs = 0;
    const produce = () => {
      runs += 1;
      return (w: { append(c: object): void }) => w.append(layersColumns(3, 7));
    };
    const k = keyOf('ensure');
    const first = await store.ensure('layers', k, LAYERS.schema, layersMetadata(), produce());
    const second = await store.ensure('layers', k, LAYERS.schema, layersMetadata(), () => {
      throw new Error('must not run on a hit');
    });
    expect([first.hit, second.hit, runs]).toEqual([false, true, 1]);
    expect(second.manifest).toEqual(first.manifest);
  });

  it('lists, stats and deletes artifacts', async () => {
    const listed = await store.list('layers');
    expect(listed.map((m) => m.key).sort()).toEqual([key, keyOf('ensure')].sort());
    expect(await store.list('heads')).toEqual([]);
    const stat = await store.backend.stat({ kind: 'layers', key });
    expect(stat.dataBytes).toBe(listed.find((m) => m.key === key)!.byte_size);
    expect(await store.delete('layers', keyOf('ensure'))).toBe(true);
    expect(await store.delete('layers', keyOf('ensure'))).toBe(false);
    expect((await store.list()).map((m) => m.key)).toEqual([key]);
  });

  it('takes its root from SINKSCOPE_CACHE, else .sinkscope/cache', () => {
    const saved = process.env.SINKSCOPE_CACHE;
    try {
      process.env.SINKSCOPE_CACHE = '/tmp/somewhere/cache';
      expect((new ArtifactStore().backend as LocalFolderBackend).root).toBe('/tmp/somewhere/cache');
      expect(new ArtifactStore().fileHashCachePath).toBe('/tmp/somewhere/cache/file-hashes.json');
      delete process.env.SINKSCOPE_CACHE;
      expect((new ArtifactStore().backend as LocalFolderBackend).root).toBe(join(process.cwd(), '.sinkscope/cache'));
    } finally {
      if (saved === undefined) delete process.env.SINKSCOPE_CACHE;
      else process.env.SINKSCOPE_CACHE = saved;
    }
  });
});

describe('streaming write and read', () => {
  const { store } = newStore('stream');
  const key = keyOf('stream');
  const rows = 60_000;
  const perBatch = 1_000;

  it('writes 60 batches and reads them back batch by batch, identical', async () => {
    const manifest = await writeLayers(store, key, rows, perBatch, 42);
    expect([manifest.row_count, manifest.batch_count]).toEqual([rows, rows / perBatch]);
    const batches = (await store.readBatches('layers', key))!;
    expect(batches.manifest).toEqual(manifest);
    expect(readArtifactMetadata(batches.schema).kind).toBe('layers');
    const expected = layersColumns(rows, 42);
    let seen = 0;
    let count = 0;
    for await (const batch of batches) {
      expect(batch.numRows).toBe(perBatch);
      expectSameColumns(batch, Object.fromEntries(Object.entries(expected).map(([k, v]) => [k, (v as Float32Array).slice(seen, seen + perBatch)])));
      seen += batch.numRows;
      count += 1;
    }
    expect([seen, count]).toEqual([rows, rows / perBatch]);
  });

  it('reads the same rows whole', async () => {
    const table = (await store.read('layers', key))!;
    expect(table.batches.length).toBe(rows / perBatch);
    expectSameColumns(table, layersColumns(rows, 42));
  });

  it('takes RecordBatches, Tables and row objects, and closes the file when iteration stops early', async () => {
    const k = keyOf('mixed inputs');
    const cols = layersColumns(6, 5);
    const rowsOf = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, j) => Object.fromEntries(Object.entries(cols).map(([c, v]) => [c, (v as ArrayLike<unknown>)[from + j]])));
    const whole = buildRecordBatch(LAYERS, layersColumns(6, 5));
    await store.write('layers', k, LAYERS.schema, layersMetadata(), (w) => {
      w.append(whole.slice(0, 1));
      w.append({ ...Object.fromEntries(Object.entries(cols).map(([c, v]) => [c, (v as Float32Array).slice(1, 2)])) });
      w.append(rowsOf(2, 4));
      w.append(rowsOf(0, 0)); // empty: skipped
      w.append(new Table([whole.slice(4, 6)])); // a slice with an offset into its buffers
      expect([w.rowCount, w.batchCount]).toEqual([6, 4]);
    });
    expect(columnsOf((await store.read('layers', k))!)).toEqual(expectedColumns(6, 5));
    const batches = (await store.readBatches('layers', k))!;
    for await (const b of batches) {
      expect(b.numRows).toBe(1);
      break;
    }
    await batches.close();
  });
});

describe('atomic writes', () => {
  const { root, store } = newStore('atomic');
  const key = keyOf('atomic');

  it('leaves nothing behind when the producer throws, and rethrows its error', async () => {
    await expect(
      store.write('layers', key, LAYERS.schema, layersMetadata(), (w) => {
        w.append(layersColumns(5, 1));
        w.append(layersColumns(5, 2));
        throw new Error('GPU fell off the bus');
      }),
    ).rejects.toThrow('GPU fell off the bus');
    expect(filesUnder(root)).toEqual([]);
    expect(await store.read('layers', key)).toBeUndefined();
  });

  it('rejects a wrong column by kind and name before anything is written', async () => {
    const cols: Record<string, unknown> = { ...layersColumns(2, 1) };
    cols.sinkrate = cols.sink_rate;
    delete cols.sink_rate;
    await expect(store.write('layers', key, LAYERS.schema, layersMetadata(), (w) => w.append(cols))).rejects.toThrow(
      "layers: unknown column 'sinkrate' (did you mean 'sink_rate'?)",
    );
    expect(filesUnder(root)).toEqual([]);
  });

  it('ignores a stray staging file and cleans it on the next write of the key', async () => {
    const dir = join(root, 'layers', key.slice(0, 2));
    // pid 4194305 is above Linux's PID_MAX_LIMIT (2^22), so no process can have it.
    const strays = [`${key}.arrow.tmp-4194305-0badc0de`, `${key}.json.tmp-4194305-0badc0de`];
    await new LocalFolderBackend({ root }).stage({ kind: 'layers', key: keyOf('other') });
    for (const s of strays) writeFileSync(join(dir, s), 'half a file');
    const otherKeyStray = join(root, 'layers', keyOf('other').slice(0, 2), `${keyOf('other')}.arrow.tmp-4194305-00`);
    writeFileSync(otherKeyStray, 'x');
    expect(await store.read('layers', key)).toBeUndefined();
    expect(filesUnder(dir)).toEqual(strays.sort());
    await writeLayers(store, key, 3, 3, 3);
    expect(filesUnder(dir)).toEqual([`${key}.arrow`, `${key}.json`]);
    // sweep() cleans strays of every key; staged files of live writers are kept.
    const live = await store.backend.stage({ kind: 'layers', key: keyOf('live') });
    writeFileSync(live.dataPath, 'in progress');
    expect(await store.sweep()).toEqual([otherKeyStray]);
    expect(statSync(live.dataPath).size).toBe(11);
    await store.backend.discard(live);
  });

  it('rejects incomplete metadata and a schema that is not the kind\'s, naming what is wrong', async () => {
    const meta = layersMetadata();
    meta.delete('sinkscope.bos_policy');
    meta.delete('sinkscope.eps');
    await expect(store.write('layers', key, LAYERS.schema, meta, () => undefined)).rejects.toThrow(
      "artifact 'layers': metadata lacks sinkscope.bos_policy, sinkscope.eps",
    );
    const wrong = new Schema(LAYERS.schema.fields.map((f) => (f.name === 'seq_len' ? new Field('seq_len', new Float32(), false) : f)));
    await expect(store.write('layers', key, wrong, layersMetadata(), () => undefined)).rejects.toThrow(
      "schema has column 15 'seq_len: Float32' where 'layers' declares 'seq_len: Int32'",
    );
    await expect(store.write('layers', 'not-a-hash', LAYERS.schema, layersMetadata(), () => undefined)).rejects.toThrow('is not a lowercase SHA-256 hex digest');
    await expect(store.write('Layers!', key, LAYERS.schema, layersMetadata(), () => undefined)).rejects.toThrow('is not a lowercase snake_case name');
    await expect(store.write('heads', key, LAYERS.schema, layersMetadata(), () => undefined)).rejects.toThrow("artifact 'heads'");
  });

  it('writes other kinds with their own schema and version', async () => {
    const schema = new Schema([new Field('token', new Int32(), false), new Field('value', new Float32(), false)]);
    const meta = buildArtifactMetadata({
      kind: 'hidden_norms',
      schemaVersion: 3,
      specHash: 'abc',
      model: 'm',
      dataset: 'd',
      bosPolicy: 'as-is',
      engine: 'tfjs',
      backend: 'wasm',
      versions: {},
    });
    const k = keyOf('custom');
    const manifest = await store.write('hidden_norms', k, schema, meta, (w) => w.append({ token: [0, 1], value: [0.5, 0.25] }), { inputs: { note: 'custom' } });
    expect([manifest.schema_version, manifest.inputs]).toEqual([3, { note: 'custom' }]);
    expect(columnsOf((await store.read('hidden_norms', k))!)).toEqual({ token: [0, 1], value: [0.5, 0.25] });
  });
});

