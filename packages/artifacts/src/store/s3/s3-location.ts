import { ArtifactInputError } from '../../errors.js';
import type { ArtifactRef } from '../backend.js';

/** A bucket and a key prefix inside it: where one store's objects live. */
export interface S3Location {
  readonly bucket: string;
  /** Key prefix without leading or trailing '/', '' for the bucket's top. */
  readonly prefix: string;
}

/** S3 bucket naming rules (3-63 of lowercase letters, digits, '.', '-'; letter or digit at both ends). */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** `s3://bucket/some/prefix` → `{ bucket, prefix: 'some/prefix' }`; an error naming the URI otherwise. */
export function parseS3Uri(uri: string): S3Location {
  const m = /^s3:\/\/([^/]*)\/?(.*)$/.exec(uri);
  if (!m) throw new ArtifactInputError(`store URI ${JSON.stringify(uri)} is not of the form s3://bucket/prefix`);
  return s3Location(m[1], m[2], uri);
}

/** Check a bucket and normalise a prefix (no leading/trailing '/', no empty or '.'/'..' segments). */
export function s3Location(bucket: string, prefix = '', label = `s3://${bucket}/${prefix}`): S3Location {
  if (!BUCKET_NAME.test(bucket)) {
    throw new ArtifactInputError(`${label}: bucket ${JSON.stringify(bucket)} is not a valid S3 bucket name (3-63 of a-z, 0-9, '.', '-')`);
  }
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  if (trimmed !== '' && trimmed.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    throw new ArtifactInputError(`${label}: prefix ${JSON.stringify(prefix)} has an empty, '.' or '..' segment`);
  }
  return { bucket, prefix: trimmed };
}

/** The object key of `rest` under the location's prefix. */
export function underPrefix(location: S3Location, rest: string): string {
  return location.prefix === '' ? rest : `${location.prefix}/${rest}`;
}

/** `s3://bucket/key`, for messages. */
export function s3Url(location: S3Location, key: string): string {
  return `s3://${location.bucket}/${key}`;
}

/** Object keys of one artifact: the manifest, and the prefix every data object of the key starts with. */
export function artifactKeys(location: S3Location, ref: ArtifactRef): { manifest: string; dataPrefix: string } {
  const dir = underPrefix(location, `${ref.kind}/${ref.key.slice(0, 2)}/${ref.key}`);
  return { manifest: `${dir}.json`, dataPrefix: `${dir}.arrow.` };
}

/**
 * The data object a manifest names: `<key>.arrow.<created, digits only>-<sha256[0:16]>`, derived from
 * the manifest's own `created` and `sha256` fields, so the manifest stays byte-identical to the local
 * backend's `<key>.json` and still names exactly one data object. Two writes share a data object only
 * if they finished in the same millisecond with the same bytes, when the objects are interchangeable.
 * Undefined for a manifest that does not parse or lacks those fields.
 */
export function dataObjectKey(location: S3Location, ref: ArtifactRef, manifestText: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(manifestText);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { sha256, created } = parsed as { sha256?: unknown; created?: unknown };
  if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256) || typeof created !== 'string') return undefined;
  const stamp = created.replace(/[^0-9A-Za-z]/g, '');
  if (stamp === '' || stamp.length > 40) return undefined;
  return `${artifactKeys(location, ref).dataPrefix}${stamp}-${sha256.slice(0, 16)}`;
}

const ARTIFACT_OBJECT = /^([a-z][a-z0-9_-]{0,63})\/([0-9a-f]{2})\/([0-9a-f]{64})\.(json|arrow\.[0-9A-Za-z]+-[0-9a-f]{16})$/;

/** What an object key under the prefix is: a manifest, a data object, or neither (undefined). */
export function classifyObjectKey(location: S3Location, key: string): { ref: ArtifactRef; role: 'manifest' | 'data' } | undefined {
  const rest = location.prefix === '' ? key : key.startsWith(`${location.prefix}/`) ? key.slice(location.prefix.length + 1) : undefined;
  if (rest === undefined) return undefined;
  const m = ARTIFACT_OBJECT.exec(rest);
  if (!m || !m[3].startsWith(m[2])) return undefined;
  return { ref: { kind: m[1], key: m[3] }, role: m[4] === 'json' ? 'manifest' : 'data' };
}
