import { join, resolve } from 'node:path';
import { ArtifactStore, backendFromUri, buildArtifactMetadata, hashInputs, packageVersions, type JsonValue } from '@sinkscope/artifacts';
import { cacheView } from '../schema/cache-view.js';
import { loadSpec } from '../schema/load.js';
import type { PipelineSpec } from '../schema/pipeline-schema.js';
import { defaultCacheRoot, defaultRunsRoot, fileHashCachePath, REPO_ROOT } from './paths.js';

/** Everything a step needs: the normalised spec, its hash, the artifact store, a logger. */
export interface PipelineContext {
  readonly specFile: string;
  readonly spec: PipelineSpec;
  readonly specHash: string;
  readonly store: ArtifactStore;
  /**
   * The models this run works on (indices into spec.models): all of them, or the one an Nx model
   * project (or a Slurm task) names. The report step always reads every model.
   */
  readonly modelIndices: readonly number[];
  /** The extract shards this run computes (all when absent): a Slurm array task computes one. */
  readonly shards?: readonly number[];
  /** Set when one model was selected: receipts then go to runs/<pipeline>/<model>/. */
  readonly modelName?: string;
  /** Where `reports/<pipeline>/` is written (default: the repository's reports/, env SINKSCOPE_REPORTS). */
  readonly reportsRoot: string;
  /** Where step receipts go (default .sinkscope/runs; Nx caches them as the targets' outputs). */
  readonly runsRoot: string;
  readonly log: (message: string) => void;
  /** Results for the user (the per-layer table): stdout by default. */
  readonly print: (text: string) => void;
}

export interface ContextOptions {
  readonly store?: ArtifactStore;
  /** Work on this model of the spec only (its name). */
  readonly model?: string;
  /** Compute only these extract shards. */
  readonly shards?: readonly number[];
  readonly reportsRoot?: string;
  readonly runsRoot?: string;
  readonly log?: (m: string) => void;
  readonly print?: (text: string) => void;
}

/**
 * The artifact store: `$SINKSCOPE_STORE` (a folder, `shared-fs:///path` or `s3://bucket/prefix`; see
 * @sinkscope/artifacts), else `$SINKSCOPE_CACHE`, else the repository's `.sinkscope/cache`.
 */
export function defaultStore(): ArtifactStore {
  const uri = process.env.SINKSCOPE_STORE;
  // file hashes are of local checkpoint files, so their cache stays on this machine (paths.ts)
  return uri ? new ArtifactStore({ backend: backendFromUri(uri), fileHashCachePath: fileHashCachePath() }) : new ArtifactStore({ root: defaultCacheRoot(), fileHashCachePath: fileHashCachePath() });
}

export function openContext(specFile: string, options: ContextOptions = {}): PipelineContext {
  const file = resolve(specFile);
  const spec = loadSpec(file);
  let modelIndices = spec.models.map((_, i) => i);
  if (options.model !== undefined) {
    const i = spec.models.findIndex((m) => m.name === options.model);
    if (i < 0) throw new Error(`${file}: no model '${options.model}' in field 'models' (models: ${spec.models.map((m) => m.name).join(', ')})`);
    modelIndices = [i];
  }
  return {
    specFile: file,
    spec,
    specHash: hashInputs(cacheView(spec) as unknown as JsonValue),
    store: options.store ?? defaultStore(),
    modelIndices,
    ...(options.shards ? { shards: options.shards } : {}),
    ...(options.model !== undefined ? { modelName: options.model } : {}),
    reportsRoot: options.reportsRoot ?? process.env.SINKSCOPE_REPORTS ?? join(REPO_ROOT, 'reports'),
    runsRoot: options.runsRoot ?? defaultRunsRoot(),
    log: options.log ?? ((m) => process.stderr.write(`${m}\n`)),
    print: options.print ?? ((t) => process.stdout.write(t)),
  };
}

const VERSIONED_PACKAGES = ['@sinkscope/model-io', '@sinkscope/metrics', '@sinkscope/entropy', '@sinkscope/pipeline', '@sinkscope/artifacts', 'onnxruntime-node', '@tensorflow/tfjs'];

/** Arrow schema metadata of an artifact of this run. */
export function artifactMetadata(
  ctx: PipelineContext,
  input: { kind: string; schemaVersion?: number; model: string; dataset: string; engine: string; backend: string; extra?: Record<string, JsonValue> },
): Map<string, string> {
  return buildArtifactMetadata({
    kind: input.kind,
    ...(input.schemaVersion !== undefined ? { schemaVersion: input.schemaVersion } : {}),
    specHash: ctx.specHash,
    model: input.model,
    dataset: input.dataset,
    bosPolicy: ctx.spec.bosPolicy,
    engine: input.engine,
    backend: input.backend,
    versions: packageVersions(VERSIONED_PACKAGES, REPO_ROOT),
    extra: { seq_len: ctx.spec.seqLen, eps: ctx.spec.metrics.eps, ...input.extra },
  });
}
