import {
  Bool,
  type Data,
  type DataType,
  type Field,
  Float32,
  Int32,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Type,
  util,
  Utf8,
} from 'apache-arrow';
import { ArtifactInputError } from '../errors.js';
import { columnTypeOf, type ColumnType } from './columns.js';
import type { ArtifactKindSpec, ColumnsOf, RowOf } from './kinds.js';

/** What a batch is built for: a shared table kind, or any Arrow schema (label names it in errors). */
export type BatchTarget = ArtifactKindSpec | Schema;

interface TargetColumn {
  readonly field: Field;
  readonly type: ColumnType | undefined;
  readonly allowed: ReadonlySet<string> | undefined;
}

interface Target {
  readonly label: string;
  readonly schema: Schema;
  readonly columns: readonly TargetColumn[];
  readonly byName: ReadonlyMap<string, number>;
}

/** Largest utf8 column body Arrow's 32-bit offsets can address. */
const MAX_UTF8_BYTES = 2 ** 31 - 1;

/**
 * A RecordBatch of `target`'s schema from whole columns, e.g.
 * `buildRecordBatch(LAYERS, { model: [...], hidden_index: Int32Array.of(...), ... })`.
 * Float32Array / Int32Array columns are used without a copy; plain arrays are converted (float32
 * rounds to nearest; int32 must hold integers in range). Every column must be present, none extra,
 * all of one length; utf8 columns with a declared value set only take those values. Errors name the
 * kind (or label) and the column, and the row where a value is wrong.
 */
export function buildRecordBatch<K extends ArtifactKindSpec>(kind: K, columns: ColumnsOf<K>): RecordBatch;
export function buildRecordBatch(target: BatchTarget, columns: Readonly<Record<string, unknown>>, label?: string): RecordBatch;
export function buildRecordBatch(target: BatchTarget, columns: Readonly<Record<string, unknown>>, label?: string): RecordBatch {
  const t = resolveTarget(target, label);
  if (typeof columns !== 'object' || columns === null || Array.isArray(columns)) {
    throw new ArtifactInputError(`${t.label}: columns must be an object of column name -> values`);
  }
  for (const name of Object.keys(columns)) requireKnown(t, name);
  let length: number | undefined;
  let lengthFrom = '';
  const children = t.columns.map((col) => {
    const name = col.field.name;
    if (!Object.hasOwn(columns, name) || columns[name] === undefined) throw new ArtifactInputError(`${t.label}: missing column '${name}'`);
    const data = columnData(t, col, columns[name]);
    if (length === undefined) {
      length = data.length;
      lengthFrom = name;
    } else if (data.length !== length) {
      throw new ArtifactInputError(`${t.label}: column '${name}' has ${data.length} values but column '${lengthFrom}' has ${length}`);
    }
    return data;
  });
  return assemble(t.schema, children, length ?? 0);
}

/**
 * A RecordBatch of `target`'s schema from row objects (convenient for small tables: one object per
 * layer, head, ...). Every row must have every column and no other key.
 */
export function buildRecordBatchFromRows<K extends ArtifactKindSpec>(kind: K, rows: readonly RowOf<K>[]): RecordBatch;
export function buildRecordBatchFromRows(target: BatchTarget, rows: readonly Readonly<Record<string, unknown>>[], label?: string): RecordBatch;
export function buildRecordBatchFromRows(target: BatchTarget, rows: readonly Readonly<Record<string, unknown>>[], label?: string): RecordBatch {
  const t = resolveTarget(target, label);
  if (!Array.isArray(rows)) throw new ArtifactInputError(`${t.label}: rows must be an array of objects`);
  const columns: Record<string, unknown[]> = {};
  for (const col of t.columns) columns[col.field.name] = new Array<unknown>(rows.length);
  rows.forEach((row, i) => {
    if (typeof row !== 'object' || row === null) throw new ArtifactInputError(`${t.label}: row ${i} is not an object`);
    for (const name of Object.keys(row)) requireKnown(t, name, `row ${i}: `);
    for (const col of t.columns) {
      const name = col.field.name;
      if (!Object.hasOwn(row, name) || row[name] === undefined) throw new ArtifactInputError(`${t.label}: row ${i} lacks column '${name}'`);
      columns[name][i] = row[name];
    }
  });
  return buildRecordBatch(t.schema, columns, t.label);
}

