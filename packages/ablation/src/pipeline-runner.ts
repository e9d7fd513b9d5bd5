import { ABLATION, buildRecordBatchFromRows, hashInputs, type JsonValue } from '@sinkscope/artifacts';
import { loadExtractionModel, resolveEngine, type ArchSpec, type ExtractionModel } from '@sinkscope/model-io';
import {
  metricsArtifactKey,
  activationsRefFor,
  artifactMetadata,
  datasetFor,
  LAYER_METRICS,
  metricsKey,
  resolveModel,
  setAblationRunner,
  type PipelineContext,
  type ResolvedModel,
  type StepReceipt,
} from '@sinkscope/pipeline';
import type { Schema, Table } from 'apache-arrow';
import { runEffects, type RunEffects } from './effects.js';
import { ABLATION_BASELINE_MEANS, ABLATION_SEQUENCES } from './kinds.js';
import { measureRun, type MeasureSettings, type RunMeasurement } from './measure.js';
import { checkAblations, planAblations, type AblationRun, type BaselineProfile } from './plan.js';
import { parseAblationSpecs, type AblationSpec } from './spec.js';
import { ablationRows, measurementFromRows, sequenceRows, type AblationRow, type AblationSequenceRow } from './summary.js';
import { effectsTable } from './table.js';

/** Bumped when the ablate step's computation changes meaning, so old artifacts are not reused. */
export const ABLATE_CODE_VERSION = 1;

type Receipt = StepReceipt['artifacts'][number];

function rowsOf<R>(table: Table): R[] {
  return table.toArray().map((r) => (r as { toJSON(): R }).toJSON());
}

/** One model of the spec, resolved with its sequences and checked ablations (no forward pass yet). */
interface ModelJob {
  readonly model: ResolvedModel;
  readonly dataset: Awaited<ReturnType<typeof datasetFor>>;
  readonly sequences: number[][];
  readonly datasetName: string;
  readonly sequencesHash: string;
}

/** Everything a run's key depends on besides the run itself. */
function baseKeyInputs(ctx: PipelineContext, job: ModelJob, engine: string): Record<string, JsonValue> {
  return {
    step: 'ablate',
    version: ABLATE_CODE_VERSION,
    model: job.model.contentHash,
    sequences: job.sequencesHash,
    bos_policy: ctx.spec.bosPolicy,
    engine,
    eps: ctx.spec.metrics.eps,
    entropy: { center: ctx.spec.entropy.center, normalize_rows: ctx.spec.entropy.normalizeRows },
  };
}

/** The artifact key of one run of one model: adding an ablation adds keys, it never changes the others. */
export function ablationRunKey(base: Record<string, JsonValue>, run: Pick<AblationRun, 'name' | 'role' | 'interventions'>): string {
  return hashInputs({ ...base, run: run.name, role: run.role, interventions: run.interventions as unknown as JsonValue });
}

/** Norm ratios per hidden state from the metrics step's `layer_metrics` of this model, if that artifact exists. */
async function metricsNormRatios(ctx: PipelineContext, job: ModelJob, arch: ArchSpec): Promise<number[] | undefined> {
  const akey = (await activationsRefFor(ctx, job.model, job.dataset)).key;
  const table = await ctx.store.read(LAYER_METRICS.kind, metricsArtifactKey(metricsKey(akey, ctx.spec), 'layer_metrics'));
  if (!table) return undefined;
  const rows = rowsOf<{ hidden_index: number; norm_ratio: number }>(table).sort((a, b) => a.hidden_index - b.hidden_index);
  return rows.length === arch.nLayers + 1 ? rows.map((r) => r.norm_ratio) : undefined;
}

/**
 * The `ablate` step: for every model of the spec, the baseline and every ablation of `ablations`
 * with its controls, each written as its own `ablation` (+ `ablation_sequences`) artifact keyed by
 * (model, sequences, settings, run), so adding one ablation computes only that one. The extract,
 * metrics and entropy artifacts are only read (`layer_metrics` for `layers: auto`). Prints the
 * before/after table.
 */
