import type { Schema } from 'apache-arrow';
import { ArtifactInputError } from '../errors.js';
import { canonicalJson, type JsonValue } from '../hash/canonical-json.js';
import { findArtifactKind } from './kinds.js';

/** Every sinkscope metadata key starts with this. */
export const METADATA_PREFIX = 'sinkscope.';

/** The keys every artifact carries (without the prefix). */
export const COMMON_METADATA_KEYS = [
  'schema_version',
  'kind',
  'spec_hash',
  'model',
  'dataset',
  'bos_policy',
  'engine',
  'backend',
  'versions',
] as const;

/** Arrow schema metadata of an artifact: `sinkscope.*` keys to string values. */
export type ArtifactMetadata = ReadonlyMap<string, string>;

/** A metadata value: strings are stored as they are, anything else as canonical JSON. */
export type MetadataValue = JsonValue;

/** What a pipeline step knows about the artifact it writes. */
export interface ArtifactMetadataInput {
  /** Artifact kind ('layers', 'hidden_states', ...). */
  readonly kind: string;
  /** Column-layout version; filled in for the shared table kinds, required for any other kind. */
  readonly schemaVersion?: number;
  /** `hashInputs` of the normalised pipeline spec. */
  readonly specHash: string;
  /** Model id as named in the spec. */
  readonly model: string;
  /** Dataset id as named in the spec. */
  readonly dataset: string;
  /** How the first token was chosen ('prepend-bos', 'as-is', ...). */
  readonly bosPolicy: string;
  /** Compute engine ('onnx', 'tfjs'). */
  readonly engine: string;
  /** Engine backend ('cpu', 'wasm', 'cuda'). */
  readonly backend: string;
  /** Package versions that produced the numbers (see `packageVersions`). */
  readonly versions: Readonly<Record<string, string>>;
  /**
   * Step-specific keys, stored as `sinkscope.<name>` (snake_case names): `seq_len` and `eps` for
   * every shared table, `emergence_hidden_index` for `massive`, anything else a step wants to record.
   */
  readonly extra?: Readonly<Record<string, MetadataValue>>;
}

/** The metadata of an artifact, read back and typed. */
export interface ParsedArtifactMetadata extends Omit<ArtifactMetadataInput, 'schemaVersion' | 'extra'> {
  readonly schemaVersion: number;
  /** Every other `sinkscope.*` key, without the prefix, as the stored string (JSON for non-strings). */
  readonly extra: Readonly<Record<string, string>>;
}

const SNAKE_NAME = /^[a-z][a-z0-9_]*$/;

/**
 * The schema metadata of an artifact, keys sorted so the same inputs give byte-identical Arrow files.
 * Errors name the kind and the offending field.
 */
export function buildArtifactMetadata(input: ArtifactMetadataInput): Map<string, string> {
  const where = `artifact metadata for kind '${input.kind}'`;
  const spec = findArtifactKind(input.kind);
  const schemaVersion = input.schemaVersion ?? spec?.version;
  if (schemaVersion === undefined) throw new ArtifactInputError(`${where}: schemaVersion is required for kinds other than the shared tables`);
  if (!Number.isInteger(schemaVersion) || schemaVersion < 1) throw new ArtifactInputError(`${where}: schemaVersion must be a positive integer, got ${schemaVersion}`);
  if (spec && schemaVersion !== spec.version) {
    throw new ArtifactInputError(`${where}: schemaVersion ${schemaVersion} differs from the declared version ${spec.version} of '${spec.kind}'`);
  }
  const strings: Record<string, unknown> = {
    kind: input.kind,
    spec_hash: input.specHash,
    model: input.model,
    dataset: input.dataset,
    bos_policy: input.bosPolicy,
    engine: input.engine,
    backend: input.backend,
  };
  for (const [key, value] of Object.entries(strings)) {
    if (typeof value !== 'string' || value === '') throw new ArtifactInputError(`${where}: ${key} must be a non-empty string, got ${JSON.stringify(value)}`);
  }
  const versions = input.versions as unknown;
  if (typeof versions !== 'object' || versions === null || Array.isArray(versions)) throw new ArtifactInputError(`${where}: versions must be an object of package name -> version`);
  for (const [name, version] of Object.entries(versions)) {
    if (typeof version !== 'string') throw new ArtifactInputError(`${where}: versions['${name}'] must be a string, got ${JSON.stringify(version)}`);
  }
  const entries: [string, string][] = Object.entries(strings).map(([k, v]) => [k, v as string]);
  entries.push(['schema_version', String(schemaVersion)], ['versions', canonicalJson(versions)]);
  const reserved = new Set<string>(COMMON_METADATA_KEYS);
  for (const [name, value] of Object.entries(input.extra ?? {})) {
    if (!SNAKE_NAME.test(name)) throw new ArtifactInputError(`${where}: extra key '${name}' must be snake_case`);
    if (reserved.has(name)) throw new ArtifactInputError(`${where}: extra key '${name}' is a common key; set it through its own field`);
    if (value === undefined) continue;
    entries.push([name, typeof value === 'string' ? value : canonicalJson(value)]);
  }
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return new Map(entries.map(([k, v]) => [METADATA_PREFIX + k, v]));
}

