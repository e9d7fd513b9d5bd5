import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';

/** A lowercase hex SHA-256 digest (64 characters). */
export type Sha256Hex = string;

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** True for a lowercase hex SHA-256 digest, the only form of artifact key the store accepts. */
export function isSha256Hex(value: unknown): value is Sha256Hex {
  return typeof value === 'string' && SHA256_HEX.test(value);
}

/**
 * The cache key of a pipeline step: SHA-256 of the canonical JSON of its inputs (see `canonicalJson`
 * for the rules). Put everything that changes the output in `value`: the normalised spec, the hashes
 * of the checkpoint and dataset files (`hashFiles`), the schema version of the output kind.
 */
export function hashInputs(value: unknown): Sha256Hex {
  return createHash('sha256').update(canonicalJson(value), 'utf8').digest('hex');
}
