import { createHash } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { ArtifactStoreError } from '../../errors.js';
import type { ArtifactRef, ArtifactStat, ArtifactVersion, StagedArtifact, StoreBackend, StoredArtifact } from '../backend.js';
import { ActiveStaging, parseStagingName, stagingName } from '../local/durable.js';
import { createS3Client, redactEndpoint, resolveS3Connection, type ResolvedS3Connection, type S3ConnectionOptions } from './s3-client.js';
import { describeS3Error, isConnectionError, isNotFound, isNotImplemented, isPreconditionFailed } from './s3-errors.js';
import { artifactKeys, classifyObjectKey, dataObjectKey, parseS3Uri, s3Location, type S3Location, s3Url, underPrefix } from './s3-location.js';
import { DEFAULT_UPLOAD_OPTIONS, downloadToPrivateFile, type S3Sdk, uploadFile, type UploadOptions } from './s3-transfer.js';

export interface S3BackendOptions extends S3ConnectionOptions, Partial<UploadOptions> {
  /** `s3://bucket/prefix`; or give `bucket` (and `prefix`). */
  readonly uri?: string;
  readonly bucket?: string;
  readonly prefix?: string;
  /**
   * Local folder for staged writes and downloads (default `<os tmpdir>/sinkscope-s3`). Downloads are
   * unlinked as soon as they are created, so only a writer's staged file is ever visible here.
   */
  readonly localDir?: string;
  /**
   * `sweep` removes data objects no manifest names, and aborts multipart uploads, once older than
   * this (default 1 h): younger ones may belong to a write that is publishing right now (S3 dates a
   * multipart object by the start of its upload).
   */
  readonly strayMaxAgeMs?: number;
}

/** Tries of a manifest GET whose body was cut off (connection reset mid-body). */
const MANIFEST_READ_ATTEMPTS = 3;

/** Staged files and uploads this process is working on right now (never swept as strays). */
const activeStaging = new ActiveStaging();
const activeUploads = new Set<string>();

/**
 * Artifacts in an S3 bucket (AWS, or an S3-compatible server such as MinIO or Ceph RGW):
 *
 * - `<prefix>/<kind>/<key[0:2]>/<key>.json`: the manifest, byte-identical to the local backend's;
 * - `<prefix>/<kind>/<key[0:2]>/<key>.arrow.<created>-<sha256[0:16]>`: the data object it names
 *   (see `dataObjectKey`: the name follows from the manifest's `created` and `sha256` fields).
 *
 * A write uploads its data under that fresh name (invisible: no manifest names it yet), then PUTs the
 * manifest; the manifest PUT is the commit point. A reader GETs the manifest first, then the data
 * object it names, so it can never pair one write's manifest with another's data, and no server-side
 * lock or conditional PUT is needed: concurrent writers each publish a whole pair and the last
 * manifest PUT wins. The publisher then deletes the data object of the manifest it replaced; data
 * objects orphaned by a crash (or a race between publishers) are removed by `sweep`.
 *
 * `get` downloads the data to a private, already unlinked local file, so what the store verifies is
 * what it parses. The pair's version is the SHA-256 of the manifest's bytes; `delete` with `ifVersion`
 * re-reads the manifest, compares, and deletes it with `If-Match: <ETag>` (AWS and Ceph honour it;
 * servers that ignore it leave a window of one request in which a manifest published meanwhile is
 * removed instead, which costs a recomputation, never a wrong read).
 */
export class S3Backend implements StoreBackend {
  readonly location: S3Location;
  readonly connection: ResolvedS3Connection;
  readonly description: string;
  private readonly localDir: string;
  private readonly strayMaxAgeMs: number;
  private readonly upload: UploadOptions;
  private clientPromise: Promise<{ sdk: S3Sdk; client: S3Client }> | undefined;
  private readonly givenClient: S3Client | undefined;
  /** False once the server answered a conditional DELETE with 501 Not Implemented. */
  private conditionalDelete = true;