/**
 * Check that `metadata` is complete for an artifact of `kind`: every common key, `sinkscope.kind`
 * equal to `kind`, a valid schema version (the declared one for shared tables) and the kind's
 * required extra keys. Returns the parsed metadata; errors name the kind and every missing key.
 */
export function validateArtifactMetadata(kind: string, metadata: ArtifactMetadata): ParsedArtifactMetadata {
  const where = `artifact '${kind}'`;
  const spec = findArtifactKind(kind);
  const required = [...COMMON_METADATA_KEYS, ...Object.keys(spec?.requiredMetadata ?? {})];
  const missing = required.filter((k) => !metadata.has(METADATA_PREFIX + k));
  if (missing.length > 0) {
    throw new ArtifactInputError(`${where}: metadata lacks ${missing.map((k) => METADATA_PREFIX + k).join(', ')} (build it with buildArtifactMetadata)`);
  }
  const parsed = parseArtifactMetadata(metadata, where);
  if (parsed.kind !== kind) throw new ArtifactInputError(`${where}: metadata says sinkscope.kind = '${parsed.kind}'`);
  if (spec && parsed.schemaVersion !== spec.version) {
    throw new ArtifactInputError(`${where}: metadata says sinkscope.schema_version = ${parsed.schemaVersion}, but '${kind}' is at version ${spec.version}`);
  }
  return parsed;
}

/** The typed metadata of an artifact's schema (or of its metadata map). */
export function readArtifactMetadata(source: Schema | ArtifactMetadata): ParsedArtifactMetadata {
  const metadata = 'fields' in source ? (source as Schema).metadata : (source as ArtifactMetadata);
  return parseArtifactMetadata(metadata, 'artifact');
}

function parseArtifactMetadata(metadata: ArtifactMetadata, where: string): ParsedArtifactMetadata {
  const get = (key: string): string => {
    const value = metadata.get(METADATA_PREFIX + key);
    if (value === undefined) throw new ArtifactInputError(`${where}: metadata lacks ${METADATA_PREFIX}${key}`);
    return value;
  };
  const schemaVersion = Number(get('schema_version'));
  if (!Number.isInteger(schemaVersion) || schemaVersion < 1) {
    throw new ArtifactInputError(`${where}: ${METADATA_PREFIX}schema_version = '${get('schema_version')}' is not a positive integer`);
  }
  let versions: unknown;
  try {
    versions = JSON.parse(get('versions'));
  } catch {
    versions = undefined;
  }
  if (typeof versions !== 'object' || versions === null || Array.isArray(versions) || Object.values(versions).some((v) => typeof v !== 'string')) {
    throw new ArtifactInputError(`${where}: ${METADATA_PREFIX}versions must be a JSON object of strings`);
  }
  const common = new Set<string>(COMMON_METADATA_KEYS);
  const extra: Record<string, string> = {};
  for (const [key, value] of metadata) {
    if (!key.startsWith(METADATA_PREFIX)) continue;
    const name = key.slice(METADATA_PREFIX.length);
    if (!common.has(name)) extra[name] = value;
  }
  return {
    schemaVersion,
    kind: get('kind'),
    specHash: get('spec_hash'),
    model: get('model'),
    dataset: get('dataset'),
    bosPolicy: get('bos_policy'),
    engine: get('engine'),
    backend: get('backend'),
    versions: versions as Record<string, string>,
    extra,
  };
}
