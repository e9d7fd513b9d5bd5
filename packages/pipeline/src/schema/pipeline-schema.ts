import { ablationSpecsSchema, massiveThresholdsSchema } from '@sinkscope/ablation';
import { isSafeRevision, parseRepoRef } from '@sinkscope/model-io/hf-cache';
import { z } from 'zod';

/**
 * The pipeline spec: the single source of truth for its TypeScript type and its JSON Schema
 * (`pipeline.schema.json`, generated from this file). Unknown fields are errors, so a typo is caught.
 */

const hookPattern = z.string().min(1).describe('a hook name or glob, e.g. "blocks.*.hook_resid_post"');

const modelNameSchema = z.string().regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" and "-" only');

/** A branch, tag, commit (prefix) or `refs/pr/N` of a Hugging Face repo. */
const revisionSchema = z
  .string()
  .refine(isSafeRevision, 'a branch, tag, commit or refs/pr/N (no empty, "." or ".." segment)')
  .refine((r) => !/[@\s]/.test(r), 'no "@" or whitespace');

/**
 * Checkpoint dynamics (issues 16 and 21, see the stage-2 contract): which training step a model is,
 * which series of checkpoints it belongs to, and `revisions` naming one repo at several steps.
 */
const checkpointSeriesFields = {
  step: z.number().int().nonnegative().optional().describe('the training step of this checkpoint (checkpoint-dynamics figures group a series by step)'),
  series: modelNameSchema.optional().describe('the series of checkpoints this model belongs to (default: the model name without any @revision)'),
  revisions: z
    .union([z.array(revisionSchema).min(1), z.literal('all-cached')])
    .optional()
    .describe('one model per revision of the repo in `path` (org/name), named <name>@<revision>, series <name>, step from the revision (step(\\d+)); "all-cached": every revision in the Hugging Face cache'),
};

export const modelRefSchema = z
  .object({
    /** Short name used in tables and figures. */
    name: modelNameSchema.describe('short name used in tables and figures'),
    /** Checkpoint folder, "default", or a repo in the Hugging Face cache. */
    path: z
      .string()
      .min(1)
      .describe('checkpoint folder (relative to the repository root or absolute), "default", or org/name[@revision] in the Hugging Face cache ($HF_HUB_CACHE, offline)'),
    ...checkpointSeriesFields,
  })
  .strict()
  .superRefine((m, ctx) => {
    if (m.revisions === undefined) return;
    const ref = parseRepoRef(m.path);
    if (!ref || ref.revision !== undefined) ctx.addIssue({ code: 'custom', path: ['path'], message: `with 'revisions', 'path' is a Hugging Face repo id org/name without @revision (got '${m.path}')` });
    if (m.step !== undefined) ctx.addIssue({ code: 'custom', path: ['step'], message: "with 'revisions', each model's step comes from its revision name" });
  });

