// Backend selection by URI. It belongs beside backend.ts; it lives here only because of file
// ownership while the S3 and shared-filesystem backends were added (move it freely).
import { ArtifactInputError } from '../../errors.js';
import { ArtifactStore, type ArtifactStoreOptions } from '../artifact-store.js';
import type { StoreBackend } from '../backend.js';
import { DEFAULT_CACHE_ROOT, LocalFolderBackend, type LocalFolderBackendOptions, resolveCacheRoot } from '../local/local-backend.js';
import { SharedFsBackend, type SharedFsBackendOptions } from '../shared-fs/shared-fs-backend.js';
import { S3Backend, type S3BackendOptions } from './s3-backend.js';

/** Options passed on to whichever backend the URI selects. */
export interface BackendFromUriOptions {
  readonly local?: Omit<LocalFolderBackendOptions, 'root'>;
  readonly sharedFs?: Omit<SharedFsBackendOptions, 'root'>;
  /** Endpoint, region, credentials client, upload sizes... (the bucket and prefix come from the URI). */
  readonly s3?: Omit<S3BackendOptions, 'uri' | 'bucket' | 'prefix'>;
}

/**
 * The backend a store URI names:
 *
 * - `s3://bucket/prefix`: `S3Backend` (endpoint from `$AWS_ENDPOINT_URL_S3` / `$AWS_ENDPOINT_URL` or
 *   `options.s3.endpoint`, region from `$AWS_REGION`, default `us-east-1`, credentials from the AWS
 *   default provider chain);
 * - `shared-fs:///absolute/path`: `SharedFsBackend` (writers on several hosts);
 * - `file:///absolute/path` or a plain folder path: `LocalFolderBackend`.
 */
export function backendFromUri(uri: string, options: BackendFromUriOptions = {}): StoreBackend {
  if (typeof uri !== 'string' || uri.trim() === '') throw new ArtifactInputError('store URI is empty: give a folder, shared-fs:///path or s3://bucket/prefix');
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(uri)?.[1]?.toLowerCase();
  if (scheme === undefined) return new LocalFolderBackend({ ...options.local, root: uri });
  if (scheme === 's3') return new S3Backend({ ...options.s3, uri });
  if (scheme === 'shared-fs' || scheme === 'file') {
    const m = /^[^:]+:\/\/(\/.*)$/.exec(uri);
    if (!m) throw new ArtifactInputError(`store URI ${JSON.stringify(uri)}: write ${scheme}:///absolute/path (three slashes; no host)`);
    const root = decodeURIComponent(m[1]);
    return scheme === 'file' ? new LocalFolderBackend({ ...options.local, root }) : new SharedFsBackend({ ...options.sharedFs, root });
  }
  throw new ArtifactInputError(`store URI ${JSON.stringify(uri)}: unknown scheme '${scheme}://' (use a folder path, file:///path, shared-fs:///path or s3://bucket/prefix)`);
}

/**
 * A store on the backend `$SINKSCOPE_STORE` names (see `backendFromUri`); unset or empty, the local
 * folder `$SINKSCOPE_CACHE`, else `.sinkscope/cache`. The file-hash cache of `hashFiles` stays on this
 * machine whatever the backend.
 */
export function storeFromEnv(options: Omit<ArtifactStoreOptions, 'backend'> & { readonly backends?: BackendFromUriOptions; readonly env?: NodeJS.ProcessEnv } = {}): ArtifactStore {
  const env = options.env ?? process.env;
  const uri = env.SINKSCOPE_STORE || undefined;
  const backend = uri === undefined ? new LocalFolderBackend({ ...options.backends?.local, root: resolveCacheRoot(options.root ?? (env.SINKSCOPE_CACHE || DEFAULT_CACHE_ROOT)) }) : backendFromUri(uri, options.backends);
  return new ArtifactStore({ ...options, backend });
}
