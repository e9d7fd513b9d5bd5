import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { hashFiles } from '@sinkscope/artifacts';
import { buildEvalSet, loadLabelledSet, loadMultipleChoiceSet, resolveDatasetSpec, type EvalSet, type LabelledSet, type MultipleChoiceSet } from '@sinkscope/datasets';
import { Checkpoint, hasTokenizer, loadTokenizer, resolveEngine, type ArchSpec, type CheckpointLocation, type EngineName, type HookName } from '@sinkscope/model-io';
import { ACTIVATIONS_KIND } from '../kinds/activations.js';
import { METRICS_KINDS, type MetricsKind } from '../kinds/step-kinds.js';
import type { PipelineContext } from '../run/context.js';
import { activationsKey, combinedActivationsKey, entropyArtifactKey, entropySequencesKey, extractHooks, layersKey, lensArtifactKeys, metricsArtifactKey, metricsKey, type LensArtifactKeys } from '../run/keys.js';
import { locateModel, REPO_ROOT } from '../run/paths.js';
import type { StepReceipt } from '../run/receipt.js';
import { shardRanges, type ShardRange } from '../run/shards.js';
import { modelField } from '../schema/load.js';
import type { DatasetRef, ModelRef, PipelineSpec } from '../schema/pipeline-schema.js';

/** A model of the spec, resolved: its folder, architecture and content hash. */
export interface ResolvedModel {
  readonly ref: ModelRef;
  readonly dir: string;
  /** How `ref.path` was found: a folder, the default model, or a Hugging Face cache snapshot (repo, revision, commit). */
  readonly location: CheckpointLocation;
  readonly arch: ArchSpec;
  /**
   * sha256 over config.json, the safetensors files and the tokenizer files (cached by size+mtime): a
   * cache snapshot hashes as the folder it was downloaded from, so a moved cache is still a hit.
   */
  readonly contentHash: string;
}

/** One extract shard with the key of its activations artifact. */
export interface ActivationShard extends ShardRange {
  readonly key: string;
}

/**
 * Where every artifact of one model lives and what produces them, computed without running the
 * model: the resolved checkpoint, its dataset, the hooks to capture, the engine, and the key of every
 * artifact each step writes. Built once per run (`modelPlan`) and read by every step and launcher.
 */
export interface ModelPlan {
  readonly model: ResolvedModel;
  readonly hooks: HookName[];
  readonly engine: EngineName;
  readonly backend: string;
  readonly sequences: number[][];
  readonly sequencesHash: string;
  readonly firstIsBos: boolean;
  readonly datasetName: string;
  /** One activations artifact per extract shard, in sequence order. */
  readonly shards: readonly ActivationShard[];
  /** The key of all shards together (the metrics and entropy keys build on it). */
  readonly activationsKey: string;
  /** The metrics step's key, and each of its artifacts' keys. */
  readonly metricsKey: string;
  readonly metricsArtifacts: Readonly<Record<MetricsKind, string>>;
  readonly entropyArtifact: string;
  /** The entropy step's per-sequence `entropy_sequences` table. */
  readonly entropySequencesArtifact: string;
  /** The lens step's artifacts (LogitLens, multiple choice, probes), each keyed by its own inputs. */
  readonly lensArtifacts: LensArtifactKeys;
  /** The report's joined `layers` table. */
  readonly layersArtifact: string;
  /** The depth analyses' task sets, tokenised with this model's tokenizer (when the spec asks for them). */
  readonly tasks: { readonly multipleChoice?: MultipleChoiceSet; readonly probes?: LabelledSet };
}

/** The spec's multiple-choice and labelled sets for one model (their hashes enter the lens keys). */
async function taskSetsFor(ctx: PipelineContext, model: ResolvedModel): Promise<ModelPlan['tasks']> {
  const a = ctx.spec.analyses;
  if (!a.multipleChoice && !a.probes) return {};
  const tokenizer = hasTokenizer(model.dir) ? await loadTokenizer(model.dir) : null;
  const load = async <T>(field: 'multipleChoice' | 'probes', build: (spec: Awaited<ReturnType<typeof resolveDatasetSpec>>) => Promise<T>): Promise<T> => {
    const ref = a[field]!;
    const spec = await resolveDatasetSpec(resolve(REPO_ROOT, ref.spec)).catch((err: Error) => {
      throw new Error(`${ctx.specFile}: field 'analyses.${field}.spec': ${err.message}`);
    });
    return build(spec).catch((err: Error) => {
      throw new Error(`${ctx.specFile}: field 'analyses.${field}' (model '${model.ref.name}'): ${err.message}`);
    });
  };
  const options = (ref: { count?: number; seed?: number }) => ({ seqLen: ctx.spec.seqLen, bosPolicy: ctx.spec.bosPolicy, ...(ref.count !== undefined ? { count: ref.count } : {}), ...(ref.seed !== undefined && !('folds' in ref) ? { seed: ref.seed } : {}) });
  return {
    ...(a.multipleChoice ? { multipleChoice: await load('multipleChoice', (spec) => loadMultipleChoiceSet(spec, tokenizer, options(a.multipleChoice!))) } : {}),
    ...(a.probes ? { probes: await load('probes', (spec) => loadLabelledSet(spec, tokenizer, options(a.probes!))) } : {}),
  };
}