  constructor(options: S3BackendOptions) {
    if (options.uri !== undefined) this.location = parseS3Uri(options.uri);
    else if (options.bucket !== undefined) this.location = s3Location(options.bucket, options.prefix ?? '');
    else throw new ArtifactStoreError('S3Backend: give uri (s3://bucket/prefix) or bucket');
    this.connection = resolveS3Connection(options);
    this.givenClient = options.client;
    this.localDir = options.localDir ?? join(tmpdir(), 'sinkscope-s3');
    this.strayMaxAgeMs = options.strayMaxAgeMs ?? 3600_000;
    this.upload = {
      multipartThresholdBytes: options.multipartThresholdBytes ?? DEFAULT_UPLOAD_OPTIONS.multipartThresholdBytes,
      partBytes: options.partBytes ?? DEFAULT_UPLOAD_OPTIONS.partBytes,
      concurrency: options.concurrency ?? DEFAULT_UPLOAD_OPTIONS.concurrency,
    };
    const where = s3Url(this.location, this.location.prefix);
    this.description = this.connection.endpoint !== undefined ? `S3 ${where} at ${redactEndpoint(this.connection.endpoint)}` : `S3 ${where}`;
  }

  async stage(ref: ArtifactRef): Promise<StagedArtifact> {
    await mkdir(this.localDir, { recursive: true });
    const base = `${ref.kind}-${ref.key}.arrow`;
    await this.removeLocalStrays(base);
    return activeStaging.stage(ref, join(this.localDir, stagingName(base)));
  }

  async discard(staged: StagedArtifact): Promise<void> {
    await activeStaging.discard(staged);
  }

  async put(staged: StagedArtifact, manifestText: string): Promise<void> {
    const { ref } = staged;
    const keys = artifactKeys(this.location, ref);
    const dataKey = dataObjectKey(this.location, ref, manifestText);
    if (dataKey === undefined) throw new ArtifactStoreError(`${this.url(keys.manifest)}: the manifest to publish has no sha256 or created field`);
    const { sdk, client } = await this.sdk();
    activeUploads.add(dataKey);
    try {
      await this.call('upload', dataKey, () => uploadFile(sdk, client, this.location.bucket, dataKey, staged.dataPath, this.upload));
      const replaced = await this.readManifest(keys.manifest);
      try {
        await this.call('PUT', keys.manifest, () =>
          client.send(new sdk.PutObjectCommand({ Bucket: this.location.bucket, Key: keys.manifest, Body: manifestText, ContentType: 'application/json' })),
        );
      } catch (err) {
        await this.deleteObject(dataKey).catch(() => undefined);
        throw err;
      }
      // The data the replaced manifest named is garbage now (readers still downloading it see it
      // vanish, report the pair missing, find the version changed and look again). Best effort:
      // what is left here is swept later.
      const old = replaced && dataObjectKey(this.location, ref, replaced.text);
      if (old !== undefined && old !== dataKey) await this.deleteObject(old).catch(() => undefined);
    } finally {
      activeUploads.delete(dataKey);
      await this.discard(staged);
    }
  }

  async get(ref: ArtifactRef): Promise<StoredArtifact> {
    const keys = artifactKeys(this.location, ref);
    const manifest = await this.readManifest(keys.manifest);
    if (!manifest) return { state: 'absent' };
    const version = versionOf(manifest.text);
    const dataKey = dataObjectKey(this.location, ref, manifest.text);
    await mkdir(this.localDir, { recursive: true });
    if (dataKey === undefined) {
      // A manifest too damaged to name its data: hand over an empty file; the store rejects the
      // manifest (its first check) and reports why.
      const empty = await downloadToPrivateFile(Readable.from([]), 0, this.localDir, this.url(keys.manifest));
      return { state: 'present', manifestText: manifest.text, data: empty, dataLocation: this.url(keys.manifest), manifestLocation: this.url(keys.manifest), version };
    }
    const { sdk, client } = await this.sdk();
    let response;
    try {
      response = await client.send(new sdk.GetObjectCommand({ Bucket: this.location.bucket, Key: dataKey }));
    } catch (err) {
      if (isNotFound(err)) return { state: 'partial', missing: 'data', location: this.url(dataKey), version };
      throw this.failure('GET', dataKey, err);
    }
    const data = await downloadToPrivateFile(response.Body as Readable, response.ContentLength, this.localDir, this.url(dataKey));
    return { state: 'present', manifestText: manifest.text, data, dataLocation: this.url(dataKey), manifestLocation: this.url(keys.manifest), version };
  }

