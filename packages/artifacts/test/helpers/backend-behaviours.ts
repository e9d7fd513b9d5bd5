// The store's behaviours, run against any backend through a small raw-access harness, so the shared
// filesystem and S3 backends are held to what artifact-store.test.ts checks on the local one.
import { createHash } from 'node:crypto';
import type { RecordBatch, Table } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { type ArtifactRef, type ArtifactStore, LAYERS } from '../../src/index.js';
import { keyOf, layersColumns, layersMetadata } from './store-fixtures.js';

/** Direct access to what a backend stored, bypassing the store (to inspect and to damage it). */
export interface RawAccess {
  /** Every stored file or object (names relative to the store's root), sorted. */
  list(): Promise<string[]>;
  /** Bytes of the data file/object the current manifest goes with. */
  readData(ref: ArtifactRef): Promise<Buffer>;
  writeData(ref: ArtifactRef, bytes: Buffer): Promise<void>;
  readManifest(ref: ArtifactRef): Promise<string>;
  writeManifest(ref: ArtifactRef, text: string): Promise<void>;
  deleteManifest(ref: ArtifactRef): Promise<void>;
  deleteData(ref: ArtifactRef): Promise<void>;
  /** How warnings name the data and the manifest of `ref`. */
  dataLocation(ref: ArtifactRef): Promise<string>;
  manifestLocation(ref: ArtifactRef): string;
}

export interface BackendUnderTest {
  /** A store on a fresh, empty location of the backend, its warnings, and raw access to it. */
  newStore(label: string): Promise<{ store: ArtifactStore; warnings: string[]; raw: RawAccess }>;
  /** What is stored for one artifact and nothing else (relative names, sorted). */
  expectedFiles(ref: ArtifactRef, raw: RawAccess): Promise<string[]>;
  /** Whether a deleted manifest leaves the data visible as a 'partial' artifact (folders) or as an unnamed object (S3). */
  readonly orphanDataIsPartial: boolean;
}

export const ref = (label: string): ArtifactRef => ({ kind: 'layers', key: keyOf(label) });

/** Write `n` rows of `layers` in batches of `perBatch`; values depend on `seed`. */
export async function writeLayers(store: ArtifactStore, key: string, n: number, perBatch: number, seed: number, model = 'gpt2') {
  const all = layersColumns(n, seed, model);
  return store.write('layers', key, LAYERS.schema, layersMetadata(), (w) => {
    for (let start = 0; start < n; start += perBatch) {
      const end = Math.min(n, start + perBatch);
      w.append(Object.fromEntries(Object.entries(all).map(([k, v]) => [k, (v as Float32Array | Int32Array | string[]).slice(start, end)])));
    }
  });
}

/** Every column as a plain array (NaN compares equal to NaN under toEqual). */
export function columnsOf(table: Table | RecordBatch): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const f of table.schema.fields) out[f.name] = Array.from(table.getChild(f.name)!.toArray() as ArrayLike<unknown>);
  return out;
}

