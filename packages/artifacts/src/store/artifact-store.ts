import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { constants as bufferConstants } from 'node:buffer';
import { type AsyncRecordBatchFileReader, type RecordBatch, RecordBatchReader, Schema, type Table, tableFromIPC, util } from 'apache-arrow';
import { ArtifactInputError, ArtifactStoreError, errnoCode } from '../errors.js';
import { canonicalJson, type JsonValue } from '../hash/canonical-json.js';
import { sha256OfFileHandle } from '../hash/hash-file.js';
import { type FilesDigest, hashFiles } from '../hash/hash-files.js';
import { findArtifactKind } from '../schema/kinds.js';
import { type ArtifactMetadata, METADATA_PREFIX, validateArtifactMetadata } from '../schema/metadata.js';
import { exportParquet, type ParquetExportOptions, type ParquetExportResult } from '../parquet/export-parquet.js';
import { ArtifactWriter } from './artifact-writer.js';
import type { ArtifactRef, StoreBackend, StoredArtifact } from './backend.js';
import { LocalFolderBackend, resolveCacheRoot } from './local/local-backend.js';
import { type ArtifactManifest, MANIFEST_FORMAT, MANIFEST_VERSION, parseManifest, serializeManifest } from './manifest.js';
import { requireKind, requireRef } from './ref.js';

export interface ArtifactStoreOptions {
  /** Where artifacts live; default a `LocalFolderBackend` at `root`. */
  readonly backend?: StoreBackend;
  /** Cache folder of the default local backend: `$SINKSCOPE_CACHE`, else `.sinkscope/cache`. */
  readonly root?: string;
  /**
   * The file-hash cache of `hashFiles` (always on this machine, since the files hashed are local).
   * Default `<root>/file-hashes.json`.
   */
  readonly fileHashCachePath?: string;
  /** Receives one-line warnings (a corrupt artifact found and removed). Default `console.warn`. */
  readonly warn?: (message: string) => void;
}

export interface WriteOptions {
  /**
   * What the key was hashed from, in brief, recorded in the manifest for people browsing the cache.
   * Default: spec hash, model, dataset, BOS policy, engine and backend from the metadata.
   */
  readonly inputs?: JsonValue;
}

/** Produces an artifact's rows: append batches to the writer; throw to abandon the write. */
export type Producer = (writer: ArtifactWriter) => Promise<void> | void;

export interface EnsureResult {
  /** True when a verified artifact was already there and `produce` did not run. */
  readonly hit: boolean;
  readonly manifest: ArtifactManifest;
}

/** A verified artifact opened for reading batch by batch. Iterate once; the file closes at the end. */
export interface ArtifactBatches extends AsyncIterable<RecordBatch> {
  readonly manifest: ArtifactManifest;
  /** The Arrow schema, metadata included. */
  readonly schema: Schema;
  /** Release the open file without iterating to the end (breaking out of `for await` also does). */
  close(): Promise<void>;
}

type VerifyMode = 'table' | 'batches' | 'check';
type Verified =
  | { readonly manifest: ArtifactManifest; readonly table: Table }
  | { readonly manifest: ArtifactManifest; readonly reader: AsyncRecordBatchFileReader; readonly handle: FileHandle }
  | { readonly manifest: ArtifactManifest };

/** How often a read looks again when the artifact changed while it was being verified. */
const READ_ATTEMPTS = 5;

/**
 * The content-addressed Arrow artifact store: each pipeline step's output is an Arrow IPC file stored
 * under the hash of its inputs, with a manifest. Writes are atomic; every read checks the bytes
 * against the manifest's SHA-256 before Arrow sees them, and an artifact that fails the check is
 * removed and reported as missing so the step recomputes it.
 */
export class ArtifactStore {
  readonly backend: StoreBackend;
  readonly fileHashCachePath: string;
  private readonly warn: (message: string) => void;

  constructor(options: ArtifactStoreOptions = {}) {
    const root = resolveCacheRoot(options.root);
    this.backend = options.backend ?? new LocalFolderBackend({ root });
    this.fileHashCachePath = options.fileHashCachePath ?? join(root, 'file-hashes.json');
    this.warn = options.warn ?? ((message) => console.warn(message));
  }