  async stat(ref: ArtifactRef): Promise<ArtifactStat> {
    const keys = artifactKeys(this.location, ref);
    const manifest = await this.readManifest(keys.manifest);
    if (!manifest) return { dataBytes: undefined, manifestBytes: undefined, modified: undefined };
    const dataKey = dataObjectKey(this.location, ref, manifest.text);
    let dataBytes: number | undefined;
    if (dataKey !== undefined) {
      const { sdk, client } = await this.sdk();
      try {
        dataBytes = (await client.send(new sdk.HeadObjectCommand({ Bucket: this.location.bucket, Key: dataKey }))).ContentLength;
      } catch (err) {
        if (!isNotFound(err)) throw this.failure('HEAD', dataKey, err);
      }
    }
    return { dataBytes, manifestBytes: Buffer.byteLength(manifest.text), modified: manifest.modified };
  }

  async delete(ref: ArtifactRef, options: { readonly ifVersion?: ArtifactVersion } = {}): Promise<boolean> {
    const keys = artifactKeys(this.location, ref);
    const manifest = await this.readManifest(keys.manifest);
    if (!manifest) return false;
    if (options.ifVersion !== undefined && versionOf(manifest.text) !== options.ifVersion) return false;
    // Manifest first: if we stop half-way, what is left is a data object no manifest names (invisible).
    const ifMatch = options.ifVersion !== undefined && this.conditionalDelete ? manifest.etag : undefined;
    if (!(await this.deleteObject(keys.manifest, ifMatch))) return false;
    const dataKey = dataObjectKey(this.location, ref, manifest.text);
    if (dataKey !== undefined) await this.deleteObject(dataKey);
    return true;
  }

  async *list(kind?: string): AsyncIterable<ArtifactRef> {
    const prefix = underPrefix(this.location, kind === undefined ? '' : `${kind}/`);
    for await (const object of this.listObjects(prefix)) {
      const c = classifyObjectKey(this.location, object.key);
      if (c?.role === 'manifest' && (kind === undefined || c.ref.kind === kind)) yield c.ref;
    }
  }

  /**
   * Remove what dead or interrupted writers left: data objects no manifest names (older than
   * `strayMaxAgeMs`), multipart uploads never completed (same age; skipped on servers that cannot list
   * them), and staged local files of processes that no longer exist. Returns URLs and paths removed.
   */
  async sweep(): Promise<string[]> {
    const removed: string[] = [];
    const byArtifact = new Map<string, { ref: ArtifactRef; manifest: boolean; data: { key: string; modified: Date | undefined }[] }>();
    for await (const object of this.listObjects(underPrefix(this.location, ''))) {
      const c = classifyObjectKey(this.location, object.key);
      if (!c) continue;
      const id = `${c.ref.kind}/${c.ref.key}`;
      const entry = byArtifact.get(id) ?? { ref: c.ref, manifest: false, data: [] };
      byArtifact.set(id, entry);
      if (c.role === 'manifest') entry.manifest = true;
      else entry.data.push({ key: object.key, modified: object.modified });
    }
    const now = Date.now();
    for (const { ref, manifest, data } of byArtifact.values()) {
      const candidates = data.filter((d) => !activeUploads.has(d.key) && d.modified !== undefined && now - d.modified.getTime() > this.strayMaxAgeMs);
      if (candidates.length === 0) continue;
      const current = manifest ? await this.readManifest(artifactKeys(this.location, ref).manifest) : undefined;
      const named = current && dataObjectKey(this.location, ref, current.text);
      for (const d of candidates) {
        if (d.key !== named && (await this.deleteObject(d.key))) removed.push(this.url(d.key));
      }
    }
    removed.push(...(await this.abortStaleUploads(now)));
    removed.push(...(await this.removeLocalStrays()));
    return removed;
  }

  /** `s3://bucket/key`. */
  url(key: string): string {
    return s3Url(this.location, key);
  }

  private sdk(): Promise<{ sdk: S3Sdk; client: S3Client }> {
    this.clientPromise ??= (async () => {
      const sdk = await import('@aws-sdk/client-s3');
      return { sdk, client: this.givenClient ?? (await createS3Client(this.connection)) };
    })();
    return this.clientPromise;
  }

