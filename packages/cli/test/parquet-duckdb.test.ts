// Every artifact kind, exported by `sinkscope export --format parquet` (run in-process) and read back
// by DuckDB (@duckdb/node-api: a Parquet reader that shares no code with the parquet-wasm writer), row
// counts, column types, every value and the sinkscope.* metadata compared with the Arrow artifact. The
// values include what breaks readers: NaN, -0, +-Infinity, float32 extremes and subnormals, int32
// limits, empty and non-ASCII strings, empty lists. (The optional pyarrow check stays in
// packages/artifacts/src/parquet/export-parquet.test.ts.)
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { ABLATION_BASELINE_MEANS, ABLATION_EFFECTS, ABLATION_SEQUENCES } from '@sinkscope/ablation';
import { ARTIFACT_KINDS, ArtifactStore, buildArtifactMetadata, hashInputs, type Sha256Hex } from '@sinkscope/artifacts';
import { ACTIVATIONS_KIND, ACTIVATIONS_SCHEMA_VERSION, activationsSchema, LAYER_ENTROPY, LAYER_METRICS, REPO_ROOT, SINK_K } from '@sinkscope/pipeline';
import { type DataType, type Field, makeData, RecordBatch, type Schema, Struct, type Table, Type, vectorFromArray } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';

interface KindUnderTest {
  readonly kind: string;
  readonly schema: Schema;
  /** Schema version for kinds other than the shared tables. */
  readonly version?: number;
  /** utf8 columns that only take listed values. */
  readonly allowed?: Readonly<Record<string, readonly string[]>>;
}

const KINDS: KindUnderTest[] = [
  ...Object.values(ARTIFACT_KINDS).map((k) => ({
    kind: k.kind,
    schema: k.schema,
    allowed: Object.fromEntries(k.columns.flatMap((c) => (c.allowed ? [[c.name, c.allowed]] : []))),
  })),
  { kind: ACTIVATIONS_KIND, schema: activationsSchema(), version: ACTIVATIONS_SCHEMA_VERSION },
  ...[LAYER_METRICS, LAYER_ENTROPY, SINK_K, ABLATION_SEQUENCES, ABLATION_BASELINE_MEANS, ABLATION_EFFECTS].map((k) => ({ kind: k.kind, schema: k.schema, version: k.version })),
];

const FLOAT_SPECIALS = [NaN, -0, Infinity, -Infinity, 3.4028234663852886e38, -3.4028234663852886e38, 1.401298464324817e-45, -1.1754943508222875e-38, 0];
const STRINGS = ['gpt2', 'Llama-3 "8B" ✓', 'ωmega', '', 'tab\tand\nnewline', 'emoji 🙂', "quote ' and \\ backslash"];
const INTS = [-(2 ** 31), 2 ** 31 - 1, 0, -1];

const floatAt = (i: number, salt: number) => (i < FLOAT_SPECIALS.length ? FLOAT_SPECIALS[(i + salt) % FLOAT_SPECIALS.length] : Math.fround(Math.sin(i * 1.7 + salt) * 10 ** ((i % 9) - 4)));

/** One column of `n` awkward values for a field (row `offset` onwards). */
function columnValues(field: Field, n: number, offset: number, salt: number, allowed: readonly string[] | undefined): unknown[] {
  return Array.from({ length: n }, (_, r) => {
    const i = offset + r;
    switch (field.type.typeId) {
      case Type.Utf8:
        return allowed ? allowed[i % allowed.length] : STRINGS[(i + salt) % STRINGS.length];
      case Type.Int:
        return i < INTS.length ? INTS[(i + salt) % INTS.length] : ((i * 7919 + salt) % 20011) - 10000;
      case Type.Float:
        return floatAt(i, salt);
      case Type.Bool:
        return (i + salt) % 3 === 0;
      case Type.List:
        return Array.from({ length: (i + salt) % 5 }, (_, j) => floatAt(i * 5 + j, salt));
      default:
        throw new Error(`no generator for ${field.name}: ${String(field.type)}`);
    }
  });
}