export async function ablationRunner(ctx: PipelineContext): Promise<Receipt[]> {
  const where = `${ctx.specFile}: ablations`;
  const specs = parseAblationSpecs(ctx.spec.ablations, where);
  // every model and dataset resolved, every ablation checked, before any forward pass
  const jobs: ModelJob[] = [];
  for (const m of ctx.modelIndices) {
    const ref = ctx.spec.models[m];
    const model = await resolveModel(ctx, ref);
    const dataset = await datasetFor(ctx, model);
    checkAblations(specs, model.arch, Math.min(...dataset.sequences.map((s) => s.length)), `${ctx.specFile}: model '${ref.name}': ablations`);
    jobs.push({ model, dataset, sequences: dataset.sequences, datasetName: dataset.name, sequencesHash: dataset.sequencesHash });
  }
  const out: Receipt[] = [];
  for (const job of jobs) out.push(...(await ablateModel(ctx, job, specs)));
  return out;
}

async function ablateModel(ctx: PipelineContext, job: ModelJob, specs: readonly AblationSpec[]): Promise<Receipt[]> {
  const name = job.model.ref.name;
  const arch = job.model.arch;
  const { engine, backend } = await resolveEngine(ctx.spec.engine);
  const base = baseKeyInputs(ctx, job, engine);
  const settings: MeasureSettings = { eps: ctx.spec.metrics.eps, entropy: ctx.spec.entropy };
  let model: ExtractionModel | undefined;
  const loaded = async () => (model ??= await loadExtractionModel(job.model.dir, { engine: ctx.spec.engine }));
  const out: Receipt[] = [];
  const meta = (kind: string, version: number | undefined, extra: Record<string, JsonValue>) =>
    artifactMetadata(ctx, { kind, ...(version !== undefined ? { schemaVersion: version } : {}), model: name, dataset: job.datasetName, engine, backend, extra });

  /** Write the run's artifacts (computing once if any is missing); return its per-sequence measurements as stored. */
  const ensureRun = async (run: AblationRun, extraKinds: { kind: string; version: number; schema: Schema; rows: (m: RunMeasurement) => Record<string, unknown>[] }[] = []) => {
    const key = ablationRunKey(base, run);
    const kinds = [
      { kind: ABLATION.kind, version: undefined, schema: ABLATION.schema, rows: (m: RunMeasurement) => ablationRows(name, run.name, run.role, m) as unknown as Record<string, unknown>[] },
      { kind: ABLATION_SEQUENCES.kind, version: ABLATION_SEQUENCES.version, schema: ABLATION_SEQUENCES.schema, rows: (m: RunMeasurement) => sequenceRows(name, run.name, m) as unknown as Record<string, unknown>[] },
      ...extraKinds,
    ];
    const present = await Promise.all(kinds.map((k) => ctx.store.verify(k.kind, key)));
    let measured: RunMeasurement | undefined;
    if (present.some((p) => !p)) {
      ctx.log(`ablate ${name}: ${run.role} '${run.name}' (${job.sequences.length} sequences)`);
      measured = await measureRun(await loaded(), job.sequences, run.interventions, { ...settings, firstTokenStats: run.role === 'baseline' });
    }
    const extra = { intervention: run.name, role: run.role, group: run.group, window: run.window, interventions: JSON.stringify(run.interventions) };
    for (const [i, k] of kinds.entries()) {
      if (!present[i]) {
        const rows = k.rows(measured!);
        await ctx.store.write(k.kind, key, k.schema, meta(k.kind, k.version, extra), (w) => {
          w.append(buildRecordBatchFromRows(k.kind === ABLATION.kind ? ABLATION : k.schema, rows, `${k.kind} of ${name} '${run.name}'`));
        });
      }
      out.push({ kind: k.kind, key, model: name, cacheHit: Boolean(present[i]) });
    }
    return key;
  };
  const readSequences = async (key: string) => {
    const table = await ctx.store.read(ABLATION_SEQUENCES.kind, key);
    if (!table) throw new Error(`ablate ${name}: ablation_sequences ${key.slice(0, 12)} vanished after writing`);
    return measurementFromRows(rowsOf<AblationSequenceRow>(table), arch.nLayers);
  };

  try {
    const baselineRun: AblationRun = { name: 'baseline', role: 'baseline', interventions: [], group: '', window: 0 };
    const d = arch.dModel;
    const baseKey = await ensureRun(baselineRun, [
      {
        kind: ABLATION_BASELINE_MEANS.kind,
        version: ABLATION_BASELINE_MEANS.version,
        schema: ABLATION_BASELINE_MEANS.schema,
        rows: (m) =>
          m.positionMean!.flatMap((means, i) =>
            Array.from(means, (v, j) => ({ hidden_index: i, position: Math.floor(j / d), dim: j % d, mean_value: v, median_abs: m.medianAbs![i] })),
          ),
      },
    ]);
    // plan from the stored (float32) numbers, so a cache hit plans exactly as the first run did
    const baseline = await readSequences(baseKey);
    const meansTable = await ctx.store.read(ABLATION_BASELINE_MEANS.kind, baseKey);
    const baseRows = rowsOf<AblationRow>((await ctx.store.read(ABLATION.kind, baseKey))!).sort((a, b) => a.hidden_index - b.hidden_index);
    const minSeqLen = Math.min(...job.sequences.map((s) => s.length));
    const positionMean = Array.from({ length: arch.nLayers + 1 }, () => new Float64Array(minSeqLen * d));
    const medianAbs = new Float64Array(arch.nLayers + 1);
    for (const r of rowsOf<{ hidden_index: number; position: number; dim: number; mean_value: number; median_abs: number }>(meansTable!)) {
      positionMean[r.hidden_index][r.position * d + r.dim] = r.mean_value;
      medianAbs[r.hidden_index] = r.median_abs;
    }
    const fromMetrics = await metricsNormRatios(ctx, job, arch);
    ctx.log(`ablate ${name}: auto layers from ${fromMetrics ? "the metrics step's layer_metrics" : "the ablation baseline (no layer_metrics artifact)"}`);
    const profile: BaselineProfile = { normRatios: fromMetrics ?? baseRows.map((r) => r.norm_ratio), positionMean, medianAbs, minSeqLen };
    const runs = planAblations(specs, arch, profile, { log: ctx.log, where: `${ctx.specFile}: model '${name}': ablations` });
    const effects: RunEffects[] = [];
    for (const run of runs.slice(1)) {
      const key = await ensureRun(run);
      effects.push(runEffects(run, baseline, await readSequences(key)));
    }
    ctx.print(`\n${effectsTable(effects, `## Ablations: ${name} (${job.datasetName}, T = ${ctx.spec.seqLen}, eps = ${ctx.spec.metrics.eps}, ${engine}/${backend})`)}`);
    return out;
  } finally {
    (model as ExtractionModel | undefined)?.dispose();
  }
}

/** Rows of every `ablation` artifact the last ablate step wrote, joined on (model, intervention, hidden_index) (for the report's figure). */
export async function readAblationTable(ctx: PipelineContext, receipts: readonly Receipt[]): Promise<AblationRow[]> {
  const rows: AblationRow[] = [];
  for (const r of receipts.filter((a) => a.kind === ABLATION.kind)) {
    const t = await ctx.store.read(ABLATION.kind, r.key);
    if (!t) throw new Error(`ablation artifact ${r.key.slice(0, 12)} of model ${r.model} is missing (run the ablate step)`);
    rows.push(...rowsOf<AblationRow>(t));
  }
  return rows.sort((a, b) => a.model.localeCompare(b.model) || a.intervention.localeCompare(b.intervention) || a.hidden_index - b.hidden_index);
}

/** Plug the ablation runner into the pipeline's `ablate` step. */
export function registerAblation(): void {
  setAblationRunner(ablationRunner);
}
