import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ArtifactRef,
  ArtifactStore,
  ArtifactStoreError,
  backendFromUri,
  type LocalFolderBackend,
  readArtifactMetadata,
  resolveS3Connection,
  S3Backend,
  type S3BackendOptions,
  SharedFsBackend,
  storeFromEnv,
} from '../src/index.js';
import { type BackendUnderTest, columnsOf, describeStoreBehaviours, expectedColumns, type RawAccess, ref, writeLayers } from './helpers/backend-behaviours.js';
import { startS3Server, TEST_ACCESS_KEY_ID, TEST_BUCKET, TEST_SECRET, type TestS3Server, useTestAwsEnvironment } from './helpers/s3-server.js';
import { layersColumns, removeRoot, tempRoot } from './helpers/store-fixtures.js';

let server: TestS3Server;
let restoreEnv: () => void;
let client: S3Client;
const localDirs: string[] = [];

beforeAll(async () => {
  server = await startS3Server();
  restoreEnv = useTestAwsEnvironment(server.endpoint);
  client = new S3Client({
    endpoint: server.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: TEST_ACCESS_KEY_ID, secretAccessKey: TEST_SECRET },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
});

afterAll(async () => {
  client?.destroy();
  await server?.close();
  restoreEnv?.();
  localDirs.forEach(removeRoot);
});

async function getText(key: string): Promise<string> {
  return (await (await client.send(new GetObjectCommand({ Bucket: TEST_BUCKET, Key: key }))).Body!.transformToString('utf8'));
}

async function listKeys(prefix: string): Promise<string[]> {
  const out = await client.send(new ListObjectsV2Command({ Bucket: TEST_BUCKET, Prefix: `${prefix}/` }));
  return (out.Contents ?? []).map((o) => o.Key!.slice(prefix.length + 1)).sort();
}

/** The documented layout, rebuilt here independently of the backend's code. */
function layoutOf(r: ArtifactRef, manifestText: string): { manifest: string; data: string } {
  const m = JSON.parse(manifestText) as { created: string; sha256: string };
  const base = `${r.kind}/${r.key.slice(0, 2)}/${r.key}`;
  return { manifest: `${base}.json`, data: `${base}.arrow.${m.created.replace(/[^0-9A-Za-z]/g, '')}-${m.sha256.slice(0, 16)}` };
}

function rawAccess(prefix: string): RawAccess {
  const full = (rest: string) => `${prefix}/${rest}`;
  const manifestKey = (r: ArtifactRef) => full(`${r.kind}/${r.key.slice(0, 2)}/${r.key}.json`);
  const dataKey = async (r: ArtifactRef) => full(layoutOf(r, await getText(manifestKey(r))).data);
  return {
    list: () => listKeys(prefix),
    readData: async (r) => Buffer.from(await (await client.send(new GetObjectCommand({ Bucket: TEST_BUCKET, Key: await dataKey(r) }))).Body!.transformToByteArray()),
    writeData: async (r, bytes) => void (await client.send(new PutObjectCommand({ Bucket: TEST_BUCKET, Key: await dataKey(r), Body: bytes }))),
    readManifest: (r) => getText(manifestKey(r)),
    writeManifest: async (r, text) => void (await client.send(new PutObjectCommand({ Bucket: TEST_BUCKET, Key: manifestKey(r), Body: text }))),
    deleteManifest: async (r) => void (await client.send(new DeleteObjectCommand({ Bucket: TEST_BUCKET, Key: manifestKey(r) }))),
    deleteData: async (r) => void (await client.send(new DeleteObjectCommand({ Bucket: TEST_BUCKET, Key: await dataKey(r) }))),
    dataLocation: async (r) => `s3://${TEST_BUCKET}/${await dataKey(r)}`,
    manifestLocation: (r) => `s3://${TEST_BUCKET}/${manifestKey(r)}`,
  };
}

/** A store on a fresh prefix; `strayMaxAgeMs: -1` lets sweep take every unnamed data object at once. */
function newS3Store(label: string, options: Partial<S3BackendOptions> = {}) {
  const prefix = `runs/${label}-${randomBytes(4).toString('hex')}`;
  const localDir = tempRoot(`s3-local-${label}`);
  localDirs.push(localDir);
  const warnings: string[] = [];
  const backend = new S3Backend({ bucket: TEST_BUCKET, prefix, localDir, strayMaxAgeMs: -1, ...options });
  const store = new ArtifactStore({ backend, warn: (m) => warnings.push(m) });
  return { store, backend, warnings, raw: rawAccess(prefix), prefix, localDir };
}

const s3: BackendUnderTest = {
  newStore: async (label) => newS3Store(label),
  expectedFiles: async (r, raw) => {
    const layout = layoutOf(r, await raw.readManifest(r));
    return [layout.data, layout.manifest].sort();
  },
  orphanDataIsPartial: false,
};

describeStoreBehaviours('S3Backend', s3);

describe('S3Backend specifics', () => {
  it('stores the manifest byte-identical to the local one and the data under the name it derives from it', async () => {
    const { store, prefix, localDir } = newS3Store('layout');
    const r = ref('layout');
    const manifest = await writeLayers(store, r.key, 20, 10, 5);
    const text = await getText(`${prefix}/layers/${r.key.slice(0, 2)}/${r.key}.json`);
    expect(text).toBe(`${JSON.stringify(manifest, null, 2)}\n`);
    const stamp = manifest.created.replace(/[-:.]/g, '');
    expect(stamp).toMatch(/^\d{8}T\d{9}Z$/);
    expect(await listKeys(prefix)).toEqual([`layers/${r.key.slice(0, 2)}/${r.key}.arrow.${stamp}-${manifest.sha256.slice(0, 16)}`, `layers/${r.key.slice(0, 2)}/${r.key}.json`]);
    await store.read('layers', r.key);
    // Staged files are removed after the upload; downloads are unlinked as soon as they are opened.
    expect(readdirSync(localDir)).toEqual([]);
  });

  it('uploads a large artifact in parts (through a client passed in) and reads it back whole', async () => {
    const commands: string[] = [];
    const counting = new S3Client({
      endpoint: server.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    counting.middlewareStack.add((next, context) => (args) => (commands.push(String(context.commandName)), next(args)), { step: 'initialize' });
    const { store, raw } = newS3Store('multipart', { client: counting, multipartThresholdBytes: 1 << 20, partBytes: 5 << 20, concurrency: 2 });
    const r = ref('multipart');
    const rows = 200_000;
    const manifest = await writeLayers(store, r.key, rows, 50_000, 77);
    const parts = Math.ceil(manifest.byte_size / (5 << 20));
    expect(parts).toBeGreaterThanOrEqual(2);
    expect(commands.filter((c) => c === 'UploadPartCommand').length).toBe(parts);
    expect(commands.filter((c) => c === 'CompleteMultipartUploadCommand').length).toBe(1);
    const stored = await raw.readData(r);
    expect([stored.length, createHash('sha256').update(stored).digest('hex')]).toEqual([manifest.byte_size, manifest.sha256]);
    const table = (await store.read('layers', r.key))!;
    expect(table.numRows).toBe(rows);
    expect(table.getChild('first_token_norm')!.toArray()).toEqual(layersColumns(rows, 77).first_token_norm);
    counting.destroy();
  });

  it('sweep removes unnamed data objects and dead writers\' staged files, keeps the live artifact; young strays survive by default', async () => {
    const { store, raw, prefix, localDir, backend } = newS3Store('sweep');
    const live = ref('sweep live');
    await writeLayers(store, live.key, 10, 10, 1);
    const orphan = ref('sweep orphan');
    await writeLayers(store, orphan.key, 10, 10, 2);
    const orphanData = await raw.dataLocation(orphan);
    await raw.deleteManifest(orphan); // as if a writer died between its upload and its manifest PUT
    const strayKey = `${prefix}/layers/${live.key.slice(0, 2)}/${live.key}.arrow.20200101T000000000Z-0123456789abcdef`;
    await client.send(new PutObjectCommand({ Bucket: TEST_BUCKET, Key: strayKey, Body: 'half a write' }));
    const staged = join(localDir, `layers-${live.key}.arrow.tmp-4194305-0badc0de`); // pid above Linux's PID_MAX_LIMIT
    writeFileSync(staged, 'x');
    // With the default grace (1 h) nothing this young is touched.
    const patient = new S3Backend({ bucket: TEST_BUCKET, prefix, localDir: tempRoot('s3-patient') });
    expect(await patient.sweep()).toEqual([]);
    expect((await backend.sweep()).sort()).toEqual([orphanData, `s3://${TEST_BUCKET}/${strayKey}`, staged].sort());
    expect(await raw.list()).toEqual(await s3.expectedFiles(live, raw));
    expect(columnsOf((await store.read('layers', live.key))!)).toEqual(expectedColumns(10, 1));
    expect(await backend.sweep()).toEqual([]);
  });

  it('delete with ifVersion removes only the pair that was seen', async () => {
    const { store, backend } = newS3Store('ifversion');
    const r = ref('ifversion');
    await writeLayers(store, r.key, 10, 10, 1);
    const seen = await backend.get(r);
    if (seen.state === 'present') await seen.data.close();
    await writeLayers(store, r.key, 10, 10, 2); // a fresh pair published meanwhile
    expect(await backend.delete(r, { ifVersion: seen.state === 'present' ? seen.version : 'x' })).toBe(false);
    expect(columnsOf((await store.read('layers', r.key))!)).toEqual(expectedColumns(10, 2));
    const now = await backend.get(r);
    expect(now.state).toBe('present');
    if (now.state === 'present') await now.data.close();
    expect(await backend.delete(r, { ifVersion: now.state === 'present' ? now.version : 'x' })).toBe(true);
    expect(await store.read('layers', r.key)).toBeUndefined();
  });

  it('never writes credentials into objects, manifests, messages or the description', async () => {
    const { store, backend, warnings } = newS3Store('secrets');
    const r = ref('secrets');
    await writeLayers(store, r.key, 10, 10, 1);
    await store.read('layers', r.key);
    const files: string[] = [];
    const walk = (d: string) => readdirSync(d).forEach((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : files.push(join(d, n))));
    walk(server.directory);
    expect(files.length).toBeGreaterThan(2);
    for (const f of files) expect(readFileSync(f).includes(TEST_SECRET), f).toBe(false);
    expect(backend.description).toBe(`S3 s3://${TEST_BUCKET}/${backend.location.prefix} at ${server.endpoint}`);
    const withUser = new S3Backend({ uri: 's3://my-bucket/x', endpoint: 'https://alice:hunter2@minio.example:9000/' });
    expect(withUser.description).toBe('S3 s3://my-bucket/x at https://minio.example:9000');
    expect(warnings).toEqual([]);
  });

  it('two processes rewriting one key while this one reads: every read is whole, the end state is one valid artifact', async () => {
    const { store, warnings, prefix, raw } = newS3Store('processes');
    const r = ref('processes');
    const iterations = 4;
    const script = resolve(dirname(fileURLToPath(import.meta.url)), 'helpers/s3-child-writer.ts');
    const children = [1, 2].map((id) => {
      const proc = spawn(process.execPath, ['--import', 'tsx', script, TEST_BUCKET, prefix, r.key, String(id), String(iterations)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
      proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
      return new Promise<string>((res, rej) => proc.on('exit', (code) => (code === 0 ? res(out) : rej(new Error(`s3-child-writer exited ${code}: ${err}`)))));
    });
    let running = true;
    const done = Promise.all(children).finally(() => (running = false));
    let reads = 0;
    while (running) {
      const table = await store.read('layers', r.key);
      if (table) {
        const tag = Number(readArtifactMetadata(table.schema).extra.tag);
        expect([...new Set(table.getChild('model')!.toArray() as string[])]).toEqual([`writer-${tag}`]);
        const want = layersColumns(40, tag).first_token_norm;
        expect(table.getChild('first_token_norm')!.toArray()).toEqual(Float32Array.from([...want, ...want]));
        reads += 1;
      }
      await new Promise((res) => setTimeout(res, 5));
    }
    expect((await done).every((out) => out.includes('done'))).toBe(true);
    expect(warnings).toEqual([]);
    const tag = Number(readArtifactMetadata((await store.read('layers', r.key))!.schema).extra.tag);
    expect([1000 + iterations - 1, 2000 + iterations - 1]).toContain(tag);
    await store.sweep();
    expect(await raw.list()).toEqual(await s3.expectedFiles(r, raw));
    expect(reads).toBeGreaterThan(0);
  });
});

describe('request signing (SigV4, checked by the test server)', () => {
  it('a wrong secret: write and read fail with one line naming the store and SignatureDoesNotMatch, never the secret', async () => {
    const { store: good } = newS3Store('signed');
    const r = ref('signed');
    await writeLayers(good, r.key, 10, 10, 1);
    const saved = process.env.AWS_SECRET_ACCESS_KEY;
    const wrongSecret = 'not-the-secret-3c9e1d7a';
    process.env.AWS_SECRET_ACCESS_KEY = wrongSecret;
    try {
      const rejectedBefore = server.signatures.rejected;
      const prefix = (good.backend as S3Backend).location.prefix;
      const warnings: string[] = [];
      const wrong = new ArtifactStore({ backend: new S3Backend({ bucket: TEST_BUCKET, prefix, localDir: tempRoot('s3-wrong-secret') }), warn: (m) => warnings.push(m) });
      const where = `S3 s3://${TEST_BUCKET}/${prefix} at ${server.endpoint}`;
      const clear = new RegExp(`^${where.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: \\w+ s3://\\S+ failed: SignatureDoesNotMatch \\(HTTP 403\\): The request signature we calculated does not match`);
      const written = await writeLayers(wrong, ref('unsigned').key, 10, 10, 2).catch((e: Error) => e);
      expect(written).toBeInstanceOf(ArtifactStoreError);
      expect((written as Error).message).toMatch(clear);
      const read = await wrong.read('layers', r.key).catch((e: Error) => e);
      expect(read, 'a refused read is an error, not a missing artifact').toBeInstanceOf(ArtifactStoreError);
      expect((read as Error).message).toMatch(clear);
      for (const m of [(written as Error).message, (read as Error).message, ...warnings]) expect(m).not.toContain(wrongSecret);
      expect(server.signatures.rejected).toBeGreaterThan(rejectedBefore);
      // the artifact the good store wrote is untouched
      expect(columnsOf((await good.read('layers', r.key))!)).toEqual(expectedColumns(10, 1));
    } finally {
      process.env.AWS_SECRET_ACCESS_KEY = saved;
    }
  });

  it('every other request of these tests was signed with the secret and checked', () => {
    expect(server.signatures.verified).toBeGreaterThan(100);
  });
});

describe('backend selection', () => {
  it('resolves endpoint, region, path style and checksums from options, then the AWS variables', () => {
    expect(resolveS3Connection({}, {})).toEqual({ endpoint: undefined, region: 'us-east-1', forcePathStyle: false, checksums: undefined });
    expect(resolveS3Connection({}, { AWS_ENDPOINT_URL: 'http://a:1', AWS_ENDPOINT_URL_S3: 'http://s3:2', AWS_REGION: 'eu-west-1' })).toEqual({
      endpoint: 'http://s3:2',
      region: 'eu-west-1',
      forcePathStyle: true,
      checksums: 'when-required',
    });
    expect(resolveS3Connection({ endpoint: 'http://x:3', region: 'r', forcePathStyle: false }, { AWS_ENDPOINT_URL: 'http://a:1', AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_SUPPORTED' })).toEqual({
      endpoint: 'http://x:3',
      region: 'r',
      forcePathStyle: false,
      checksums: undefined,
    });
  });

  it('maps URIs to backends and rejects what it cannot serve, naming the choices', () => {
    const s3b = backendFromUri('s3://sinkscope-test/team/cache/');
    expect(s3b).toBeInstanceOf(S3Backend);
    expect((s3b as S3Backend).location).toEqual({ bucket: 'sinkscope-test', prefix: 'team/cache' });
    const shared = backendFromUri('shared-fs:///lustre/team/cache');
    expect(shared).toBeInstanceOf(SharedFsBackend);
    expect((shared as SharedFsBackend).root).toBe('/lustre/team/cache');
    expect((backendFromUri('/tmp/x/cache') as LocalFolderBackend).root).toBe('/tmp/x/cache');
    expect((backendFromUri('file:///tmp/y') as LocalFolderBackend).root).toBe('/tmp/y');
    expect(() => backendFromUri('shared-fs://host/path')).toThrow('write shared-fs:///absolute/path');
    expect(() => backendFromUri('gs://bucket/x')).toThrow("unknown scheme 'gs://' (use a folder path, file:///path, shared-fs:///path or s3://bucket/prefix)");
    expect(() => backendFromUri('s3://No_Such/x')).toThrow('is not a valid S3 bucket name');
    expect(() => backendFromUri('s3://bucket/a//b')).toThrow("has an empty, '.' or '..' segment");
  });

  it('storeFromEnv: SINKSCOPE_STORE names the backend; unset, the local cache folder', () => {
    const s3store = storeFromEnv({ env: { SINKSCOPE_STORE: `s3://${TEST_BUCKET}/p` } });
    expect(s3store.backend).toBeInstanceOf(S3Backend);
    expect(s3store.fileHashCachePath).toBe(join(process.cwd(), '.sinkscope/cache/file-hashes.json'));
    expect((storeFromEnv({ env: { SINKSCOPE_STORE: 'shared-fs:///nfs/c' } }).backend as SharedFsBackend).root).toBe('/nfs/c');
    expect((storeFromEnv({ env: { SINKSCOPE_CACHE: '/tmp/c1' } }).backend as LocalFolderBackend).root).toBe('/tmp/c1');
    expect((storeFromEnv({ env: {} }).backend as LocalFolderBackend).root).toBe(join(process.cwd(), '.sinkscope/cache'));
  });
});
