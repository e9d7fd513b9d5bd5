import { Field, Float32, Float64, Int32, makeVector, RecordBatch, Schema, tableFromArrays, Utf8, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { HEADS, MASSIVE, NORMS, type RowOf } from './kinds.js';
import { buildRecordBatch, buildRecordBatchFromRows, conformRecordBatch } from './record-batch.js';

const headsRows: RowOf<typeof HEADS>[] = [
  { model: 'gpt2', layer: 0, head: 0, mean_alpha1: 0.1, sink_rate: 0 },
  { model: 'gpt2', layer: 0, head: 1, mean_alpha1: 0.95, sink_rate: 1 },
  { model: 'llamä', layer: 2, head: 3, mean_alpha1: NaN, sink_rate: 1 / 3 },
];

describe('buildRecordBatch / buildRecordBatchFromRows', () => {
  it('builds the declared schema and rounds numbers to float32 exactly once', () => {
    const batch = buildRecordBatchFromRows(HEADS, headsRows);
    expect(batch.schema.fields.map((f) => `${f.name}:${String(f.type)}:${f.nullable}`)).toEqual([
      'model:Utf8:false',
      'layer:Int32:false',
      'head:Int32:false',
      'mean_alpha1:Float32:false',
      'sink_rate:Float32:false',
    ]);
    expect(batch.toArray().map((r) => r.toJSON())).toEqual([
      { model: 'gpt2', layer: 0, head: 0, mean_alpha1: Math.fround(0.1), sink_rate: 0 },
      { model: 'gpt2', layer: 0, head: 1, mean_alpha1: Math.fround(0.95), sink_rate: 1 },
      { model: 'llamä', layer: 2, head: 3, mean_alpha1: NaN, sink_rate: Math.fround(1 / 3) },
    ]);
    expect(batch.getChild('mean_alpha1')!.get(0)).toBe(0.10000000149011612);
  });

  it('gives the same batch from rows and from columns, using Float32Array / Int32Array without a copy', () => {
    const alpha = Float32Array.of(0.1, 0.95, NaN);
    const heads = Int32Array.of(0, 1, 3);
    const fromColumns = buildRecordBatch(HEADS, {
      model: ['gpt2', 'gpt2', 'llamä'],
      layer: [0, 0, 2],
      head: heads,
      mean_alpha1: alpha,
      sink_rate: Float64Array.of(0, 1, 1 / 3),
    });
    expect(fromColumns.toArray().map((r) => r.toJSON())).toEqual(buildRecordBatchFromRows(HEADS, headsRows).toArray().map((r) => r.toJSON()));
    expect(fromColumns.getChild('mean_alpha1')!.data[0].values).toBe(alpha);
    expect(fromColumns.getChild('head')!.data[0].values).toBe(heads);
  });

  it('builds bool columns and checks utf8 value sets', () => {
    const row: RowOf<typeof MASSIVE> = {
      model: 'gpt2', hidden_index: 2, rank: 0, value: -2500.5, abs_value: 2500.5, token: 0, dim: 447, median_abs: 0.25, over_100: true, over_1000x_median: true,
    };
    const batch = buildRecordBatchFromRows(MASSIVE, [row, { ...row, rank: 1, over_100: false, over_1000x_median: false }]);
    expect(Array.from(batch.getChild('over_100')!.toArray() as Iterable<boolean>)).toEqual([true, false]);
    expect(() => buildRecordBatch(NORMS, { model: ['m'], layer: [0], kind: ['query'], head: [-1], first_token_norm: [1], other_tokens_mean_norm: [1] })).toThrow(
      "norms: column 'kind' row 0 is 'query'; allowed: hidden, key, value",
    );
  });

  it('names the kind, the column and the row of every bad input', () => {
    const good = { model: ['m', 'm'], layer: [0, 1], head: [0, 0], mean_alpha1: [0.5, 0.5], sink_rate: [0, 1] };
    expect(() => buildRecordBatch(HEADS, { ...good, sinkrate: [0, 1] } as never)).toThrow(
      "heads: unknown column 'sinkrate' (did you mean 'sink_rate'?); columns are model, layer, head, mean_alpha1, sink_rate",
    );
    expect(() => buildRecordBatch(HEADS, { ...good, zzz: [] } as never)).toThrow("heads: unknown column 'zzz'; columns are");
    const { head: _head, ...noHead } = good;
    expect(() => buildRecordBatch(HEADS, noHead as never)).toThrow("heads: missing column 'head'");
    expect(() => buildRecordBatch(HEADS, { ...good, head: [0, 0, 0] })).toThrow("heads: column 'head' has 3 values but column 'model' has 2");
    expect(() => buildRecordBatch(HEADS, { ...good, layer: [0, 1.5] })).toThrow("heads: column 'layer' row 1 is 1.5, not an int32");
    expect(() => buildRecordBatch(HEADS, { ...good, layer: [2 ** 31, 0] })).toThrow("heads: column 'layer' row 0 is 2147483648, not an int32");
    expect(() => buildRecordBatch(HEADS, { ...good, sink_rate: [0, '1'] } as never)).toThrow("heads: column 'sink_rate' row 1 is '1', not a number");
    expect(() => buildRecordBatch(HEADS, { ...good, model: ['m', null] } as never)).toThrow("heads: column 'model' row 1 is null, not a string");
    expect(() => buildRecordBatch(HEADS, { ...good, mean_alpha1: 0.5 } as never)).toThrow("heads: column 'mean_alpha1' must be a Float32Array, Float64Array or number[]");
    expect(() => buildRecordBatchFromRows(HEADS, [headsRows[0], { ...headsRows[1], heads: 1 } as never])).toThrow("heads: row 1: unknown column 'heads' (did you mean 'head'?)");
    const { sink_rate: _s, ...partial } = headsRows[2];
    expect(() => buildRecordBatchFromRows(HEADS, [headsRows[0], partial as never])).toThrow("heads: row 1 lacks column 'sink_rate'");
  });

  it('builds for any schema, labelled in errors, and refuses column types it does not build', () => {
    const schema = new Schema([new Field('x', new Float32(), false), new Field('y', new Float64(), false)], new Map([['sinkscope.kind', 'custom']]));
    expect(() => buildRecordBatch(schema, { x: [1], y: [2] })).toThrow("custom: column 'y' is Float64; the column helpers build float32, int32, utf8 and bool columns only");
    const ok = buildRecordBatch(new Schema([new Field('x', new Float32(), false)]), { x: [1, 2] }, 'activations');
    expect(Array.from(ok.getChild('x')!.toArray() as Float32Array)).toEqual([1, 2]);
    expect(() => buildRecordBatch(new Schema([new Field('x', new Float32(), false)]), { x: ['a'] }, 'activations')).toThrow("activations: column 'x' row 0 is 'a'");
  });
});

describe('conformRecordBatch', () => {
  const target = new Schema([new Field('token', new Int32(), false), new Field('name', new Utf8(), false)]);

  it('reorders columns to the declared order and checks types exactly', () => {
    const given = new RecordBatch({ name: vectorFromArray(['a', 'b'], new Utf8()).data[0], token: makeVector(Int32Array.of(4, 5)).data[0] });
    const out = conformRecordBatch(target, given, 'tokens');
    expect(out.schema.fields.map((f) => f.name)).toEqual(['token', 'name']);
    expect(out.toArray().map((r) => r.toJSON())).toEqual([{ token: 4, name: 'a' }, { token: 5, name: 'b' }]);
    expect(out.schema.fields).toEqual(target.fields);
  });

  it('explains type mismatches, dictionary strings and nulls', () => {
    const fromArrays = tableFromArrays({ token: Float64Array.of(1), name: ['a'] }).batches[0];
    expect(() => conformRecordBatch(target, fromArrays, 'tokens')).toThrow("tokens: column 'token' is Float64, expected Int32 (pass plain columns to buildRecordBatch to convert)");
    const dict = tableFromArrays({ token: Int32Array.of(1), name: ['a'] }).batches[0];
    expect(() => conformRecordBatch(target, dict, 'tokens')).toThrow("tokens: column 'name' is Dictionary<Int32, Utf8>, expected Utf8 (a dictionary-encoded column");
    const withNull = new RecordBatch({ token: makeVector(Int32Array.of(1, 2)).data[0], name: vectorFromArray(['a', null], new Utf8()).data[0] });
    expect(() => conformRecordBatch(target, withNull, 'tokens')).toThrow("tokens: column 'name' holds 1 nulls but is not nullable");
    expect(() => conformRecordBatch(target, new RecordBatch({ token: makeVector(Int32Array.of(1)).data[0] }), 'tokens')).toThrow("tokens: missing column 'name'");
    const badKind = buildRecordBatch(NORMS.schema, { model: ['m'], layer: [0], kind: ['query'], head: [-1], first_token_norm: [1], other_tokens_mean_norm: [1] });
    expect(() => conformRecordBatch(NORMS, badKind)).toThrow("norms: column 'kind' row 0 is 'query'");
  });
});