export const datasetRefSchema = z
  .object({
    /** A dataset spec file under datasets/ (or a path). */
    spec: z.string().min(1).describe('a dataset spec file, e.g. "datasets/sotu-64.json"'),
    /** The label in tables and figures when a spec lists several datasets (default: the dataset spec's own name). */
    name: z.string().regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" and "-" only').optional().describe("label in tables and figures (default: the dataset spec's name)"),
    /** Overrides of the dataset spec's own count / seed. */
    count: z.number().int().positive().optional(),
    seed: z.number().int().nonnegative().optional(),
  })
  .strict();

export const metricsSettingsSchema = z
  .object({
    eps: z.number().gt(0).lt(1).default(0.3).describe('Sink_1 threshold (Gu et al. 2025 sec. 3.2), strict alpha > eps'),
    epsSweep: z.array(z.number().gt(0).lt(1)).default([0.2, 0.3, 0.4, 0.5]),
    ks: z.array(z.number().int().positive()).default([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]).describe('key positions k for Sink_k'),
    seqLenSweep: z.array(z.number().int().min(2)).default([8, 16, 32, 64]).describe('prefix lengths T for the Sink_1-vs-T curve'),
    massiveTopK: z.number().int().positive().default(10),
    emergenceThreshold: z.number().positive().default(10).describe('first-token norm ratio that marks the emergence layer'),
    scoreNormalization: z.enum(['none', 'abs-sum']).default('none').describe('abs-sum: |s|/sum|s| proxy for non-softmax attention (Gu et al. sec. 7.4)'),
  })
  .strict();

export const entropySettingsSchema = z
  .object({
    center: z.boolean().default(false).describe('subtract the mean token before the Gram matrix (raw = paper default)'),
    normalizeRows: z.boolean().default(false).describe('L2-normalise tokens first (Layer by Layer convention)'),
    renyiAlphas: z.array(z.number().positive()).default([2]),
  })
  .strict();

/** Slurm resources of a step's jobs (sbatch flags); absent fields take the cluster's defaults. */
export const slurmResourcesSchema = z
  .object({
    partition: z.string().min(1).optional().describe('--partition'),
    cpusPerTask: z.number().int().positive().optional().describe('--cpus-per-task'),
    mem: z.string().regex(/^\d+[KMGT]?$/, 'a size such as "8G"').optional().describe('--mem, e.g. "8G"'),
    time: z.string().min(1).optional().describe('--time, e.g. "02:00:00"'),
    gpus: z.number().int().nonnegative().optional().describe('--gres=gpu:N'),
    account: z.string().min(1).optional().describe('--account'),
    extraArgs: z.array(z.string()).optional().describe('further sbatch arguments, passed verbatim'),
  })
  .strict();

/**
 * How steps are launched. Not part of any cache key (see schema/cache-view.ts): a result computed on the
 * cluster is a hit on a laptop and back.
 */
export const slurmSettingsSchema = slurmResourcesSchema
  .extend({
    steps: z
      .object({ extract: slurmResourcesSchema.optional(), metrics: slurmResourcesSchema.optional(), entropy: slurmResourcesSchema.optional(), lens: slurmResourcesSchema.optional(), ablate: slurmResourcesSchema.optional(), report: slurmResourcesSchema.optional() })
      .strict()
      .default({})
      .describe("per-step resources, merged over the pipeline's (e.g. GPUs for extract only)"),
    setup: z.array(z.string().min(1)).default([]).describe('shell lines (/bin/sh) each job runs first, e.g. "module load nodejs/20"'),
    node: z.string().min(1).optional().describe('the node executable jobs run (default: the one running this command; "node" = the first on the PATH after setup)'),
    logDir: z.string().min(1).optional().describe('where job logs go (default .sinkscope/slurm/<pipeline>; must be visible from the compute nodes)'),
    pollSeconds: z.number().positive().default(5).describe('the longest wait between squeue polls: polling starts at 0.25 s and backs off 1.5x while nothing changes, so short jobs are noticed fast and long ones cost the controller little'),
  })
  .strict();

// ---- issue 16: Queipo-de-Llano et al. 2025's analyses (kept together so merges stay mechanical) ----

/** A dataset spec for one of the depth analyses (multiple choice, probes). */
const taskDatasetSchema = z
  .object({
    spec: z.string().min(1).describe('a dataset spec file whose source is `multiple-choice` or `labelled`'),
    count: z.number().int().positive().optional().describe("override of the dataset spec's item count"),
    seed: z.number().int().nonnegative().optional(),
  })
  .strict();

export const analysesSettingsSchema = z
  .object({
    depthAxis: z.enum(['auto', 'hidden-index', 'relative-depth']).default('auto').describe('x axis of the per-layer figures: relative depth = hidden index / L lets models of different depth overlay; auto = relative depth when the models differ in depth'),
    band: z.enum(['std', 'iqr', 'none']).default('std').describe('spread over sequences drawn around the per-layer means: +-1 std, the interquartile range, or none'),
    overlaySequences: z.number().int().min(0).default(20).describe('sequences whose own entropy curves are overlaid (paper Fig. 2)'),
    phases: z
      .object({
        normRatio: z.number().positive().default(10).describe('Mix ends where the first-token norm ratio exceeds this...'),
        entropyDrop: z.number().gt(0).lt(1).default(0.7).describe('...or where H / ln T drops below this fraction of its embedding value'),
        refineTolerance: z.number().positive().default(0.1).describe('Refine starts where H / ln T is back within this of its last value'),
      })
      .strict()
      .default({ normRatio: 10, entropyDrop: 0.7, refineTolerance: 0.1 }),
    logitLens: z.boolean().default(true).describe("LogitLens loss per hidden state on the pipeline's dataset (the lens step)"),
    multipleChoice: taskDatasetSchema.optional().describe('a multiple-choice task scored per hidden state through the LogitLens (lm-eval convention)'),
    probes: taskDatasetSchema
      .extend({
        folds: z.number().int().min(2).default(5).describe('k of the k-fold cross-validation'),
        seed: z.number().int().nonnegative().default(0).describe('seed of the fold assignment'),
        steps: z.number().int().positive().default(500).describe('gradient steps of each one-vs-rest classifier (ml-logistic-regression numSteps)'),
        learningRate: z.number().positive().default(0.5).describe('step size per example on standardised features'),
      })
      .strict()
      .optional()
      .describe('a labelled dataset probed per hidden state with logistic regression'),
    dynamics: z
      .object({ sinkRate: z.number().gt(0).lt(1).default(0.1).describe('model-level Sink_1 above which the sink signature counts as present') })
      .strict()
      .default({ sinkRate: 0.1 }),
  })
  .strict();

/** Figures of issue 16 (registered with the others below). */
export const ANALYSES_FIGURE_IDS = ['bound', 'entropy-overlay', 'phases', 'depth', 'dynamics'] as const;

export const figureIdSchema = z.enum([
  'profile',
  'heads',
  'pattern',
  'norms',
  'qk',
  'sink-sweep',
  'sink-models',
  'massive',
  'ablation',
  'training',
  // Gu et al. 2025's remaining views and the ablation's dose-response (issue 17)
  'sink-k',
  'sink-params',
  'qk-grid',
  'datasets',
  'dose-response',
  ...ANALYSES_FIGURE_IDS,
]);

/** The grid of q-k maps (Gu et al. 2025, figs. 15-18): which (layer, head) maps, how many positions. */
export const qkMapsSchema = z
  .object({
    heads: z
      .union([z.literal('alpha-extremes'), z.array(z.object({ layer: z.number().int().nonnegative(), head: z.number().int().nonnegative() }).strict()).min(1)])
      .default('alpha-extremes')
      .describe("'alpha-extremes' = the heads with the largest and the smallest mean alpha_1, or a list of { layer, head }"),
    perEnd: z.number().int().positive().default(2).describe("with 'alpha-extremes': this many heads from each end"),
    maxTokens: z.number().int().min(2).default(32).describe('positions drawn per map (the first ones)'),
  })
  .strict();

/** Settings of the ablate step beside the `ablations` list (issue 17). */
export const ablationSettingsSchema = z
  .object({
    massive: massiveThresholdsSchema
      .default(massiveThresholdsSchema.parse({}))
      .describe("when the first token has a massive activation to ablate; `layers: auto` ablations run only then (defaults: |a| >= 100 (Sun et al. 2024) and >= 100x the median (Sun et al.'s stricter original: about 1000x), or a first-token norm ratio >= 10)"),
  })
  .strict();

export const pipelineSpecSchema = z
  .object({
    $schema: z.string().optional(),
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'kebab-case'),
    description: z.string().default(''),
    models: z.array(modelRefSchema).min(1),
    dataset: datasetRefSchema.optional().describe('the evaluation set (or give several under datasets)'),
    datasets: z
      .array(datasetRefSchema)
      .min(1)
      .optional()
      .describe('several evaluation sets (e.g. natural text, random tokens, one token repeated: Gu et al. 2025, Table 1): every step runs on each, the report puts them side by side'),
    seqLen: z.number().int().min(2).default(64).describe('T: tokens per sequence, BOS included when the policy adds one'),
    bosPolicy: z.enum(['auto', 'always', 'never']).default('auto'),
    engine: z.enum(['auto', 'onnx', 'tfjs']).default('auto'),
    shardSize: z.number().int().positive().optional().describe('sequences per extract shard (one task, one Slurm array task, one artifact each); absent = one shard'),
    launcher: z.enum(['local', 'slurm']).default('local').describe('where steps run (env SINKSCOPE_LAUNCHER overrides); not part of any cache key'),
    slurm: slurmSettingsSchema.default(slurmSettingsSchema.parse({})).describe('sbatch resources when the launcher is slurm'),
    hooks: z.array(hookPattern).default([]).describe('extra hooks to capture beyond what the metrics need'),
    metrics: metricsSettingsSchema.default(metricsSettingsSchema.parse({})),
    entropy: entropySettingsSchema.default(entropySettingsSchema.parse({})),
    ablations: ablationSpecsSchema.default([]).describe('ablations with their controls (see @sinkscope/ablation)'),
    ablation: ablationSettingsSchema.default(ablationSettingsSchema.parse({})).describe('settings of the ablate step: the massive-activation thresholds'),
    figures: z.array(figureIdSchema).default(['profile', 'heads', 'pattern', 'norms', 'qk', 'sink-sweep', 'massive', ...ANALYSES_FIGURE_IDS]),
    analyses: analysesSettingsSchema.default(analysesSettingsSchema.parse({})).describe("Queipo-de-Llano et al. 2025's analyses: Mix-Compress-Refine thresholds, LogitLens, multiple choice, probes, checkpoint dynamics"),
    patternExample: z
      .object({
        layer: z.number().int().nonnegative().optional().describe("the block whose map is drawn; default: each model's first block with attention"),
        head: z.number().int().nonnegative().default(0),
        sequence: z.number().int().nonnegative().default(0),
      })
      .strict()
      .default({ head: 0, sequence: 0 }),
    qkMaps: qkMapsSchema.default(qkMapsSchema.parse({})).describe("the 'qk-grid' figure's maps (of patternExample.sequence)"),
  })
  .strict()
  .refine((s) => (s.dataset === undefined) !== (s.datasets === undefined), { message: "give either 'dataset' or 'datasets' (a list), not both and not neither", path: ['dataset'] });

/** The spec's datasets as a list: `dataset:` means a list of one. */
export function datasetRefs(spec: Pick<PipelineSpec, 'dataset' | 'datasets'>): DatasetRef[] {
  return spec.datasets ?? [spec.dataset!];
}

export type PipelineSpecInput = z.input<typeof pipelineSpecSchema>;
export type PipelineSpec = z.output<typeof pipelineSpecSchema>;
export type ModelRef = z.output<typeof modelRefSchema>;
export type DatasetRef = z.output<typeof datasetRefSchema>;
export type FigureId = z.output<typeof figureIdSchema>;
export type AnalysesSettings = z.output<typeof analysesSettingsSchema>;
export type SlurmResourcesSpec = z.output<typeof slurmResourcesSchema>;
export type SlurmSettings = z.output<typeof slurmSettingsSchema>;
export type LauncherName = PipelineSpec['launcher'];
