import type { JsonValue } from '../hash/canonical-json.js';
import { isSha256Hex, type Sha256Hex } from '../hash/hash-inputs.js';
import type { ArtifactRef } from './backend.js';

export const MANIFEST_FORMAT = 'sinkscope.artifact';
export const MANIFEST_VERSION = 1;

/**
 * `<key>.json`, written after the data: what the artifact is and how to check its bytes.
 * snake_case like the Arrow columns, so the file reads the same from Python.
 */
export interface ArtifactManifest {
  readonly format: typeof MANIFEST_FORMAT;
  readonly manifest_version: typeof MANIFEST_VERSION;
  readonly kind: string;
  readonly key: Sha256Hex;
  /** `sinkscope.schema_version` of the data. */
  readonly schema_version: number;
  /** What the key was hashed from, in brief (by default spec hash, model, dataset, BOS policy, engine, backend). */
  readonly inputs: JsonValue;
  readonly row_count: number;
  readonly batch_count: number;
  /** Size of the `.arrow` file in bytes. */
  readonly byte_size: number;
  /** SHA-256 of the `.arrow` file. */
  readonly sha256: Sha256Hex;
  /** ISO 8601 time the data was finished. */
  readonly created: string;
}

/** The manifest as stored: pretty-printed JSON with a trailing newline. */
export function serializeManifest(manifest: ArtifactManifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/**
 * Parse and check a stored manifest against the artifact it should describe. Returns the manifest,
 * or a short reason it cannot be trusted.
 */
export function parseManifest(text: string, ref: ArtifactRef): ArtifactManifest | { problem: string } {
  let m: Partial<Record<keyof ArtifactManifest, unknown>>;
  try {
    m = JSON.parse(text) as typeof m;
  } catch {
    return { problem: 'manifest is not valid JSON' };
  }
  if (typeof m !== 'object' || m === null) return { problem: 'manifest is not a JSON object' };
  if (m.format !== MANIFEST_FORMAT || m.manifest_version !== MANIFEST_VERSION) {
    return { problem: `manifest format ${JSON.stringify(m.format)} v${String(m.manifest_version)} is not ${MANIFEST_FORMAT} v${MANIFEST_VERSION}` };
  }
  if (m.kind !== ref.kind || m.key !== ref.key) return { problem: `manifest describes ${String(m.kind)}/${String(m.key)}` };
  const counts = ['schema_version', 'row_count', 'batch_count', 'byte_size'] as const;
  for (const field of counts) {
    const v = m[field];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) return { problem: `manifest field ${field} is ${JSON.stringify(v)}` };
  }
  if (!isSha256Hex(m.sha256)) return { problem: 'manifest field sha256 is not a SHA-256 hex digest' };
  if (typeof m.created !== 'string') return { problem: 'manifest field created is missing' };
  if (!('inputs' in m)) return { problem: 'manifest field inputs is missing' };
  return m as ArtifactManifest;
}
