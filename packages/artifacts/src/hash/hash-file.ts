import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import type { Sha256Hex } from './hash-inputs.js';

/** Read size of the streamed hashers: large enough that syscalls cost nothing next to SHA-256. */
const CHUNK_BYTES = 4 << 20;

/** The result of hashing an open file: its digest and how many bytes it had. */
export interface HandleDigest {
  readonly sha256: Sha256Hex;
  readonly bytes: number;
}

/**
 * SHA-256 of everything in an open file, read from offset 0 in 4 MiB chunks (never whole in memory).
 * Reads by position, so the handle's own file position is not used and not moved.
 */
export async function sha256OfFileHandle(handle: FileHandle): Promise<HandleDigest> {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  let position = 0;
  for (;;) {
    const { bytesRead } = await handle.read(buffer, 0, CHUNK_BYTES, position);
    if (bytesRead === 0) break;
    hash.update(buffer.subarray(0, bytesRead));
    position += bytesRead;
  }
  return { sha256: hash.digest('hex'), bytes: position };
}

/** Streamed SHA-256 (lowercase hex) of a file's bytes. */
export async function hashFile(path: string): Promise<Sha256Hex> {
  const handle = await open(path, 'r');
  try {
    return (await sha256OfFileHandle(handle)).sha256;
  } finally {
    await handle.close();
  }
}
