// Picks one (model, layer, head, sequence) map out of a `pattern` or `qk` table and crops it to
// the first positions; shared by the attention-pattern and q-k figures.
import type { Field, PositionDef } from '../vl-types.js';

/** Which map to draw when the table holds several; unset fields must be unambiguous. */
export interface MapSelection {
  model?: string;
  layer?: number;
  head?: number;
  /** Only for tables that carry a `sequence` column (`pattern`). */
  sequence?: number;
}

interface MapRow {
  model: string;
  layer: number;
  head: number;
  sequence?: number;
  query: number;
  key: number;
}

export interface SelectedMap<R> {
  rows: R[];
  model: string;
  layer: number;
  head: number;
  sequence: number | undefined;
  /** Positions in the full map (max query or key + 1). */
  seqLen: number;
  /** Positions drawn (min(seqLen, maxTokens)). */
  shown: number;
}

function mapKey(row: MapRow): string {
  return `model ${row.model}, layer ${row.layer}, head ${row.head}${row.sequence === undefined ? '' : `, sequence ${row.sequence}`}`;
}

/**
 * Filters `rows` to the one map `selection` names, checks it has no duplicate cells, and keeps the
 * first `maxTokens` query and key positions. Errors list the maps the table holds.
 */
export function selectMap<R extends MapRow>(
  figure: string,
  table: string,
  rows: readonly R[],
  selection: MapSelection,
  maxTokens: number,
): SelectedMap<R> {
  if (!Number.isInteger(maxTokens) || maxTokens < 1) {
    throw new RangeError(`${figure}: options.maxTokens must be a positive integer (got ${maxTokens})`);
  }
  const chosen = rows.filter(
    (row) =>
      (selection.model === undefined || row.model === selection.model) &&
      (selection.layer === undefined || row.layer === selection.layer) &&
      (selection.head === undefined || row.head === selection.head) &&
      (selection.sequence === undefined || row.sequence === selection.sequence),
  );
  const maps = [...new Set(rows.map(mapKey))];
  const listed = maps.slice(0, 8).join('; ') + (maps.length > 8 ? `; … (${maps.length} maps)` : '');
  if (chosen.length === 0) {
    throw new RangeError(`${figure}: no rows of table '${table}' match ${JSON.stringify(selection)}; the table holds: ${listed}`);
  }
  const chosenMaps = [...new Set(chosen.map(mapKey))];
  if (chosenMaps.length > 1) {
    throw new RangeError(
      `${figure}: table '${table}' holds ${chosenMaps.length} maps matching ${JSON.stringify(selection)}; ` +
        `pass options.model/layer/head${'sequence' in chosen[0] ? '/sequence' : ''} to pick one of: ${chosenMaps.slice(0, 8).join('; ')}`,
    );
  }
  const seen = new Set<string>();
  let seqLen = 0;
  for (const row of chosen) {
    if (row.query < 0 || row.key < 0) throw new RangeError(`${figure}: table '${table}' has a negative position (query ${row.query}, key ${row.key})`);
    const cell = `${row.query},${row.key}`;
    if (seen.has(cell)) throw new RangeError(`${figure}: table '${table}' repeats cell (query ${row.query}, key ${row.key}) in ${chosenMaps[0]}`);
    seen.add(cell);
    seqLen = Math.max(seqLen, row.query + 1, row.key + 1);
  }
  const shown = Math.min(seqLen, maxTokens);
  const first = chosen[0];
  return {
    rows: chosen.filter((row) => row.query < shown && row.key < shown),
    model: first.model,
    layer: first.layer,
    head: first.head,
    sequence: first.sequence,
    seqLen,
    shown,
  };
}

/**
 * Axis tick values for `n` ordinal positions: all of them up to 24, else every 2^k-th; with the cell
 * size `step` (px), also at least 16 px apart so two-digit labels do not run into each other.
 */
export function positionTicks(n: number, step?: number): number[] {
  let every = 1;
  while (n / every > 24 || (step !== undefined && every * step < 16)) every *= 2;
  return Array.from({ length: Math.ceil(n / every) }, (_, i) => i * every);
}

/** Subtitle line naming the map and any cropping. */
export function mapNote(map: SelectedMap<unknown>): string {
  const parts = [`model ${map.model}`, `layer ${map.layer}`, `head ${map.head}`];
  if (map.sequence !== undefined) parts.push(`sequence ${map.sequence}`);
  const crop = map.shown < map.seqLen ? `; first ${map.shown} of ${map.seqLen} positions shown` : '';
  return parts.join(' · ') + crop;
}

/** x = key and y = query as ordinal positions 0..shown-1 (query 0 at the top, like a matrix); `step` = cell size in px. */
export function positionEncoding(shown: number, step?: number): { x: PositionDef<Field>; y: PositionDef<Field> } {
  const domain = Array.from({ length: shown }, (_, i) => i);
  const values = positionTicks(shown, step);
  return {
    x: { field: 'key', type: 'ordinal', title: 'key position (token index)', scale: { domain }, axis: { values, labelAngle: 0 } },
    y: { field: 'query', type: 'ordinal', title: 'query position (token index)', scale: { domain }, axis: { values } },
  };
}
