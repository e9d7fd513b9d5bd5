import { readFileSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type ArtifactRef, ArtifactStore, LAYERS, LocalFolderBackend, SharedFsBackend, type SharedFsBackendOptions } from '../src/index.js';
import { type BackendUnderTest, columnsOf, describeStoreBehaviours, expectedColumns, type RawAccess, ref, writeLayers } from './helpers/backend-behaviours.js';
import { filesUnder, layersColumns, layersMetadata, removeRoot, tempRoot } from './helpers/store-fixtures.js';

const roots: string[] = [];
afterAll(() => roots.forEach(removeRoot));

const pathsOf = (root: string, r: ArtifactRef) => {
  const dir = join(root, r.kind, r.key.slice(0, 2));
  return { dir, data: join(dir, `${r.key}.arrow`), manifest: join(dir, `${r.key}.json`), lock: join(dir, `${r.key}.lock`) };
};

function rawAccess(root: string): RawAccess {
  return {
    list: async () => filesUnder(root),
    readData: async (r) => readFileSync(pathsOf(root, r).data),
    writeData: async (r, bytes) => writeFileSync(pathsOf(root, r).data, bytes),
    readManifest: async (r) => readFileSync(pathsOf(root, r).manifest, 'utf8'),
    writeManifest: async (r, text) => writeFileSync(pathsOf(root, r).manifest, text),
    deleteManifest: async (r) => unlinkSync(pathsOf(root, r).manifest),
    deleteData: async (r) => unlinkSync(pathsOf(root, r).data),
    dataLocation: async (r) => pathsOf(root, r).data,
    manifestLocation: (r) => pathsOf(root, r).manifest,
  };
}

function newSharedStore(label: string, options: Partial<SharedFsBackendOptions> = {}) {
  const root = tempRoot(`shared-${label}`);
  roots.push(root);
  const warnings: string[] = [];
  const backend = new SharedFsBackend({ root, ...options });
  return { root, backend, warnings, store: new ArtifactStore({ backend, warn: (m) => warnings.push(m) }), raw: rawAccess(root) };
}

const shared: BackendUnderTest = {
  newStore: async (label) => newSharedStore(label),
  expectedFiles: async (r) => [`${r.kind}/${r.key.slice(0, 2)}/${r.key}.arrow`, `${r.kind}/${r.key.slice(0, 2)}/${r.key}.json`],
  orphanDataIsPartial: true,
};

describeStoreBehaviours('SharedFsBackend', shared);

