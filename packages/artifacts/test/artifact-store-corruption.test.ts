import { createHash } from 'node:crypto';
import { readFileSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LAYERS } from '../src/index.js';
import { filesUnder, keyOf, layersColumns, layersMetadata } from './helpers/store-fixtures.js';
import { columnsOf, expectedColumns, storeFactory, writeLayers } from './helpers/store-test-kit.js';

const newStore = storeFactory();

describe('corruption is detected, reported, removed and read as missing', () => {
  const { root, store, warnings } = newStore('corrupt');
  const pathsOf = (key: string) => {
    const dir = join(root, 'layers', key.slice(0, 2));
    return { arrow: join(dir, `${key}.arrow`), json: join(dir, `${key}.json`) };
  };

  async function damaged(label: string, damage: (p: { arrow: string; json: string }) => void) {
    const key = keyOf(label);
    await writeLayers(store, key, 100, 25, 9);
    damage(pathsOf(key));
    warnings.messages.length = 0;
    return key;
  }

  const flipMiddleByte = (p: { arrow: string }) => {
    const bytes = readFileSync(p.arrow);
    bytes[bytes.length >> 1] ^= 0x01;
    writeFileSync(p.arrow, bytes);
  };

  it('a flipped byte (read, readBatches and verify each catch it)', async () => {
    for (const read of ['read', 'readBatches', 'verify'] as const) {
      const key = await damaged(`flip ${read}`, flipMiddleByte);
      expect(await store[read]('layers', key)).toBeUndefined();
      expect(warnings.messages).toEqual([`sinkscope artifacts: ${pathsOf(key).arrow} does not match the SHA-256 in its manifest (corrupted); removed it, so the step will recompute it`]);
      expect(filesUnder(join(root, 'layers', key.slice(0, 2))).filter((f) => f.startsWith(key))).toEqual([]);
    }
  });

  it('a truncated file', async () => {
    const key = await damaged('truncate', (p) => truncateSync(p.arrow, statSync(p.arrow).size - 100));
    const size = JSON.parse(readFileSync(pathsOf(key).json, 'utf8')).byte_size as number;
    expect(await store.read('layers', key)).toBeUndefined();
    expect(warnings.messages).toEqual([
      `sinkscope artifacts: ${pathsOf(key).arrow} has ${size - 100} bytes but its manifest says ${size} (truncated or overwritten); removed it, so the step will recompute it`,
    ]);
  });

  it('a deleted manifest (the data file is removed too)', async () => {
    const key = await damaged('no manifest', (p) => unlinkSync(p.json));
    expect(await store.read('layers', key)).toBeUndefined();
    expect(warnings.messages).toEqual([
      `sinkscope artifacts: ${pathsOf(key).json} has no manifest (interrupted write or deleted manifest); removed it, so the step will recompute it`,
    ]);
    expect(() => statSync(pathsOf(key).arrow)).toThrow(/ENOENT/);
  });

  it('a deleted data file, an unparseable manifest, a stale schema version', async () => {
    const gone = await damaged('no data', (p) => unlinkSync(p.arrow));
    expect(await store.read('layers', gone)).toBeUndefined();
    expect(warnings.messages[0]).toContain(`${pathsOf(gone).arrow} has a manifest but no data file`);
    const torn = await damaged('torn manifest', (p) => writeFileSync(p.json, '{"format": "sinkscope.arti'));
    expect(await store.read('layers', torn)).toBeUndefined();
    expect(warnings.messages[0]).toContain(`${pathsOf(torn).json} is unusable: manifest is not valid JSON`);
    const old = await damaged('old version', (p) => {
      const m = JSON.parse(readFileSync(p.json, 'utf8'));
      writeFileSync(p.json, JSON.stringify({ ...m, schema_version: 0 }));
    });
    expect(await store.read('layers', old)).toBeUndefined();
    expect(warnings.messages[0]).toContain("has schema version 0, but 'layers' is now at version 2");
  });

  it('bytes whose hash and size match the manifest but that Arrow cannot parse', async () => {
    const key = await damaged('not arrow', (p) => {
      const garbage = Buffer.from('ARROW1 this is not an arrow file at all, it only looks like one. ARROW1');
      writeFileSync(p.arrow, garbage);
      const m = JSON.parse(readFileSync(p.json, 'utf8'));
      writeFileSync(p.json, JSON.stringify({ ...m, byte_size: garbage.length, sha256: createHash('sha256').update(garbage).digest('hex') }));
    });
    expect(await store.readBatches('layers', key)).toBeUndefined();
    expect(warnings.messages[0]).toMatch(/not a readable Arrow file|is not an Arrow IPC file/);
  });

  it('recomputes after corruption: ensure writes again', async () => {
    const key = await damaged('recompute', flipMiddleByte);
    const again = await store.ensure('layers', key, LAYERS.schema, layersMetadata(), (w) => w.append(layersColumns(100, 9)));
    expect(again.hit).toBe(false);
    expect(columnsOf((await store.read('layers', key))!)).toEqual(expectedColumns(100, 9));
  });
});

describe('concurrent writers of one key in one process', () => {
  const { root, store } = newStore('concurrent');
  const key = keyOf('concurrent');

  it('leave one valid artifact equal to one of the writes, and no staging files or locks', async () => {
    for (let round = 0; round < 5; round++) {
      const seeds = [11, 12, 13, 14, 15, 16, 17, 18].map((s) => s + 10 * round);
      // Every producer waits for all the others, so the publishes start together and contend.
      let arrived = 0;
      let release!: () => void;
      const allArrived = new Promise<void>((r) => (release = r));
      const manifests = await Promise.all(
        seeds.map((seed) =>
          store.write('layers', key, LAYERS.schema, layersMetadata(), async (w) => {
            for (let i = 0; i < 3; i++) w.append(layersColumns(50, seed));
            if (++arrived === seeds.length) release();
            await allArrived;
          }),
        ),
      );
      const table = (await store.read('layers', key))!;
      const stored = JSON.parse(readFileSync(join(root, 'layers', key.slice(0, 2), `${key}.json`), 'utf8'));
      const winner = manifests.findIndex((m) => m.sha256 === stored.sha256);
      expect(winner).toBeGreaterThanOrEqual(0);
      const one = expectedColumns(50, seeds[winner]);
      const thrice = Object.fromEntries(Object.entries(one).map(([k, v]) => [k, [...v, ...v, ...v]]));
      expect(columnsOf(table)).toEqual(thrice);
      expect(filesUnder(root)).toEqual([`layers/${key.slice(0, 2)}/${key}.arrow`, `layers/${key.slice(0, 2)}/${key}.json`]);
    }
  });

  it('readers running beside the writers only ever see a whole artifact', async () => {
    const k = keyOf('readers and writers');
    await writeLayers(store, k, 40, 10, 100);
    const reads: Promise<void>[] = [];
    const writes = [101, 102, 103, 104].map((seed) => writeLayers(store, k, 40, 10, seed));
    for (let i = 0; i < 20; i++) {
      reads.push(
        store.read('layers', k).then((t) => {
          expect(t).toBeDefined();
          const got = columnsOf(t!);
          const match = [100, 101, 102, 103, 104].some((seed) => JSON.stringify(got) === JSON.stringify(expectedColumns(40, seed)));
          expect(match).toBe(true);
        }),
      );
    }
    await Promise.all([...writes, ...reads]);
  });
});
