import { Field, Float32, Int32, List, makeData, RecordBatch, Schema, Struct, Utf8, vectorFromArray, type Data } from 'apache-arrow';

/**
 * The `activations` artifact of the extract step: every captured hook of every sequence, one Arrow
 * record batch per sequence (so readers stream sequence by sequence). Rows:
 * - residual-stream hooks [T, d]: one row per position, `head` = -1, `values` = the d-vector;
 * - per-head hooks (hook_q/k/v) [T, H, hd]: one row per (head, position), `values` = the hd-vector;
 * - attention patterns [H, T, T]: one row per (head, query), `values` = the T key weights.
 */
export const ACTIVATIONS_KIND = 'activations';
export const ACTIVATIONS_SCHEMA_VERSION = 1;

export const activationsFields = [
  new Field('hook', new Utf8(), false),
  new Field('sequence', new Int32(), false),
  new Field('head', new Int32(), false),
  new Field('position', new Int32(), false),
  new Field('values', new List(new Field('item', new Float32(), false)), false),
];

export function activationsSchema(): Schema {
  return new Schema(activationsFields);
}

/** One hook's data for one sequence, laid out as [rows, width] (rows = positions or heads x positions). */
export interface HookBlock {
  readonly hook: string;
  /** Per-head hooks: the head of each row block (rows are head-major: head h covers rows h*T..h*T+T-1). */
  readonly heads: number;
  readonly rows: number;
  readonly width: number;
  readonly data: Float32Array;
}

/** Build the record batch of one sequence from its hook blocks. */
export function sequenceBatch(sequence: number, blocks: readonly HookBlock[]): RecordBatch {
  const n = blocks.reduce((a, b) => a + b.rows, 0);
  const hooks: string[] = [];
  const seq = new Int32Array(n).fill(sequence);
  const head = new Int32Array(n);
  const position = new Int32Array(n);
  const offsets = new Int32Array(n + 1);
  const total = blocks.reduce((a, b) => a + b.data.length, 0);
  const values = new Float32Array(total);
  let row = 0;
  let at = 0;
  for (const b of blocks) {
    if (b.data.length !== b.rows * b.width) throw new Error(`hook ${b.hook}: ${b.data.length} values for ${b.rows} x ${b.width}`);
    const perHead = b.rows / b.heads;
    for (let r = 0; r < b.rows; r++) {
      hooks.push(b.hook);
      head[row] = b.heads === 1 && !b.hook.includes('attn.') ? -1 : Math.floor(r / perHead);
      position[row] = r % perHead;
      offsets[row] = at + r * b.width;
      row++;
    }
    values.set(b.data, at);
    at += b.data.length;
  }
  offsets[n] = total;
  const int = (arr: Int32Array): Data => makeData({ type: new Int32(), length: n, nullCount: 0, data: arr });
  const listType = activationsFields[4].type as List<Float32>;
  const valuesData = makeData({
    type: listType,
    length: n,
    nullCount: 0,
    valueOffsets: offsets,
    child: makeData({ type: new Float32(), length: total, nullCount: 0, data: values }),
  });
  const hookData = vectorFromArray(hooks, new Utf8()).data[0];
  const struct = makeData({ type: new Struct(activationsFields), length: n, nullCount: 0, children: [hookData, int(seq), int(head), int(position), valuesData] });
  return new RecordBatch(activationsSchema(), struct);
}

/** A sequence's hooks read back: each hook's values as one contiguous (zero-copy) Float32Array. */
export interface SequenceActivations {
  readonly sequence: number;
  readonly hooks: ReadonlyMap<string, { rows: number; width: number; data: Float32Array }>;
}

export function readSequenceBatch(batch: RecordBatch): SequenceActivations {
  const hookCol = batch.getChild('hook')!;
  const seqCol = batch.getChild('sequence')!;
  const valuesData = batch.getChild('values')!.data[0];
  const offsets = valuesData.valueOffsets as Int32Array;
  const floats = valuesData.children[0].values as Float32Array;
  const out = new Map<string, { rows: number; width: number; data: Float32Array }>();
  let start = 0;
  const n = batch.numRows;
  while (start < n) {
    const hook = hookCol.get(start) as string;
    let end = start + 1;
    while (end < n && hookCol.get(end) === hook) end++;
    const width = offsets[start + 1] - offsets[start];
    out.set(hook, { rows: end - start, width, data: floats.subarray(offsets[start], offsets[end]) });
    start = end;
  }
  return { sequence: n > 0 ? (seqCol.get(0) as number) : -1, hooks: out };
}
