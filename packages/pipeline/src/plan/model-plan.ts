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
import { datasetRefs, type DatasetRef, type ModelRef, type PipelineSpec } from '../schema/pipeline-schema.js';

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
  /** Which of the spec's datasets (0 when it has one), and its label in tables and figures. */
  readonly datasetIndex: number;
  readonly datasetLabel: string;
  /** How many datasets the spec lists (receipts and labels name the dataset when there are several). */
  readonly datasetCount: number;
  /**
   * One activations artifact per extract shard, in sequence order. Shard indices run on across a
   * model's datasets (dataset 1's first shard follows dataset 0's last), so `--shard i` and a Slurm
   * array task name one shard of one model.
   */
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
 * A dataset as a spec names it, built for one checkpoint: text sources go through the checkpoint's
 * own tokenizer, synthetic ones use its vocabulary. The spec file is relative to the repository root.
 * Errors are the dataset package's, for the caller to place (`field` names the spec field of a bad
 * dataset spec file).
 */
export async function checkpointEvalSet(
  dataset: DatasetRef,
  settings: { readonly seqLen: number; readonly bosPolicy: PipelineSpec['bosPolicy'] },
  checkpoint: { readonly dir: string; readonly arch: ArchSpec },
  field = 'dataset',
): Promise<EvalSet> {
  const spec = await resolveDatasetSpec(resolve(REPO_ROOT, dataset.spec)).catch((err: Error) => {
    throw Object.assign(new Error(err.message), { field: `${field}.spec` });
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

/** One of the spec's datasets for one model (`field`: where the spec names it, e.g. 'datasets[1]'). */
export async function datasetFor(ctx: PipelineContext, model: ResolvedModel, ref: DatasetRef = datasetRefs(ctx.spec)[0], field = 'dataset'): Promise<EvalSet> {
  return checkpointEvalSet(ref, ctx.spec, model, field).catch((err: Error & { field?: string }) => {
    throw new Error(err.field ? `${ctx.specFile}: field '${err.field}': ${err.message}` : `${ctx.specFile}: model '${model.ref.name}' (${model.dir}): ${err.message}`);
  });
}

/** The plans of one model, one per dataset of the spec (shard indices running on across them). */
async function buildPlans(ctx: PipelineContext, modelIndex: number): Promise<ModelPlan[]> {
  const model = await resolveModel(ctx, ctx.spec.models[modelIndex]);
  let hooks: HookName[];
  try {
    hooks = extractHooks(ctx.spec, model.arch);
  } catch (err) {
    throw new Error(`${ctx.specFile}: model '${model.ref.name}': ${(err as Error).message}`);
  }
  const { engine, backend } = await resolveEngine(ctx.spec.engine);
  const refs = datasetRefs(ctx.spec);
  // the lens step's task sets belong to the model, not to a dataset: every dataset's plan carries them
  const tasks = await taskSetsFor(ctx, model);
  const taskHashes = { ...(tasks.multipleChoice ? { multipleChoice: tasks.multipleChoice.hash } : {}), ...(tasks.probes ? { probes: tasks.probes.hash } : {}) };
  const plans: ModelPlan[] = [];
  let shardOffset = 0;
  for (const [d, ref] of refs.entries()) {
    const field = ctx.spec.datasets ? `datasets[${d}]` : 'dataset';
    const dataset = await datasetFor(ctx, model, ref, field);
    const label = ref.name ?? dataset.name;
    const clash = plans.find((p) => p.datasetLabel === label);
    if (clash) throw new Error(`${ctx.specFile}: field '${field}': the label '${label}' is already that of datasets[${clash.datasetIndex}]; give one of them a 'name'`);
    const ranges = shardRanges(dataset.sequences.length, ctx.spec.shardSize);
    const base = { modelHash: model.contentHash, sequencesHash: dataset.sequencesHash, hooks, engine, bosPolicy: ctx.spec.bosPolicy };
    // one shard of everything keeps the key an unsharded run always had
    const shards = ranges.map((r) => ({ ...r, index: shardOffset + r.index, key: activationsKey(ranges.length === 1 ? base : { ...base, shard: { start: r.start, end: r.end } }) }));
    shardOffset += shards.length;
    const activations = combinedActivationsKey(shards.map((s) => s.key));
    const metrics = metricsKey(activations, ctx.spec, model.arch);
    const metricsArtifacts = Object.fromEntries(METRICS_KINDS.map((kind) => [kind, metricsArtifactKey(metrics, kind)])) as Record<MetricsKind, string>;
    const entropyArtifact = entropyArtifactKey(activations, ctx.spec);
    const lensArtifacts = lensArtifactKeys({ activations, modelHash: model.contentHash, spec: ctx.spec, taskHashes });
    plans.push({
      model,
      hooks,
      engine,
      backend,
      sequences: dataset.sequences,
      sequencesHash: dataset.sequencesHash,
      firstIsBos: dataset.firstIsBos,
      datasetName: dataset.name,
      datasetIndex: d,
      datasetLabel: label,
      datasetCount: refs.length,
      shards,
      activationsKey: activations,
      metricsKey: metrics,
      metricsArtifacts,
      entropyArtifact,
      entropySequencesArtifact: entropySequencesKey(activations, ctx.spec),
      lensArtifacts,
      layersArtifact: layersKey(metrics, entropyArtifact, lensArtifacts.logitLens),
      tasks,
    });
  }
  return plans;
}

const plans = new WeakMap<PipelineContext, Map<number, Promise<ModelPlan[]>>>();

/**
 * The plans of model `modelIndex` of the spec, one per dataset, built once per run (per context): the
 * checkpoint is opened and hashed and each dataset built once, however many steps read them.
 */
export function modelPlans(ctx: PipelineContext, modelIndex: number): Promise<ModelPlan[]> {
  let byModel = plans.get(ctx);
  if (!byModel) plans.set(ctx, (byModel = new Map()));
  let plan = byModel.get(modelIndex);
  if (!plan) byModel.set(modelIndex, (plan = buildPlans(ctx, modelIndex)));
  return plan;
}

/** Every plan of the run: each model of the context on each dataset of the spec, model by model. */
export async function contextPlans(ctx: PipelineContext): Promise<ModelPlan[]> {
  const out: ModelPlan[] = [];
  for (const m of ctx.modelIndices) out.push(...(await modelPlans(ctx, m)));
  return out;
}

/** The plan of model `modelIndex` on the spec's dataset `datasetIndex` (default the first). */
export async function modelPlan(ctx: PipelineContext, modelIndex: number, datasetIndex = 0): Promise<ModelPlan> {
  return (await modelPlans(ctx, modelIndex))[datasetIndex];
}

/** How a (model, dataset) is named where the spec has several datasets: `model · dataset`; else the model's name. */
export function unitLabel(plan: Pick<ModelPlan, 'model' | 'datasetLabel' | 'datasetCount'>): string {
  return plan.datasetCount > 1 ? `${plan.model.ref.name} · ${plan.datasetLabel}` : plan.model.ref.name;
}

/** A shard's line in the extract step's receipt (the shard index only where the model has several). */
export function shardReceiptEntry(plan: ModelPlan, shard: ActivationShard, cacheHit: boolean): StepReceipt['artifacts'][number] {
  return { kind: ACTIVATIONS_KIND, key: shard.key, model: plan.model.ref.name, cacheHit, ...(plan.shards.length > 1 || plan.datasetCount > 1 ? { shard: shard.index } : {}), ...datasetOf(plan) };
}

/** The `dataset` field of a receipt entry: only where the spec lists several datasets, so other receipts keep their bytes. */
export function datasetOf(plan: Pick<ModelPlan, 'datasetCount' | 'datasetLabel'>): { dataset?: string } {
  return plan.datasetCount > 1 ? { dataset: plan.datasetLabel } : {};
}
