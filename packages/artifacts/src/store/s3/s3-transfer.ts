import { randomBytes } from 'node:crypto';
import { type FileHandle, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type * as S3SdkModule from '@aws-sdk/client-s3';
import type { CompletedPart, S3Client } from '@aws-sdk/client-s3';
import { ArtifactStoreError } from '../../errors.js';

/** The SDK module, imported on first use (see `createS3Client`). */
export type S3Sdk = typeof S3SdkModule;

export interface UploadOptions {
  /** Files up to this size go up in one PUT (default 32 MiB); larger ones as a multipart upload. */
  readonly multipartThresholdBytes: number;
  /** Part size of a multipart upload (default 16 MiB; S3 allows 5 MiB to 5 GiB, at most 10 000 parts). */
  readonly partBytes: number;
  /** Parts in flight at once (default 4); memory used is about this times `partBytes`. */
  readonly concurrency: number;
}

export const DEFAULT_UPLOAD_OPTIONS: UploadOptions = { multipartThresholdBytes: 32 << 20, partBytes: 16 << 20, concurrency: 4 };

/** S3's limits on multipart uploads. */
const MIN_PART_BYTES = 5 << 20;
const MAX_PARTS = 10_000;

/**
 * Upload a local file to `bucket/key`. Each part (or the whole small file) is read into memory first,
 * so the SDK can retry a failed request with the same bytes. A failed multipart upload is aborted, so
 * S3 keeps no invisible parts. The object appears whole or not at all (S3 PUT and
 * CompleteMultipartUpload are atomic).
 */
export async function uploadFile(sdk: S3Sdk, client: S3Client, bucket: string, key: string, path: string, options: UploadOptions): Promise<void> {
  const handle = await open(path, 'r');
  try {
    const size = Number((await handle.stat()).size);
    if (size <= options.multipartThresholdBytes) {
      const body = await readRange(handle, 0, size);
      await client.send(new sdk.PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: size, ContentType: 'application/vnd.apache.arrow.file' }));
      return;
    }
    const partBytes = Math.max(options.partBytes, MIN_PART_BYTES, Math.ceil(size / MAX_PARTS));
    const partCount = Math.ceil(size / partBytes);
    const created = await client.send(new sdk.CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: 'application/vnd.apache.arrow.file' }));
    const uploadId = created.UploadId;
    if (!uploadId) throw new ArtifactStoreError(`s3://${bucket}/${key}: the server started a multipart upload without an UploadId`);
    try {
      const parts: CompletedPart[] = new Array(partCount);
      let next = 0;
      const worker = async () => {
        for (let i = next++; i < partCount; i = next++) {
          const start = i * partBytes;
          const body = await readRange(handle, start, Math.min(partBytes, size - start));
          const done = await client.send(new sdk.UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: i + 1, Body: body, ContentLength: body.length }));
          parts[i] = { PartNumber: i + 1, ETag: done.ETag, ChecksumCRC32: done.ChecksumCRC32 };
        }
      };
      await Promise.all(Array.from({ length: Math.min(options.concurrency, partCount) }, worker));
      await client.send(new sdk.CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
    } catch (err) {
      await client.send(new sdk.AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
      throw err;
    }
  } finally {
    await handle.close();
  }
}

async function readRange(handle: FileHandle, start: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  for (let offset = 0; offset < length; ) {
    const { bytesRead } = await handle.read(buffer, offset, length - offset, start + offset);
    if (bytesRead === 0) throw new ArtifactStoreError(`staged file ended at byte ${start + offset} while uploading it (expected ${start + length})`);
    offset += bytesRead;
  }
  return buffer;
}

/**
 * Stream an object's body into a private local file and return an open handle on it. The file is
 * unlinked as soon as it is created, so it vanishes when the handle closes (or the process dies) and
 * no other process can change it: the bytes the store verifies are the bytes it parses. A body that
 * ends before its Content-Length is an error (a network failure, not a corrupt artifact).
 */
export async function downloadToPrivateFile(body: Readable, contentLength: number | undefined, dir: string, label: string): Promise<FileHandle> {
  const path = join(dir, `sinkscope-s3-${process.pid}-${randomBytes(8).toString('hex')}.arrow`);
  const handle = await open(path, 'wx+', 0o600);
  try {
    await unlink(path);
    let position = 0;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      for (let offset = 0; offset < chunk.length; ) {
        const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset, position);
        offset += bytesWritten;
        position += bytesWritten;
      }
    }
    if (contentLength !== undefined && position !== contentLength) {
      throw new ArtifactStoreError(`${label}: download ended after ${position} of ${contentLength} bytes (connection lost?); try again`);
    }
    return handle;
  } catch (err) {
    body.destroy();
    await handle.close().catch(() => undefined);
    await unlink(path).catch(() => undefined);
    throw err;
  }
}