describe('SharedFsBackend across hosts', () => {
  const DEAD_PID = 4194305; // above Linux's PID_MAX_LIMIT (2^22): no process has it

  it('reads artifacts the local backend wrote, and the other way round', async () => {
    const { root, store } = newSharedStore('interop');
    const local = new ArtifactStore({ backend: new LocalFolderBackend({ root }) });
    await writeLayers(local, ref('by local').key, 5, 5, 1);
    await writeLayers(store, ref('by shared').key, 5, 5, 2);
    expect(columnsOf((await store.read('layers', ref('by local').key))!)).toEqual(expectedColumns(5, 1));
    expect(columnsOf((await local.read('layers', ref('by shared').key))!)).toEqual(expectedColumns(5, 2));
  });

  it('breaks a lock of a dead process on this host at once, and one of another host only after it stayed unchanged for staleMs', async () => {
    const { root, store } = newSharedStore('locks', { lock: { staleMs: 300, timeoutMs: 5_000 } });
    const r = ref('locks');
    await writeLayers(store, r.key, 5, 5, 1);
    const p = pathsOf(root, r);
    writeFileSync(p.lock, `${DEAD_PID} ${hostname()} ${Date.now()} 0badc0de`);
    let t0 = performance.now();
    await writeLayers(store, r.key, 5, 5, 2);
    expect(performance.now() - t0).toBeLessThan(250);
    // A lock from another host, dated in the far future by a skewed clock, is judged by how long it
    // stays unchanged here, not by its timestamp.
    writeFileSync(p.lock, `${process.pid} gpu-node-17 ${Date.now() + 3600_000} feedface`);
    t0 = performance.now();
    await writeLayers(store, r.key, 5, 5, 3);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(300);
    expect(columnsOf((await store.read('layers', r.key))!)).toEqual(expectedColumns(5, 3));
    expect(filesUnder(root)).toEqual(await shared.expectedFiles(r, rawAccess(root)));
  });

  it('gives up waiting on a live lock with an error naming the lock file and its holder', async () => {
    const { root, store } = newSharedStore('timeout', { lock: { staleMs: 60_000, timeoutMs: 200 } });
    const r = ref('timeout');
    await writeLayers(store, r.key, 5, 5, 1);
    const lock = pathsOf(root, r).lock;
    writeFileSync(lock, `${process.pid} gpu-node-17 1700000000000 feedface`);
    await expect(writeLayers(store, r.key, 5, 5, 2)).rejects.toThrow(`waiting for ${lock} (held by pid/host/time '${process.pid} gpu-node-17 1700000000000 feedface')`);
    // The failed write left only its target pair, still the first write.
    unlinkSync(lock);
    expect(columnsOf((await store.read('layers', r.key))!)).toEqual(expectedColumns(5, 1));
    expect(filesUnder(root)).toEqual(await shared.expectedFiles(r, rawAccess(root)));
  });

  it('sweep: removes this host\'s dead writers\' staging files at once, another host\'s only when old; the same for locks', async () => {
    const { root, store, backend } = newSharedStore('sweep', { host: 'login-1' });
    const r = ref('sweep');
    await writeLayers(store, r.key, 5, 5, 1);
    const p = pathsOf(root, r);
    const deadHere = join(p.dir, `${r.key}.arrow.stage-${DEAD_PID}@login-1-0123456789ab`);
    const liveHere = join(p.dir, `${r.key}.arrow.stage-${process.pid}@login-1-0123456789ab`); // ours but no write uses it
    const youngElsewhere = join(p.dir, `${r.key}.json.stage-${DEAD_PID}@gpu-node-17-0123456789ab`);
    const oldElsewhere = join(p.dir, `${r.key}.arrow.stage-12@gpu-node-17-0123456789ab`);
    for (const f of [deadHere, liveHere, youngElsewhere, oldElsewhere]) writeFileSync(f, 'half a file');
    const dayAgo = (Date.now() - 25 * 3600_000) / 1000;
    utimesSync(oldElsewhere, dayAgo, dayAgo);
    const liveLock = p.lock; // held by another host, recently
    writeFileSync(liveLock, `${process.pid} gpu-node-17 ${Date.now()} feedface`);
    const deadLock = join(p.dir, `${ref('dead lock').key}.lock`); // this host, process gone
    writeFileSync(deadLock, `${DEAD_PID} login-1 ${Date.now()} 0badc0de`);
    expect((await backend.sweep()).sort()).toEqual([deadHere, liveHere, oldElsewhere, deadLock].sort());
    expect(readFileSync(youngElsewhere, 'utf8')).toBe('half a file');
    expect(readFileSync(liveLock, 'utf8')).toContain('gpu-node-17');
    const elevenMinutesAgo = (Date.now() - 11 * 60_000) / 1000;
    utimesSync(liveLock, elevenMinutesAgo, elevenMinutesAgo);
    expect(await backend.sweep()).toEqual([liveLock]);
    expect(columnsOf((await store.read('layers', r.key))!)).toEqual(expectedColumns(5, 1));
  });

  it('a local backend on the same folder does not take another host\'s staged file for its own dead writer', async () => {
    const { root, store } = newSharedStore('names');
    const r = ref('names');
    await writeLayers(store, r.key, 5, 5, 1);
    const elsewhere = join(pathsOf(root, r).dir, `${r.key}.arrow.stage-${DEAD_PID}@gpu-node-17-0123456789ab`);
    writeFileSync(elsewhere, 'a live write on another host');
    expect(await new LocalFolderBackend({ root }).sweep()).toEqual([]);
    await new ArtifactStore({ backend: new LocalFolderBackend({ root }) }).write('layers', r.key, LAYERS.schema, layersMetadata(), (w) => w.append(layersColumns(3, 3)));
    expect(readFileSync(elsewhere, 'utf8')).toBe('a live write on another host');
  });

  it('requires an absolute root', () => {
    expect(() => new SharedFsBackend({ root: 'relative/cache' })).toThrow('must be an absolute path');
  });
});
