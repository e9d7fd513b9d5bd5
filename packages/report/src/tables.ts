// The shared artifact tables the report reads, and a checked reader that turns their rows (Arrow
// StructRow proxies, an Arrow Table itself, or plain objects) into plain JSON-safe objects holding
// only the columns a figure uses.

/** How a column is stored: utf8 names, int32 indices, float32 measurements, booleans. */
export type CellKind = 'string' | 'int' | 'float' | 'bool';

/** Column kinds of every artifact table (snake_case, as the pipeline writes them). */
export const TABLES = {
  layers: {
    model: 'string',
    hidden_index: 'int',
    layer: 'int',
    sink_rate: 'float',
    first_token_norm: 'float',
    other_tokens_mean_norm: 'float',
    norm_ratio: 'float',
    top_activation: 'float',
    median_activation: 'float',
    entropy: 'float',
    entropy_normalized: 'float',
    renyi2: 'float',
    entropy_bound: 'float',
    entropy_bound_alpha0: 'float',
    mean_cosine: 'float',
    seq_len: 'int',
    relative_depth: 'float',
    transition: 'bool',
    phase: 'string',
    p1: 'float',
    p1_lower: 'float',
    dominance: 'float',
    dominance_lower: 'float',
    alignment: 'float',
    c: 'float',
    entropy_upper: 'float',
    entropy_rank_normalized: 'float',
    entropy_upper_rank_normalized: 'float',
    mixing_score: 'float',
    identity_score: 'float',
    prev_token_score: 'float',
    bos_score: 'float',
    logit_lens_loss: 'float',
    logit_lens_perplexity: 'float',
  },
  heads: { model: 'string', layer: 'int', head: 'int', mean_alpha1: 'float', sink_rate: 'float' },
  pattern: { model: 'string', layer: 'int', head: 'int', sequence: 'int', query: 'int', key: 'int', weight: 'float' },
  norms: {
    model: 'string',
    layer: 'int',
    kind: 'string',
    head: 'int',
    first_token_norm: 'float',
    other_tokens_mean_norm: 'float',
  },
  qk: {
    model: 'string',
    layer: 'int',
    head: 'int',
    query: 'int',
    key: 'int',
    dot: 'float',
    cos: 'float',
    norm_product: 'float',
  },
  sink_sweep: { model: 'string', eps: 'float', seq_len: 'int', sink_rate: 'float' },
  massive: {
    model: 'string',
    hidden_index: 'int',
    rank: 'int',
    value: 'float',
    abs_value: 'float',
    token: 'int',
    dim: 'int',
    median_abs: 'float',
    over_100: 'bool',
    over_1000x_median: 'bool',
  },
  ablation: {
    model: 'string',
    intervention: 'string',
    role: 'string',
    hidden_index: 'int',
    sink_rate: 'float',
    norm_ratio: 'float',
    entropy_normalized: 'float',
    entropy_bound: 'float',
    mean_cosine: 'float',
    loss: 'float',
    perplexity: 'float',
  },
  sink_k: { model: 'string', k: 'int', sink_rate: 'float', mean_alpha: 'float' },
  /** One row per model: its parameter count and family (from the checkpoint) and its model-level Sink_1. */
  sink_params: { model: 'string', family: 'string', parameters: 'int', sink_rate: 'float' },
  /** One row per (model, dataset): the model-level Sink_1 on that dataset (Gu et al. 2025, Table 1). */
  dataset_sinks: { model: 'string', dataset: 'string', sink_rate: 'float' },
  ablation_effects: {
    model: 'string',
    ablation: 'string',
    intervention: 'string',
    role: 'string',
    scale: 'float',
    window: 'int',
    norm_ratio_delta_mean: 'float',
    norm_ratio_delta_std: 'float',
    sink_rate_delta_mean: 'float',
    sink_rate_delta_std: 'float',
    entropy_delta_mean: 'float',
    entropy_delta_std: 'float',
    loss_delta_mean: 'float',
    loss_delta_std: 'float',
  },
  training: {
    run: 'string',
    step: 'int',
    loss: 'float',
    sink_rate: 'float',
    layer: 'int',
    layer_sink_rate: 'float',
    norm_ratio: 'float',
    entropy_normalized: 'float',
  },
  // issue 16: Queipo-de-Llano et al. 2025's analyses
  entropy_sequences: {
    model: 'string',
    hidden_index: 'int',
    sequence: 'int',
    entropy: 'float',
    entropy_normalized: 'float',
    rank: 'int',
    p1: 'float',
    p1_lower: 'float',
    entropy_upper: 'float',
    entropy_rank_normalized: 'float',
    entropy_upper_rank_normalized: 'float',
  },
  metrics_sequences: {
    model: 'string',
    hidden_index: 'int',
    sequence: 'int',
    first_token_norm: 'float',
    other_tokens_mean_norm: 'float',
    sink_rate: 'float',
  },
  logit_lens: { model: 'string', hidden_index: 'int', relative_depth: 'float', loss: 'float', perplexity: 'float', top1_accuracy: 'float' },
  multiple_choice: { model: 'string', task: 'string', hidden_index: 'int', relative_depth: 'float', accuracy: 'float', accuracy_norm: 'float', chance: 'float' },
  probes: { model: 'string', task: 'string', pooling: 'string', hidden_index: 'int', relative_depth: 'float', accuracy: 'float', accuracy_std: 'float', majority: 'float' },
  dynamics: { series: 'string', step: 'int', model: 'string', hidden_index: 'int', relative_depth: 'float', entropy_normalized: 'float', sink_rate: 'float', log_norm_ratio: 'float' },
} as const satisfies Record<string, Record<string, CellKind>>;