export function expectedColumns(n: number, seed: number, model = 'gpt2'): Record<string, unknown[]> {
  return Object.fromEntries(Object.entries(layersColumns(n, seed, model)).map(([k, v]) => [k, Array.from(v as ArrayLike<unknown>)]));
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export function describeStoreBehaviours(name: string, backend: BackendUnderTest): void {
  describe(`${name}: the store's behaviours`, () => {
    it('round trip: values, manifest and stored bytes agree; a second ensure is a hit', async () => {
      const { store, raw, warnings } = await backend.newStore('roundtrip');
      const r = ref('roundtrip');
      const manifest = await writeLayers(store, r.key, 300, 100, 1);
      expect(await raw.list()).toEqual(await backend.expectedFiles(r, raw));
      const stored = await raw.readData(r);
      // Independent check of the manifest against the bytes as the backend holds them.
      expect([manifest.byte_size, manifest.sha256, manifest.row_count, manifest.batch_count]).toEqual([stored.length, sha256(stored), 300, 3]);
      expect(JSON.parse(await raw.readManifest(r))).toEqual(manifest);
      expect(stored.subarray(0, 6).toString()).toBe('ARROW1');
      expect(columnsOf((await store.read('layers', r.key))!)).toEqual(expectedColumns(300, 1));
      let batches = 0;
      for await (const b of (await store.readBatches('layers', r.key))!) {
        expect(b.numRows).toBe(100);
        batches += 1;
      }
      expect(batches).toBe(3);
      let runs = 0;
      const hit = await store.ensure('layers', r.key, LAYERS.schema, layersMetadata(), () => {
        runs += 1;
      });
      expect([hit.hit, runs]).toEqual([true, 0]);
      expect(hit.manifest).toEqual(manifest);
      expect((await store.list('layers')).map((m) => m.key)).toEqual([r.key]);
      expect((await store.backend.stat(r)).dataBytes).toBe(stored.length);
      expect(await store.read('layers', keyOf('never written'))).toBeUndefined();
      expect(await store.delete('layers', r.key)).toBe(true);
      expect(await store.delete('layers', r.key)).toBe(false);
      expect(await raw.list()).toEqual([]);
      expect(warnings).toEqual([]);
    });

    it('a flipped byte is caught by read, readBatches and verify; the pair is removed; ensure recomputes', async () => {
      const { store, raw, warnings } = await backend.newStore('flip');
      for (const op of ['read', 'readBatches', 'verify'] as const) {
        const r = ref(`flip ${op}`);
        await writeLayers(store, r.key, 100, 25, 9);
        const bytes = await raw.readData(r);
        bytes[bytes.length >> 1] ^= 0x01;
        await raw.writeData(r, bytes);
        const where = await raw.dataLocation(r);
        warnings.length = 0;
        expect(await store[op]('layers', r.key)).toBeUndefined();
        expect(warnings).toEqual([`sinkscope artifacts: ${where} does not match the SHA-256 in its manifest (corrupted); removed it, so the step will recompute it`]);
      }
      expect(await raw.list()).toEqual([]);
      const r = ref('flip read');
      const again = await store.ensure('layers', r.key, LAYERS.schema, layersMetadata(), (w) => w.append(layersColumns(100, 9)));
      expect(again.hit).toBe(false);
      expect(columnsOf((await store.read('layers', r.key))!)).toEqual(expectedColumns(100, 9));
    });

    it('a truncated data file, a deleted manifest, a deleted data file, an unparseable manifest', async () => {
      const { store, raw, warnings } = await backend.newStore('damage');
      const truncated = ref('truncated');
      await writeLayers(store, truncated.key, 100, 25, 9);
      const full = await raw.readData(truncated);
      const truncatedWhere = await raw.dataLocation(truncated);
      await raw.writeData(truncated, full.subarray(0, full.length - 100));
      warnings.length = 0;
      expect(await store.read('layers', truncated.key)).toBeUndefined();
      expect(warnings).toEqual([
        `sinkscope artifacts: ${truncatedWhere} has ${full.length - 100} bytes but its manifest says ${full.length} (truncated or overwritten); removed it, so the step will recompute it`,
      ]);

      const noManifest = ref('no manifest');
      await writeLayers(store, noManifest.key, 10, 10, 2);
      await raw.deleteManifest(noManifest);
      warnings.length = 0;
      expect(await store.read('layers', noManifest.key)).toBeUndefined();
      expect(await store.verify('layers', noManifest.key)).toBeUndefined();
      expect(warnings.length).toBe(backend.orphanDataIsPartial ? 1 : 0);

      const noData = ref('no data');
      await writeLayers(store, noData.key, 10, 10, 3);
      const dataWhere = await raw.dataLocation(noData);
      await raw.deleteData(noData);
      warnings.length = 0;
      expect(await store.read('layers', noData.key)).toBeUndefined();
      expect(warnings).toEqual([`sinkscope artifacts: ${dataWhere} has a manifest but no data file; removed it, so the step will recompute it`]);

      const torn = ref('torn');
      await writeLayers(store, torn.key, 10, 10, 4);
      await raw.writeManifest(torn, '{"format": "sinkscope.arti');
      warnings.length = 0;
      expect(await store.read('layers', torn.key)).toBeUndefined();
      expect(warnings).toEqual([`sinkscope artifacts: ${raw.manifestLocation(torn)} is unusable: manifest is not valid JSON; removed it, so the step will recompute it`]);
      expect(await store.list()).toEqual([]);
    });

    it('a producer that throws leaves nothing visible and nothing stored', async () => {
      const { store, raw } = await backend.newStore('throws');
      const r = ref('throws');
      await expect(
        store.write('layers', r.key, LAYERS.schema, layersMetadata(), (w) => {
          w.append(layersColumns(5, 1));
          throw new Error('GPU fell off the bus');
        }),
      ).rejects.toThrow('GPU fell off the bus');
      expect(await store.read('layers', r.key)).toBeUndefined();
      expect(await raw.list()).toEqual([]);
    });

    it('concurrent writers of one key leave one valid artifact equal to one of the writes; readers only see whole ones', async () => {
      const { store, raw, warnings } = await backend.newStore('concurrent');
      const r = ref('concurrent');
      for (let round = 0; round < 3; round++) {
        const seeds = [11, 12, 13, 14, 15, 16].map((s) => s + 10 * round);
        let arrived = 0;
        let release!: () => void;
        const allArrived = new Promise<void>((res) => (release = res));
        const manifests = await Promise.all(
          seeds.map((seed) =>
            store.write('layers', r.key, LAYERS.schema, layersMetadata(), async (w) => {
              w.append(layersColumns(50, seed));
              if (++arrived === seeds.length) release();
              await allArrived; // every publish starts together
            }),
          ),
        );
        const stored = JSON.parse(await raw.readManifest(r));
        const winner = manifests.findIndex((m) => m.sha256 === stored.sha256);
        expect(winner).toBeGreaterThanOrEqual(0);
        expect(columnsOf((await store.read('layers', r.key))!)).toEqual(expectedColumns(50, seeds[winner]));
        await store.sweep(); // S3: publishers racing can orphan a replaced data object; sweep takes it
        expect(await raw.list()).toEqual(await backend.expectedFiles(r, raw));
      }
      const reads: Promise<void>[] = [];
      const writes = [101, 102, 103, 104].map((seed) => writeLayers(store, r.key, 40, 10, seed));
      const seeds = [101, 102, 103, 104].map((s) => JSON.stringify(expectedColumns(40, s)));
      const earlier = [31, 32, 33, 34, 35, 36].map((s) => JSON.stringify(expectedColumns(50, s)));
      for (let i = 0; i < 12; i++) {
        reads.push(
          store.read('layers', r.key).then((t) => {
            expect(t).toBeDefined();
            const got = JSON.stringify(columnsOf(t!));
            expect(seeds.includes(got) || earlier.includes(got)).toBe(true);
          }),
        );
      }
      await Promise.all([...writes, ...reads]);
      expect(warnings).toEqual([]);
    });
  });
}