function batchOf(k: KindUnderTest, n: number, offset: number): RecordBatch {
  const children = k.schema.fields.map((f, c) => {
    const values = columnValues(f, n, offset, c, k.allowed?.[f.name]);
    if (f.type.typeId === Type.Float) return makeData({ type: f.type, length: n, nullCount: 0, data: Float32Array.from(values as number[]) });
    if (f.type.typeId === Type.Int) return makeData({ type: f.type, length: n, nullCount: 0, data: Int32Array.from(values as number[]) });
    return vectorFromArray(values, f.type as DataType).data[0];
  });
  return new RecordBatch(k.schema, makeData({ type: new Struct(k.schema.fields), length: n, nullCount: 0, children }));
}

/** A JS value of an Arrow cell, float32 kept exact (NaN and -0 compare with Object.is). */
function arrowCell(table: Table, column: string, row: number): unknown {
  const v = table.getChild(column)!.get(row) as unknown;
  if (v !== null && typeof v === 'object' && 'toArray' in (v as object)) return Array.from((v as { toArray(): ArrayLike<number> }).toArray());
  return v;
}

function sameCell(duck: unknown, arrow: unknown, isFloat: boolean): boolean {
  if (Array.isArray(arrow)) return Array.isArray(duck) && duck.length === arrow.length && arrow.every((a, i) => Object.is(Math.fround(duck[i] as number), a));
  if (isFloat) return Object.is(Math.fround(duck as number), arrow);
  return Object.is(duck, arrow);
}

const show = (v: unknown): string => (Object.is(v, -0) ? '-0' : Array.isArray(v) ? `[${v.map(show).join(', ')}]` : String(v));

const DUCK_TYPES: Partial<Record<Type, string>> = { [Type.Utf8]: 'VARCHAR', [Type.Int]: 'INTEGER', [Type.Float]: 'FLOAT', [Type.Bool]: 'BOOLEAN', [Type.List]: 'FLOAT[]' };

let tmp: string;
let store: ArtifactStore;
let duck: DuckDBConnection;
let instance: DuckDBInstance;
const savedCache = process.env.SINKSCOPE_CACHE;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'sinkscope-duckdb-'));
  process.env.SINKSCOPE_CACHE = join(tmp, 'cache');
  store = new ArtifactStore({ root: join(tmp, 'cache') });
  // never reach out for extensions: Parquet is built into the npm package's binary
  instance = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' });
  duck = await instance.connect();
});
afterAll(() => {
  duck?.closeSync();
  instance?.closeSync();
  if (savedCache === undefined) delete process.env.SINKSCOPE_CACHE;
  else process.env.SINKSCOPE_CACHE = savedCache;
  rmSync(tmp, { recursive: true, force: true });
});

