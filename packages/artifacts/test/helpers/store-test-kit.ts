import type { RecordBatch, Table } from 'apache-arrow';
import { afterAll, expect } from 'vitest';
import { ArtifactStore, LAYERS } from '../../src/index.js';
import { layersColumns, layersMetadata, plannedRoot, recordWarnings, removeRoot } from './store-fixtures.js';

// What the artifact store's test files share: fresh stores removed after the file, layers writes, column comparisons.

/** `newStore(label)`: a store in a fresh folder (removed after the test file) that records its warnings. */
export function storeFactory() {
  const roots: string[] = [];
  afterAll(() => roots.forEach(removeRoot));
  return (label: string) => {
    const root = plannedRoot(label);
    roots.push(root);
    const warnings = recordWarnings();
    return { root, store: new ArtifactStore({ root, warn: warnings.warn }), warnings };
  };
}

/** Write `n` rows of `layers` in batches of `perBatch`; values depend on `seed`. */
export async function writeLayers(store: ArtifactStore, key: string, n: number, perBatch: number, seed: number) {
  const all = layersColumns(n, seed);
  return store.write('layers', key, LAYERS.schema, layersMetadata(), (w) => {
    for (let start = 0; start < n; start += perBatch) {
      const end = Math.min(n, start + perBatch);
      const slice = Object.fromEntries(Object.entries(all).map(([k, v]) => [k, (v as Float32Array | Int32Array | string[]).slice(start, end)]));
      w.append(slice);
    }
  });
}

/** Every column of `table` as a plain array, for exact comparison of small tables. */
export function columnsOf(table: Table | RecordBatch): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const f of table.schema.fields) out[f.name] = Array.from(table.getChild(f.name)!.toArray() as ArrayLike<unknown>);
  return out;
}

export function expectedColumns(n: number, seed: number): Record<string, unknown[]> {
  const cols = layersColumns(n, seed);
  return Object.fromEntries(Object.entries(cols).map(([k, v]) => [k, Array.from(v as ArrayLike<unknown>)]));
}

/** Bitwise comparison of every numeric column (NaN payloads and -0 included) and of the strings. */
export function expectSameColumns(table: Table | RecordBatch, expected: Record<string, ArrayLike<unknown>>): void {
  expect(table.schema.fields.map((f) => f.name)).toEqual(Object.keys(expected));
  for (const [name, want] of Object.entries(expected)) {
    const got = table.getChild(name)!.toArray() as ArrayLike<unknown>;
    if (ArrayBuffer.isView(want)) {
      const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
      expect(got.constructor, name).toBe(want.constructor);
      expect(bytes(got as unknown as ArrayBufferView).equals(bytes(want)), name).toBe(true);
    } else {
      expect(Array.from(got), name).toEqual(Array.from(want));
    }
  }
}