export async function resolveModel(ctx: PipelineContext, ref: ModelRef): Promise<ResolvedModel> {
  let location: CheckpointLocation;
  try {
    location = locateModel(ref.path);
  } catch (err) {
    throw new Error(`${ctx.specFile}: ${modelField(ref, 'path')} (model '${ref.name}'): ${(err as Error).message}`);
  }
  const dir = location.dir;
  const ckpt = Checkpoint.open(dir);
  try {
    const files = [join(dir, 'config.json'), ...ckpt.weightFiles, ...['tokenizer.json', 'tokenizer_config.json'].map((f) => join(dir, f)).filter(existsSync)];
    const digest = await hashFiles(files, { cachePath: ctx.store.fileHashCachePath });
    return { ref, dir, location, arch: ckpt.arch, contentHash: digest.sha256 };
  } finally {
    ckpt.close();
  }
}

/**
 * A dataset as a spec's `dataset:` names it, built for one checkpoint: text sources go through the
 * checkpoint's own tokenizer, synthetic ones use its vocabulary. The spec file is relative to the
 * repository root. Errors are the dataset package's, for the caller to place.
 */
export async function checkpointEvalSet(
  dataset: DatasetRef,
  settings: { readonly seqLen: number; readonly bosPolicy: PipelineSpec['bosPolicy'] },
  checkpoint: { readonly dir: string; readonly arch: ArchSpec },
): Promise<EvalSet> {
  const spec = await resolveDatasetSpec(resolve(REPO_ROOT, dataset.spec)).catch((err: Error) => {
    throw Object.assign(new Error(err.message), { field: 'dataset.spec' });
  });
  const tokenizer = hasTokenizer(checkpoint.dir) ? await loadTokenizer(checkpoint.dir) : null;
  return buildEvalSet(spec, tokenizer, {
    seqLen: settings.seqLen,
    ...(dataset.count !== undefined ? { count: dataset.count } : {}),
    ...(dataset.seed !== undefined ? { seed: dataset.seed } : {}),
    bosPolicy: settings.bosPolicy,
    vocab: { vocabSize: checkpoint.arch.vocabSize, bosTokenId: checkpoint.arch.bosTokenId ?? null, eosTokenId: checkpoint.arch.eosTokenId ?? null },
  });
}

/** The spec's dataset for one model (text sources go through the model's own tokenizer). */
export async function datasetFor(ctx: PipelineContext, model: ResolvedModel): Promise<EvalSet> {
  return checkpointEvalSet(ctx.spec.dataset, ctx.spec, model).catch((err: Error & { field?: string }) => {
    throw new Error(err.field ? `${ctx.specFile}: field '${err.field}': ${err.message}` : `${ctx.specFile}: model '${model.ref.name}' (${model.dir}): ${err.message}`);
  });
}

async function buildPlan(ctx: PipelineContext, modelIndex: number): Promise<ModelPlan> {
  const model = await resolveModel(ctx, ctx.spec.models[modelIndex]);
  const dataset = await datasetFor(ctx, model);
  let hooks: HookName[];
  try {
    hooks = extractHooks(ctx.spec, model.arch);
  } catch (err) {
    throw new Error(`${ctx.specFile}: model '${model.ref.name}': ${(err as Error).message}`);
  }
  const { engine, backend } = await resolveEngine(ctx.spec.engine);
  const ranges = shardRanges(dataset.sequences.length, ctx.spec.shardSize);
  const base = { modelHash: model.contentHash, sequencesHash: dataset.sequencesHash, hooks, engine, bosPolicy: ctx.spec.bosPolicy };
  // one shard of everything keeps the key an unsharded run always had
  const shards = ranges.map((r) => ({ ...r, key: activationsKey(ranges.length === 1 ? base : { ...base, shard: r }) }));
  const activations = combinedActivationsKey(shards.map((s) => s.key));
  const metrics = metricsKey(activations, ctx.spec);
  const metricsArtifacts = Object.fromEntries(METRICS_KINDS.map((kind) => [kind, metricsArtifactKey(metrics, kind)])) as Record<MetricsKind, string>;
  const entropyArtifact = entropyArtifactKey(activations, ctx.spec);
  const tasks = await taskSetsFor(ctx, model);
  const lensArtifacts = lensArtifactKeys({ activations, modelHash: model.contentHash, spec: ctx.spec, taskHashes: { ...(tasks.multipleChoice ? { multipleChoice: tasks.multipleChoice.hash } : {}), ...(tasks.probes ? { probes: tasks.probes.hash } : {}) } });
  return {
    model,
    hooks,
    engine,
    backend,
    sequences: dataset.sequences,
    sequencesHash: dataset.sequencesHash,
    firstIsBos: dataset.firstIsBos,
    datasetName: dataset.name,
    shards,
    activationsKey: activations,
    metricsKey: metrics,
    metricsArtifacts,
    entropyArtifact,
    entropySequencesArtifact: entropySequencesKey(activations, ctx.spec),
    lensArtifacts,
    layersArtifact: layersKey(metrics, entropyArtifact, lensArtifacts.logitLens),
    tasks,
  };
}

const plans = new WeakMap<PipelineContext, Map<number, Promise<ModelPlan>>>();

/**
 * The plan of model `modelIndex` of the spec, built once per run (per context): the checkpoint is
 * opened and hashed and the dataset built once, however many steps read them.
 */
export function modelPlan(ctx: PipelineContext, modelIndex: number): Promise<ModelPlan> {
  let byModel = plans.get(ctx);
  if (!byModel) plans.set(ctx, (byModel = new Map()));
  let plan = byModel.get(modelIndex);
  if (!plan) byModel.set(modelIndex, (plan = buildPlan(ctx, modelIndex)));
  return plan;
}

/** A shard's line in the extract step's receipt (the shard index only where the model has several). */
export function shardReceiptEntry(plan: ModelPlan, shard: ActivationShard, cacheHit: boolean): StepReceipt['artifacts'][number] {
  return { kind: ACTIVATIONS_KIND, key: shard.key, model: plan.model.ref.name, cacheHit, ...(plan.shards.length > 1 ? { shard: shard.index } : {}) };
}