/**
 * Check an existing RecordBatch against `target` and return it with `target`'s schema (columns put in
 * the declared order, schema metadata replaced). Column types must match exactly: a Float64 column
 * for a float32 one is an error, not a silent cast (pass plain columns to `buildRecordBatch` to
 * convert). Columns may not hold nulls where the field is not nullable.
 */
export function conformRecordBatch(target: BatchTarget, batch: RecordBatch, label?: string): RecordBatch {
  const t = resolveTarget(target, label);
  if (!(batch instanceof RecordBatch)) throw new ArtifactInputError(`${t.label}: expected an Arrow RecordBatch`);
  const given = new Map<string, number>();
  batch.schema.fields.forEach((f, i) => {
    requireKnown(t, f.name);
    given.set(f.name, i);
  });
  const children = t.columns.map((col) => {
    const name = col.field.name;
    const index = given.get(name);
    if (index === undefined) throw new ArtifactInputError(`${t.label}: missing column '${name}'`);
    const actual = batch.schema.fields[index].type;
    const child = batch.data.children[index];
    if (!sameType(col.field.type, actual)) {
      const hint =
        actual.typeId === Type.Dictionary
          ? ' (a dictionary-encoded column, as tableFromArrays makes for strings: pass the plain string array to buildRecordBatch)'
          : col.type
            ? ' (pass plain columns to buildRecordBatch to convert)'
            : '';
      throw new ArtifactInputError(`${t.label}: column '${name}' is ${String(actual)}, expected ${String(col.field.type)}${hint}`);
    }
    if (!col.field.nullable && child.nullCount > 0) {
      throw new ArtifactInputError(`${t.label}: column '${name}' holds ${child.nullCount} nulls but is not nullable (use NaN or a sentinel)`);
    }
    if (col.allowed) {
      const vector = batch.getChildAt(index)!;
      for (let i = 0; i < vector.length; i++) requireAllowed(t, col, vector.get(i) as string, i);
    }
    return child;
  });
  return assemble(t.schema, children, batch.numRows);
}

function resolveTarget(target: BatchTarget, label: string | undefined): Target {
  const spec = target instanceof Schema ? undefined : target;
  const schema = spec ? spec.schema : (target as Schema);
  if (!(schema instanceof Schema)) throw new ArtifactInputError(`${label ?? 'artifact'}: expected an artifact kind or an Arrow Schema`);
  const allowedByName = new Map<string, ReadonlySet<string>>();
  for (const c of spec?.columns ?? []) if (c.allowed) allowedByName.set(c.name, new Set(c.allowed));
  const columns = schema.fields.map((field) => ({ field, type: columnTypeOf(field.type), allowed: allowedByName.get(field.name) }));
  return {
    label: label ?? spec?.kind ?? schema.metadata.get('sinkscope.kind') ?? 'artifact',
    schema,
    columns,
    byName: new Map(schema.fields.map((f, i) => [f.name, i])),
  };
}

function requireKnown(t: Target, name: string, prefix = ''): void {
  if (t.byName.has(name)) return;
  const names = t.columns.map((c) => c.field.name);
  const guess = closest(name, names);
  throw new ArtifactInputError(
    `${t.label}: ${prefix}unknown column '${name}'${guess ? ` (did you mean '${guess}'?)` : ''}; columns are ${names.join(', ')}`,
  );
}

function requireAllowed(t: Target, col: TargetColumn, value: string, row: number): void {
  if (!col.allowed!.has(value)) {
    throw new ArtifactInputError(`${t.label}: column '${col.field.name}' row ${row} is '${value}'; allowed: ${[...col.allowed!].join(', ')}`);
  }
}

