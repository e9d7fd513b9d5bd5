// Content-addressed Arrow artifact store, schemas of the shared tables, and Parquet export.
export { ArtifactInputError, ArtifactStoreError } from './errors.js';

export * from './hash/index.js';

export { column, arrowType, columnsSchema, type ColumnInput, type ColumnSpec, type ColumnType, type ColumnValue } from './schema/columns.js';
export {
  ABLATION,
  ARTIFACT_KINDS,
  findArtifactKind,
  getArtifactKind,
  HEADS,
  LAYERS,
  MASSIVE,
  NORMS,
  PATTERN,
  QK,
  SINK_SWEEP,
  TRAINING,
  ENTROPY_SEQUENCES,
  METRICS_SEQUENCES,
  LOGIT_LENS,
  MULTIPLE_CHOICE,
  PROBES,
  DYNAMICS,
  type ArtifactKindSpec,
  type ColumnsOf,
  type RowOf,
  type SharedKindName,
} from './schema/kinds.js';
export { renderKindsMarkdown } from './schema/kinds-doc.js';
export {
  buildArtifactMetadata,
  COMMON_METADATA_KEYS,
  METADATA_PREFIX,
  readArtifactMetadata,
  validateArtifactMetadata,
  type ArtifactMetadata,
  type ArtifactMetadataInput,
  type MetadataValue,
  type ParsedArtifactMetadata,
} from './schema/metadata.js';
export { buildRecordBatch, buildRecordBatchFromRows, conformRecordBatch, type BatchTarget } from './schema/record-batch.js';
export { packageVersions } from './schema/versions.js';

export {
  ArtifactStore,
  type ArtifactBatches,
  type ArtifactStoreOptions,
  type EnsureResult,
  type Producer,
  type WriteOptions,
} from './store/artifact-store.js';
export { ArtifactWriter, type AppendInput } from './store/artifact-writer.js';
export type { ArtifactRef, ArtifactStat, ArtifactVersion, StagedArtifact, StoreBackend, StoredArtifact } from './store/backend.js';
export { DEFAULT_CACHE_ROOT, LocalFolderBackend, resolveCacheRoot, type LocalFolderBackendOptions } from './store/local/local-backend.js';
export type { KeyLockOptions } from './store/local/key-lock.js';
export { SharedFsBackend, type SharedFsBackendOptions } from './store/shared-fs/shared-fs-backend.js';
export type { HostLockOptions } from './store/shared-fs/host-lock.js';
export { S3Backend, type S3BackendOptions } from './store/s3/s3-backend.js';
export { resolveS3Connection, type ResolvedS3Connection, type S3ConnectionOptions } from './store/s3/s3-client.js';
export { parseS3Uri, type S3Location } from './store/s3/s3-location.js';
export type { UploadOptions as S3UploadOptions } from './store/s3/s3-transfer.js';
export { backendFromUri, storeFromEnv, type BackendFromUriOptions } from './store/s3/backend-from-uri.js';
export { MANIFEST_FORMAT, MANIFEST_VERSION, type ArtifactManifest } from './store/manifest.js';

export { exportParquet, type BatchSource, type ParquetCompression, type ParquetExportOptions, type ParquetExportResult } from './parquet/export-parquet.js';