/** `sinkscope export` in-process; returns its exit code and what it printed. */
async function exportCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const write = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };
  process.stdout.write = ((chunk: string) => (out.push(String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => (err.push(String(chunk)), true)) as typeof process.stderr.write;
  try {
    const code = await main(['export', ...args]);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
}

describe('Parquet exports read back by DuckDB', () => {
  it('covers every artifact kind the sources declare', () => {
    // kinds are declared as `kind: '<name>',` followed by `version:`; a new one must be added to KINDS
    const declared = new Set<string>([ACTIVATIONS_KIND]);
    const walk = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [join(dir, e.name)] : []));
    for (const pkg of readdirSync(join(REPO_ROOT, 'packages'))) {
      const src = join(REPO_ROOT, 'packages', pkg, 'src');
      if (!existsSync(src)) continue;
      for (const file of walk(src)) {
        for (const m of readFileSync(file, 'utf8').matchAll(/kind: '([a-z_]+)',\s*\n\s*version:/g)) declared.add(m[1]);
      }
    }
    expect(declared.size).toBeGreaterThanOrEqual(21);
    expect([...declared].sort()).toEqual(KINDS.map((k) => k.kind).sort());
  });

  it.each(KINDS.map((k) => [k.kind, k] as const))('%s: row count, column types, every value and the metadata', async (_name, k) => {
    const key = hashInputs({ duckdb: k.kind }) as Sha256Hex;
    const metadata = buildArtifactMetadata({
      kind: k.kind,
      ...(k.version !== undefined ? { schemaVersion: k.version } : {}),
      specHash: hashInputs({ spec: 'duckdb' }),
      model: 'Llama-3 "8B" ✓',
      dataset: 'fixture',
      bosPolicy: 'prepend-bos',
      engine: 'onnx',
      backend: 'cpu',
      versions: { '@duckdb/node-api': 'test' },
      extra: { seq_len: 17, eps: 0.3, emergence_hidden_index: 2, first_step_sink: 100, first_step_massive: -1, first_step_valley: 2000, note: 'ünïcode ✓' },
    });
    await store.write(k.kind, key, k.schema, metadata, (w) => {
      w.append(batchOf(k, 211, 0));
      w.append(batchOf(k, 97, 211));
    });
    const arrow = (await store.read(k.kind, key))!;
    const out = join(tmp, `${k.kind}.parquet`);
    const compression = k.kind === 'layers' ? 'snappy' : k.kind === 'heads' ? 'uncompressed' : 'zstd';
    const cli = await exportCli([`${k.kind}/${key.slice(0, 10)}`, '--format', 'parquet', '--out', out, '--compression', compression]);
    expect([cli.code, cli.stderr]).toEqual([0, '']);
    expect(cli.stdout).toContain(`(308 rows,`);

    const path = out.replaceAll("'", "''");
    const types = await duck.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${path}')`);
    expect(types.getRowObjectsJS().map((r) => [r.column_name, r.column_type])).toEqual(k.schema.fields.map((f) => [f.name, DUCK_TYPES[f.type.typeId as Type]]));
    const result = await duck.runAndReadAll(`SELECT * FROM read_parquet('${path}')`);
    const columns = result.getColumnsObjectJS();
    expect(result.currentRowCount).toBe(arrow.numRows);
    expect(arrow.numRows).toBe(308);
    for (const f of k.schema.fields) {
      const got = columns[f.name];
      const bad: string[] = [];
      for (let r = 0; r < arrow.numRows && bad.length < 3; r++) {
        const want = arrowCell(arrow, f.name, r);
        if (!sameCell(got[r], want, f.type.typeId === Type.Float)) bad.push(`row ${r}: duckdb ${show(got[r])}, arrow ${show(want)}`);
      }
      expect(bad, `${k.kind}.${f.name}`).toEqual([]);
    }

    // the sinkscope.* schema metadata, as Parquet key-value metadata
    const kv = await duck.runAndReadAll(`SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata('${path}')`);
    const parquetMeta = Object.fromEntries(kv.getRowObjectsJS().filter((r) => String(r.k).startsWith('sinkscope.')).map((r) => [r.k, r.v]));
    expect(parquetMeta).toEqual(Object.fromEntries([...arrow.schema.metadata].filter(([key]) => key.startsWith('sinkscope.'))));
    expect(parquetMeta['sinkscope.kind']).toBe(k.kind);
  });

  it('an export of a missing artifact is a one-line error and writes nothing', async () => {
    const out = join(tmp, 'missing.parquet');
    const cli = await exportCli(['layers/ffffffffff', '--out', out]);
    expect(cli.code).toBe(2);
    expect(cli.stderr).toBe('sinkscope export: no layers artifact with key ffffffffff...\n');
    expect(readdirSync(tmp).filter((f) => f.startsWith('missing'))).toEqual([]);
  });
});
