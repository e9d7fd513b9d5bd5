import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArtifactStore, backendFromUri, buildArtifactMetadata, hashFiles, hashInputs, packageVersions, type JsonValue } from '@sinkscope/artifacts';
import { buildEvalSet, resolveDatasetSpec, type EvalSet } from '@sinkscope/datasets';
import { Checkpoint, hasTokenizer, loadTokenizer, type ArchSpec } from '@sinkscope/model-io';
import { cacheView } from '../spec/cache-view.js';
import { loadSpec } from '../spec/load.js';
import type { ModelRef, PipelineSpec } from '../spec/schema.js';

/** The repository root (where nx.json lives). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
export const DEFAULT_MODEL_DIR = join(REPO_ROOT, 'packages/train/default-model');

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
  const root = process.env.SINKSCOPE_CACHE ?? join(REPO_ROOT, '.sinkscope/cache');
  const uri = process.env.SINKSCOPE_STORE;
  // file hashes are of local checkpoint files, so their cache stays on this machine
  return uri ? new ArtifactStore({ backend: backendFromUri(uri), fileHashCachePath: join(REPO_ROOT, '.sinkscope', 'file-hashes.json') }) : new ArtifactStore({ root });
}

export function defaultRunsRoot(): string {
  return process.env.SINKSCOPE_RUNS ?? join(REPO_ROOT, '.sinkscope', 'runs');
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

/** A model of the spec, resolved: its folder, architecture and content hash. */
export interface ResolvedModel {
  readonly ref: ModelRef;
  readonly dir: string;
  readonly arch: ArchSpec;
  /** sha256 over config.json, the safetensors files and the tokenizer files (cached by size+mtime). */
  readonly contentHash: string;
}

export async function resolveModel(ctx: PipelineContext, ref: ModelRef): Promise<ResolvedModel> {
  const dir = ref.path === 'default' ? DEFAULT_MODEL_DIR : resolve(REPO_ROOT, ref.path);
  if (!existsSync(dir)) throw new Error(`${ctx.specFile}: field 'models[${ctx.spec.models.indexOf(ref)}].path': checkpoint folder not found: ${dir} (model '${ref.name}')`);
  const ckpt = Checkpoint.open(dir);
  try {
    const files = [join(dir, 'config.json'), ...ckpt.weightFiles, ...['tokenizer.json', 'tokenizer_config.json'].map((f) => join(dir, f)).filter(existsSync)];
    const digest = await hashFiles(files, { cachePath: ctx.store.fileHashCachePath });
    return { ref, dir, arch: ckpt.arch, contentHash: digest.sha256 };
  } finally {
    ckpt.close();
  }
}

/** The spec's dataset for one model (text sources go through the model's own tokenizer). */
export async function datasetFor(ctx: PipelineContext, model: ResolvedModel): Promise<EvalSet> {
  const spec = await resolveDatasetSpec(resolve(REPO_ROOT, ctx.spec.dataset.spec)).catch((err: Error) => {
    throw new Error(`${ctx.specFile}: field 'dataset.spec': ${err.message}`);
  });
  const tokenizer = hasTokenizer(model.dir) ? await loadTokenizer(model.dir) : null;
  const build = buildEvalSet(spec, tokenizer, {
    seqLen: ctx.spec.seqLen,
    ...(ctx.spec.dataset.count !== undefined ? { count: ctx.spec.dataset.count } : {}),
    ...(ctx.spec.dataset.seed !== undefined ? { seed: ctx.spec.dataset.seed } : {}),
    bosPolicy: ctx.spec.bosPolicy,
    vocab: { vocabSize: model.arch.vocabSize, bosTokenId: model.arch.bosTokenId ?? null, eosTokenId: model.arch.eosTokenId ?? null },
  });
  return build.catch((err: Error) => {
    throw new Error(`${ctx.specFile}: model '${model.ref.name}' (${model.dir}): ${err.message}`);
  });
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
