import { createHash } from 'node:crypto';

/** sha256 (hex) of parts fed in order, each length-prefixed so that ["ab","c"] and ["a","bc"] differ. */
export function sha256OfParts(parts: Iterable<string>): string {
  const hash = createHash('sha256');
  for (const part of parts) {
    hash.update(`${Buffer.byteLength(part, 'utf8')}:`);
    hash.update(part, 'utf8');
  }
  return hash.digest('hex');
}

/** sha256 (hex) of token-id sequences: the exact ids as little-endian int32, one length word per row. */
export function sha256OfSequences(sequences: readonly (readonly number[])[]): string {
  const hash = createHash('sha256');
  for (const row of sequences) {
    const bytes = new DataView(new ArrayBuffer(4 * (row.length + 1)));
    bytes.setInt32(0, row.length, true);
    row.forEach((id, i) => bytes.setInt32(4 * (i + 1), id, true));
    hash.update(new Uint8Array(bytes.buffer));
  }
  return hash.digest('hex');
}