/** Arrow Data for one column from the values given for it. */
function columnData(t: Target, col: TargetColumn, values: unknown): Data {
  const name = col.field.name;
  const where = `${t.label}: column '${name}'`;
  switch (col.type) {
    case 'float32': {
      const data = float32Values(where, values);
      return makeData({ type: new Float32(), length: data.length, nullCount: 0, data });
    }
    case 'int32': {
      const data = int32Values(where, values);
      return makeData({ type: new Int32(), length: data.length, nullCount: 0, data });
    }
    case 'bool':
      return boolData(where, values);
    case 'utf8': {
      const data = utf8Data(where, values);
      if (col.allowed) (values as readonly string[]).forEach((v, i) => requireAllowed(t, col, v, i));
      return data;
    }
    default:
      throw new ArtifactInputError(
        `${where} is ${String(col.field.type)}; the column helpers build float32, int32, utf8 and bool columns only (append a RecordBatch for this one)`,
      );
  }
}

function float32Values(where: string, values: unknown): Float32Array {
  if (values instanceof Float32Array) return values;
  if (values instanceof Float64Array) return Float32Array.from(values);
  if (!Array.isArray(values)) throw new ArtifactInputError(`${where} must be a Float32Array, Float64Array or number[]`);
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v: unknown = values[i];
    if (typeof v !== 'number') throw new ArtifactInputError(`${where} row ${i} is ${describe(v)}, not a number`);
    out[i] = v;
  }
  return out;
}

function int32Values(where: string, values: unknown): Int32Array {
  if (values instanceof Int32Array) return values;
  const isIntArray =
    values instanceof Int8Array || values instanceof Int16Array || values instanceof Uint8Array || values instanceof Uint16Array || values instanceof Uint32Array;
  if (!Array.isArray(values) && !isIntArray) throw new ArtifactInputError(`${where} must be an Int32Array or number[] of integers`);
  const list = values as ArrayLike<unknown>;
  const out = new Int32Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const v = list[i];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) {
      throw new ArtifactInputError(`${where} row ${i} is ${describe(v)}, not an int32`);
    }
    out[i] = v;
  }
  return out;
}

function boolData(where: string, values: unknown): Data {
  if (!Array.isArray(values)) throw new ArtifactInputError(`${where} must be a boolean[]`);
  const bits = new Uint8Array((values.length + 7) >> 3);
  for (let i = 0; i < values.length; i++) {
    const v: unknown = values[i];
    if (typeof v !== 'boolean') throw new ArtifactInputError(`${where} row ${i} is ${describe(v)}, not a boolean`);
    if (v) bits[i >> 3] |= 1 << (i & 7);
  }
  return makeData({ type: new Bool(), length: values.length, nullCount: 0, data: bits });
}

/** Utf8 Data written directly (offsets + UTF-8 bytes), far faster than Arrow's generic builder. */
function utf8Data(where: string, values: unknown): Data {
  if (!Array.isArray(values)) throw new ArtifactInputError(`${where} must be a string[]`);
  const offsets = new Int32Array(values.length + 1);
  let total = 0;
  for (let i = 0; i < values.length; i++) {
    const v: unknown = values[i];
    if (typeof v !== 'string') throw new ArtifactInputError(`${where} row ${i} is ${describe(v)}, not a string`);
    total += Buffer.byteLength(v, 'utf8');
    if (total > MAX_UTF8_BYTES) throw new ArtifactInputError(`${where} holds more than 2 GiB of text; split it over several batches`);
    offsets[i + 1] = total;
  }
  const bytes = Buffer.allocUnsafe(total);
  for (let i = 0; i < values.length; i++) bytes.write(values[i] as string, offsets[i], 'utf8');
  return makeData({ type: new Utf8(), length: values.length, nullCount: 0, valueOffsets: offsets, data: new Uint8Array(bytes.buffer, bytes.byteOffset, total) });
}

/** Arrow's type comparison without its type-guard narrowing. */
function sameType(a: DataType, b: DataType): boolean {
  return util.compareTypes(a, b);
}

function assemble(schema: Schema, children: Data[], length: number): RecordBatch {
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length, nullCount: 0, children }));
}

function describe(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'bigint') return `${v}n`;
  if (v === null || v === undefined || typeof v === 'number' || typeof v === 'boolean') return String(v);
  return Array.isArray(v) ? 'an array' : `a ${typeof v}`;
}

/** The candidate within edit distance 2 of `name` (the likeliest typo), if any. */
function closest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const c of candidates) {
    const d = editDistance(name.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length];
}