  /**
   * Write an artifact: `produce` appends batches to the writer, which streams them to a staged file;
   * when it returns, the file is synced and published with its manifest. If `produce` throws, the
   * staged file is removed and the error rethrown: nothing is left behind. An existing artifact of the
   * same key is replaced (concurrent writers: the last to publish wins, and its pair is whole).
   *
   * `schema` gives the columns (for a shared table kind it must be that kind's schema); `metadata`
   * (see `buildArtifactMetadata`) must hold every common `sinkscope.*` key and the kind's own.
   */
  async write(kind: string, key: string, schema: Schema, metadata: ArtifactMetadata | Readonly<Record<string, string>>, produce: Producer, options: WriteOptions = {}): Promise<ArtifactManifest> {
    const ref = requireRef(kind, key);
    const spec = findArtifactKind(kind);
    requireSchema(kind, schema);
    const meta = metadata instanceof Map ? (metadata as ArtifactMetadata) : new Map(Object.entries(metadata));
    const parsed = validateArtifactMetadata(kind, meta);
    const inputs = normaliseInputs(kind, options.inputs ?? {
      spec_hash: parsed.specHash,
      model: parsed.model,
      dataset: parsed.dataset,
      bos_policy: parsed.bosPolicy,
      engine: parsed.engine,
      backend: parsed.backend,
    });
    const merged = new Map([...schema.metadata, ...meta]);
    const sortedMetadata = new Map([...merged].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    const fullSchema = new Schema(schema.fields, sortedMetadata);

    const staged = await this.backend.stage(ref);
    let fd: number | undefined;
    try {
      fd = openSync(staged.dataPath, 'wx');
      const hash = createHash('sha256');
      const writer = new ArtifactWriter(fd, fullSchema, spec ?? fullSchema, kind, hash);
      await produce(writer);
      writer.finish();
      fsyncSync(fd);
      closeSync(fd);
      fd = undefined;
      const manifest: ArtifactManifest = {
        format: MANIFEST_FORMAT,
        manifest_version: MANIFEST_VERSION,
        kind,
        key,
        schema_version: parsed.schemaVersion,
        inputs,
        row_count: writer.rowCount,
        batch_count: writer.batchCount,
        byte_size: writer.byteCount,
        sha256: hash.digest('hex'),
        created: new Date().toISOString(),
      };
      await this.backend.put(staged, serializeManifest(manifest));
      return manifest;
    } catch (err) {
      if (fd !== undefined) {
        try {
          closeSync(fd);
        } catch {
          // already closed
        }
      }
      await this.backend.discard(staged);
      throw describeWriteFailure(err, this.backend.description, ref, staged.dataPath);
    }
  }

  /**
   * The cache step: if a verified artifact of this key exists, return it (`hit: true`) without
   * running `produce`; otherwise write it. Same arguments as `write`.
   */
  async ensure(kind: string, key: string, schema: Schema, metadata: ArtifactMetadata | Readonly<Record<string, string>>, produce: Producer, options: WriteOptions = {}): Promise<EnsureResult> {
    const existing = await this.verify(kind, key);
    if (existing) return { hit: true, manifest: existing };
    return { hit: false, manifest: await this.write(kind, key, schema, metadata, produce, options) };
  }

  /** The whole artifact as an Arrow Table, verified; undefined if missing (or found corrupt and removed). */
  async read(kind: string, key: string): Promise<Table | undefined> {
    const v = await this.openVerified(requireRef(kind, key), 'table');
    return v && 'table' in v ? v.table : undefined;
  }

  /**
   * The artifact's batches one at a time, for artifacts too large to hold whole. The bytes are
   * verified (one streamed pass) before this returns; undefined if missing or corrupt.
   */
  async readBatches(kind: string, key: string): Promise<ArtifactBatches | undefined> {
    const v = await this.openVerified(requireRef(kind, key), 'batches');
    return v && 'reader' in v ? new VerifiedBatches(v.manifest, v.reader, v.handle) : undefined;
  }

  /** The manifest of a complete, verified artifact (size, SHA-256 and Arrow footer checked), or undefined. */
  async verify(kind: string, key: string): Promise<ArtifactManifest | undefined> {
    return (await this.openVerified(requireRef(kind, key), 'check'))?.manifest;
  }

  /** The stored manifest without checking the data (cheap; for listings), or undefined. */
  async manifest(kind: string, key: string): Promise<ArtifactManifest | undefined> {
    const ref = requireRef(kind, key);
    const got = await this.backend.get(ref);
    if (got.state !== 'present') return undefined;
    await got.data.close();
    const m = parseManifest(got.manifestText, ref);
    return 'problem' in m ? undefined : m;
  }

  /** Remove an artifact; true if there was something to remove. */
  async delete(kind: string, key: string): Promise<boolean> {
    return this.backend.delete(requireRef(kind, key));
  }

  /** Manifests of the stored artifacts (of one kind, if given), unverified, sorted by kind then key. */
  async list(kind?: string): Promise<ArtifactManifest[]> {
    if (kind !== undefined) requireKind(kind);
    const out: ArtifactManifest[] = [];
    for await (const ref of this.backend.list(kind)) {
      const m = await this.manifest(ref.kind, ref.key);
      if (m) out.push(m);
    }
    return out.sort((a, b) => (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Remove staged files and locks left by dead writers; returns the paths removed. */
  async sweep(): Promise<string[]> {
    return this.backend.sweep();
  }

  /** `hashFiles` with this store's file-hash cache (checkpoint shards, dataset files). */
  async hashFiles(paths: readonly string[]): Promise<FilesDigest> {
    return hashFiles(paths, { cachePath: this.fileHashCachePath });
  }

  /** Export a verified artifact to Parquet (streamed batch by batch); undefined if it is missing. */
  async exportParquet(kind: string, key: string, outPath: string, options: ParquetExportOptions = {}): Promise<ParquetExportResult | undefined> {
    const batches = await this.readBatches(kind, key);
    if (!batches) return undefined;
    try {
      return await exportParquet(batches, outPath, options);
    } finally {
      await batches.close();
    }
  }

  /**
   * Open and verify an artifact. A pair that fails any check is removed (only if it is still the pair
   * that was checked, so a fresh one published meanwhile survives) with a one-line warning, and the
   * read is a miss. If the pair changed while being checked, look again.
   */
  private async openVerified(ref: ArtifactRef, mode: VerifyMode): Promise<Verified | undefined> {
    for (let attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
      const got = await this.backend.get(ref);
      if (got.state === 'absent') return undefined;
      let problem: string;
      let location: string;
      if (got.state === 'partial') {
        problem = got.missing === 'manifest' ? 'has no manifest (interrupted write or deleted manifest)' : 'has a manifest but no data file';
        location = got.location;
      } else {
        const result = await this.verifyPresent(ref, got, mode);
        if (!('problem' in result)) return result;
        ({ problem, location } = result);
      }
      if (await this.backend.delete(ref, { ifVersion: got.version })) {
        this.warn(`sinkscope artifacts: ${location} ${problem}; removed it, so the step will recompute it`);
        return undefined;
      }
    }
    return undefined;
  }

  /** The checks of one stored pair, in order of cost; closes the data handle unless a reader takes it. */
  private async verifyPresent(
    ref: ArtifactRef,
    got: Extract<StoredArtifact, { state: 'present' }>,
    mode: VerifyMode,
  ): Promise<Verified | { problem: string; location: string }> {
    const { data } = got;
    let handedOff = false;
    try {
      const manifest = parseManifest(got.manifestText, ref);
      if ('problem' in manifest) return { problem: `is unusable: ${manifest.problem}`, location: got.manifestLocation };
      const spec = findArtifactKind(ref.kind);
      if (spec && manifest.schema_version !== spec.version) {
        return { problem: `has schema version ${manifest.schema_version}, but '${ref.kind}' is now at version ${spec.version}`, location: got.manifestLocation };
      }
      const bad = (problem: string) => ({ problem, location: got.dataLocation });
      const size = Number((await data.stat()).size);
      if (size !== manifest.byte_size) return bad(`has ${size} bytes but its manifest says ${manifest.byte_size} (truncated or overwritten)`);
      if (mode === 'table') {
        if (size > bufferConstants.MAX_LENGTH) {
          throw new ArtifactStoreError(`${got.dataLocation}: ${size} bytes is too large to read whole; use readBatches`);
        }
        const bytes = Buffer.allocUnsafe(size);
        for (let offset = 0; offset < size; ) {
          const { bytesRead } = await data.read(bytes, offset, size - offset, offset);
          if (bytesRead === 0) return bad('ended early while being read');
          offset += bytesRead;
        }
        if (createHash('sha256').update(bytes).digest('hex') !== manifest.sha256) return bad('does not match the SHA-256 in its manifest (corrupted)');
        let table: Table;
        try {
          table = tableFromIPC(bytes);
        } catch (err) {
          return bad(`is not a readable Arrow file (${(err as Error).message})`);
        }
        const problem = checkParsed(ref, manifest, table.schema, table.batches.length, table.numRows);
        return problem ? bad(problem) : { manifest, table };
      }
      if ((await sha256OfFileHandle(data)).sha256 !== manifest.sha256) return bad('does not match the SHA-256 in its manifest (corrupted)');
      let reader: AsyncRecordBatchFileReader;
      try {
        const opened = await RecordBatchReader.from(data);
        if (!opened.isFile() || !opened.isAsync()) return bad('is not an Arrow IPC file');
        reader = (await opened.open()) as AsyncRecordBatchFileReader;
      } catch (err) {
        return bad(`is not a readable Arrow file (${(err as Error).message})`);
      }
      const problem = checkParsed(ref, manifest, reader.schema, reader.numRecordBatches, undefined);
      if (problem) return bad(problem);
      if (mode === 'check') return { manifest };
      handedOff = true;
      return { manifest, reader, handle: data };
    } finally {
      if (!handedOff) await data.close();
    }
  }
}

/** Consistency of the parsed Arrow file with its manifest and ref; a problem or undefined. */
function checkParsed(ref: ArtifactRef, manifest: ArtifactManifest, schema: Schema, batches: number, rows: number | undefined): string | undefined {
  const kind = schema.metadata.get(`${METADATA_PREFIX}kind`);
  if (kind !== ref.kind) return `says ${METADATA_PREFIX}kind = ${JSON.stringify(kind)} in its schema, not '${ref.kind}'`;
  if (batches !== manifest.batch_count) return `has ${batches} record batches but its manifest says ${manifest.batch_count}`;
  if (rows !== undefined && rows !== manifest.row_count) return `has ${rows} rows but its manifest says ${manifest.row_count}`;
  return undefined;
}

/** The columns of a write: unique names, and exactly the declared ones for a shared table kind. */
function requireSchema(kind: string, schema: Schema): void {
  if (!(schema instanceof Schema)) throw new ArtifactInputError(`artifact '${kind}': schema must be an Arrow Schema`);
  if (schema.fields.length === 0) throw new ArtifactInputError(`artifact '${kind}': schema has no columns`);
  const seen = new Set<string>();
  for (const f of schema.fields) {
    if (seen.has(f.name)) throw new ArtifactInputError(`artifact '${kind}': column '${f.name}' appears twice in the schema`);
    seen.add(f.name);
  }
  const spec = findArtifactKind(kind);
  if (!spec) return;
  const declared = spec.schema.fields;
  for (let i = 0; i < Math.max(declared.length, schema.fields.length); i++) {
    const want = declared[i];
    const have = schema.fields[i];
    if (!want || !have || !util.compareFields(want, have)) {
      const detail = !have
        ? `lacks column '${want.name}'`
        : !want
          ? `has an extra column '${have.name}'`
          : `has column ${i} '${have.name}: ${String(have.type)}${have.nullable ? ' (nullable)' : ''}' where '${kind}' declares '${want.name}: ${String(want.type)}'`;
      throw new ArtifactInputError(`artifact '${kind}': schema ${detail}; use ARTIFACT_KINDS.${kind}.schema`);
    }
  }
}

/** The manifest's inputs summary as plain JSON (canonical rules: sorted keys, finite numbers). */
function normaliseInputs(kind: string, inputs: JsonValue): JsonValue {
  try {
    return JSON.parse(canonicalJson(inputs)) as JsonValue;
  } catch (err) {
    throw new ArtifactInputError(`artifact '${kind}': options.inputs: ${(err as Error).message}`);
  }
}

/** Single-use async iteration over a verified file; the file handle closes when iteration ends. */
class VerifiedBatches implements ArtifactBatches {
  private used = false;
  private closed = false;

  constructor(
    readonly manifest: ArtifactManifest,
    private readonly reader: AsyncRecordBatchFileReader,
    private readonly handle: FileHandle,
  ) {}

  get schema(): Schema {
    return this.reader.schema;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<RecordBatch> {
    if (this.used) throw new ArtifactStoreError(`${this.manifest.kind}/${this.manifest.key}: these batches were already iterated; call readBatches again`);
    this.used = true;
    try {
      for await (const batch of this.reader) yield batch;
    } finally {
      await this.close();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }
}

/** What a full or read-only disk means for the user, by errno code. */
const DISK_FAILURES: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'the file system is read-only',
  EFBIG: 'the file is larger than the file system allows',
};

/**
 * A write that failed for lack of space (or a read-only disk) becomes one line naming the store, the
 * artifact and the staged file, and saying that nothing was stored; other errors pass unchanged.
 */
function describeWriteFailure(err: unknown, store: string, ref: ArtifactRef, stagedPath: string): unknown {
  const code = errnoCode(err);
  const what = code === undefined ? undefined : DISK_FAILURES[code];
  if (what === undefined) return err;
  return new ArtifactStoreError(
    `${store}: cannot write ${ref.kind} ${ref.key.slice(0, 12)}: ${what} (${code}, staging ${stagedPath}); nothing was stored: free space, or point SINKSCOPE_CACHE / SINKSCOPE_STORE elsewhere, and run again`,
    { cause: err },
  );
}