export type TableName = keyof typeof TABLES;
export type ColumnOf<T extends TableName> = keyof (typeof TABLES)[T] & string;

/** JS type of a cell after reading: floats that are NaN/±Infinity/null become null (JSON has no NaN). */
type CellOf<K extends CellKind> = K extends 'string'
  ? string
  : K extends 'int'
    ? number
    : K extends 'float'
      ? number | null
      : boolean;

export type TableRow<T extends TableName, C extends ColumnOf<T>> = {
  [K in C]: CellOf<(typeof TABLES)[T][K] & CellKind>;
};

/** Rows as the pipeline hands them over: `table.toArray()`, an Arrow Table, or plain objects. */
export type RowSource = Iterable<object>;

function describeValue(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}

function columnNames(row: object): string {
  return Object.keys(row).join(', ') || '(none)';
}

function readCell(value: unknown, kind: CellKind, where: () => string): string | number | boolean | null {
  switch (kind) {
    case 'string':
      if (typeof value === 'string') return value;
      break;
    case 'bool':
      if (typeof value === 'boolean') return value;
      break;
    case 'int': {
      const n = typeof value === 'bigint' ? Number(value) : value;
      if (typeof n === 'number' && Number.isSafeInteger(n)) return n;
      break;
    }
    case 'float': {
      if (value === null) return null;
      const n = typeof value === 'bigint' ? Number(value) : value;
      if (typeof n === 'number') return Number.isFinite(n) ? n : null;
      break;
    }
  }
  throw new TypeError(`${where()} must be ${kind === 'int' ? 'an integer' : `a ${kind}`} (got ${describeValue(value)})`);
}

/**
 * Reads `columns` of artifact table `table` from `source`, checking each cell's kind. Errors name
 * the figure, table, row and column. A float that is NaN, ±Infinity or null becomes null, which
 * Vega-Lite leaves out of scales and breaks lines at (e.g. `sink_rate` at hidden_index 0).
 */
export function readTable<T extends TableName, C extends ColumnOf<T>>(
  figure: string,
  table: T,
  source: RowSource,
  columns: readonly C[],
): TableRow<T, C>[] {
  if (source === null || source === undefined || typeof (source as Iterable<object>)[Symbol.iterator] !== 'function') {
    throw new TypeError(`${figure}: table '${table}' must be an iterable of rows (got ${describeValue(source)})`);
  }
  const kinds = TABLES[table] as Record<string, CellKind>;
  const rows: TableRow<T, C>[] = [];
  let index = 0;
  for (const row of source) {
    if (row === null || typeof row !== 'object') {
      throw new TypeError(`${figure}: table '${table}' row ${index} is not an object (got ${describeValue(row)})`);
    }
    const out: Record<string, string | number | boolean | null> = {};
    for (const column of columns) {
      const value = (row as Record<string, unknown>)[column];
      if (value === undefined) {
        throw new TypeError(
          `${figure}: table '${table}' row ${index} has no column '${column}' (columns present: ${columnNames(row)})`,
        );
      }
      out[column] = readCell(value, kinds[column], () => `${figure}: table '${table}' row ${index} column '${column}'`);
    }
    rows.push(out as TableRow<T, C>);
    index += 1;
  }
  if (rows.length === 0) throw new RangeError(`${figure}: table '${table}' has no rows`);
  return rows;
}

/** Distinct values in first-seen order. */
export function distinct<T>(values: Iterable<T>): T[] {
  return [...new Set(values)];
}