  /** The manifest's text, ETag and date, or undefined if there is none. */
  private async readManifest(key: string): Promise<{ text: string; etag: string | undefined; modified: Date | undefined } | undefined> {
    const { sdk, client } = await this.sdk();
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await client.send(new sdk.GetObjectCommand({ Bucket: this.location.bucket, Key: key }));
        const text = await response.Body!.transformToString('utf8');
        return { text, etag: response.ETag, modified: response.LastModified };
      } catch (err) {
        if (isNotFound(err)) return undefined;
        // The SDK retries failed requests, not a body cut off after the headers: retry that here.
        if (attempt < MANIFEST_READ_ATTEMPTS && isConnectionError(err)) continue;
        throw this.failure('GET', key, err);
      }
    }
  }

  /** Delete one object (with `If-Match` if given); false if it was absent or the precondition failed. */
  private async deleteObject(key: string, ifMatch?: string): Promise<boolean> {
    const { sdk, client } = await this.sdk();
    try {
      await client.send(new sdk.DeleteObjectCommand({ Bucket: this.location.bucket, Key: key, IfMatch: ifMatch }));
      return true;
    } catch (err) {
      if (ifMatch !== undefined && isNotImplemented(err)) {
        this.conditionalDelete = false;
        return this.deleteObject(key);
      }
      if (isPreconditionFailed(err) || isNotFound(err)) return false;
      throw this.failure('DELETE', key, err);
    }
  }

  /** Every object under `prefix` (ListObjectsV2, page by page). */
  private async *listObjects(prefix: string): AsyncIterable<{ key: string; modified: Date | undefined }> {
    const { sdk, client } = await this.sdk();
    let token: string | undefined;
    do {
      const page = await this.call('LIST', prefix, () =>
        client.send(new sdk.ListObjectsV2Command({ Bucket: this.location.bucket, Prefix: prefix === '' ? undefined : prefix, ContinuationToken: token })),
      );
      for (const o of page.Contents ?? []) if (o.Key !== undefined) yield { key: o.Key, modified: o.LastModified };
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  /** Abort multipart uploads under the prefix begun more than `strayMaxAgeMs` ago (not by us). */
  private async abortStaleUploads(now: number): Promise<string[]> {
    const { sdk, client } = await this.sdk();
    const removed: string[] = [];
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    do {
      let page;
      try {
        page = await client.send(
          new sdk.ListMultipartUploadsCommand({ Bucket: this.location.bucket, Prefix: underPrefix(this.location, '') || undefined, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }),
        );
      } catch (err) {
        if (isNotImplemented(err)) return removed;
        throw this.failure('LIST uploads', underPrefix(this.location, ''), err);
      }
      for (const u of page.Uploads ?? []) {
        if (!u.Key || !u.UploadId || activeUploads.has(u.Key) || !u.Initiated || now - u.Initiated.getTime() <= this.strayMaxAgeMs) continue;
        if (!classifyObjectKey(this.location, u.Key)) continue;
        await client.send(new sdk.AbortMultipartUploadCommand({ Bucket: this.location.bucket, Key: u.Key, UploadId: u.UploadId })).catch(() => undefined);
        removed.push(`${this.url(u.Key)} (multipart upload ${u.UploadId})`);
      }
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
    } while (keyMarker !== undefined);
    return removed;
  }

  /** Staged local files (of one artifact, if `base` is given) whose writer process is gone. */
  private async removeLocalStrays(base?: string): Promise<string[]> {
    const removed: string[] = [];
    let names: string[];
    try {
      names = await readdir(this.localDir);
    } catch {
      return removed;
    }
    for (const name of names) {
      const staging = parseStagingName(name);
      if (!staging || (base !== undefined && staging.target !== base)) continue;
      const path = join(this.localDir, name);
      if (activeStaging.abandoned(path, staging.pid)) {
        await rm(path, { force: true });
        removed.push(path);
      }
    }
    return removed;
  }

  /** Run one request, turning an SDK error into an error naming the operation and the object. */
  private async call<T>(operation: string, key: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof ArtifactStoreError) throw err;
      throw this.failure(operation, key, err);
    }
  }

  private failure(operation: string, key: string, err: unknown): ArtifactStoreError {
    return new ArtifactStoreError(`${this.description}: ${operation} ${this.url(key)} failed: ${describeS3Error(err)}`, { cause: err });
  }
}

/** The pair's identity: the SHA-256 of the manifest's bytes (the manifest names its data object). */
function versionOf(manifestText: string): ArtifactVersion {
  return `manifest-sha256:${createHash('sha256').update(manifestText, 'utf8').digest('hex')}`;
}
