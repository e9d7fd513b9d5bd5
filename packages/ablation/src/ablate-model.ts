import { ABLATION, buildRecordBatchFromRows, hashInputs, type ArtifactStore, type JsonValue } from '@sinkscope/artifacts';
import type { ArchSpec, ExtractionModel } from '@sinkscope/model-io';
import type { Schema, Table } from 'apache-arrow';
import { runEffects, type RunEffects } from './effects.js';
import { ABLATION_BASELINE_MEANS, ABLATION_SEQUENCES } from './kinds.js';
import { BASELINE_NAME, planAblations, type AblationRun, type BaselineProfile } from './plan.js';
import { runReadings, type RunReadings } from './readings.js';
import type { AblationSpec } from './schema.js';
import { ablationRows, readingsFromRows, sequenceRows, type AblationRow, type AblationSequenceRow } from './summary.js';

/** Bumped when the ablate step's computation changes meaning, so old artifacts are not reused. */
export const ABLATE_CODE_VERSION = 1;

/** What every run key of one model depends on besides the run itself. */
export interface AblationKeyInputs {
  /** The checkpoint's content hash. */
  readonly modelHash: string;
  readonly sequencesHash: string;
  readonly bosPolicy: string;
  /** The engine that runs (not `auto`). */
  readonly engine: string;
  /** Sink_1 threshold, strict alpha_1 > eps. */
  readonly eps: number;
  /** Entropy preprocessing, as the entropy step. */
  readonly entropy: { readonly center: boolean; readonly normalizeRows: boolean };
}

/** The artifact key of one run: adding an ablation adds keys, it never changes the others'. */
export function ablationRunKey(inputs: AblationKeyInputs, run: Pick<AblationRun, 'name' | 'role' | 'interventions'>): string {
  return hashInputs({
    step: 'ablate',
    version: ABLATE_CODE_VERSION,
    model: inputs.modelHash,
    sequences: inputs.sequencesHash,
    bos_policy: inputs.bosPolicy,
    engine: inputs.engine,
    eps: inputs.eps,
    entropy: { center: inputs.entropy.center, normalize_rows: inputs.entropy.normalizeRows },
    run: run.name,
    role: run.role,
    interventions: run.interventions as unknown as JsonValue,
  });
}

export interface AblateModelInput {
  /** Where each run's artifacts are found or written. */
  readonly store: ArtifactStore;
  readonly modelName: string;
  readonly arch: ArchSpec;
  readonly sequences: readonly (readonly number[])[];
  /** Checked against the model already (`checkAblations`). */
  readonly specs: readonly AblationSpec[];
  readonly keys: AblationKeyInputs;
  /** Loads the model, once, when the first run missing from the store needs it. */
  readonly loadModel: () => Promise<ExtractionModel>;
  /** The Arrow metadata of one artifact of a run: its kind, the kind's schema version, the run's fields. */
  readonly metadata: (kind: string, version: number | undefined, extra: Record<string, JsonValue>) => Map<string, string>;
  /** First-token norm ratios per hidden state from the metrics step, when that table exists (`layers: auto` reads them). */
  readonly normRatios?: readonly number[];
  readonly log: (message: string) => void;
  /** What errors name, e.g. `pipeline.yaml: model 'm': ablations`. */
  readonly where: string;
}

/** A store entry of one run (what the pipeline's receipt lists). */
export interface AblationArtifact {
  readonly kind: string;
  readonly key: string;
  readonly cacheHit: boolean;
}

export interface AblatedModel {
  /** Every run's artifacts, run by run: `ablation`, `ablation_sequences` (and `ablation_baseline_means` for the baseline). */
  readonly artifacts: readonly AblationArtifact[];
  /** The baseline, then per ablation its targeted run and controls. */
  readonly runs: readonly AblationRun[];
  /** Per run name: its per-sequence readings as stored. */
  readonly readings: ReadonlyMap<string, Pick<RunReadings, 'layers' | 'sequences'>>;
  /** Effect sizes of every run but the baseline. */
  readonly effects: readonly RunEffects[];
  /** The stored `ablation` rows of every run, in run order. */
  readRows(): Promise<AblationRow[]>;
}

function rowsOf<R>(table: Table): R[] {
  return table.toArray().map((r) => (r as { toJSON(): R }).toJSON());
}

interface RunTable {
  readonly kind: string;
  readonly version: number | undefined;
  readonly schema: Schema;
  readonly rows: (m: RunReadings) => Record<string, unknown>[];
}

/**
 * One model's ablations: the baseline and every ablation with its controls, each run's readings
 * stored as its own `ablation` (+ `ablation_sequences`) artifact keyed by (model, sequences, settings,
 * run), so adding an ablation computes only its runs and a cached run is never recomputed. Runs are
 * planned from the stored (float32) baseline, so a cache hit plans exactly as the first run did.
 */
export async function ablateModel(input: AblateModelInput): Promise<AblatedModel> {
  const { store, arch, modelName: name } = input;
  const settings = { eps: input.keys.eps, entropy: input.keys.entropy };
  let model: ExtractionModel | undefined;
  const artifacts: AblationArtifact[] = [];

  /** Write the run's artifacts (computing once if any is missing); returns its key. */
  const ensureRun = async (run: AblationRun, extraTables: readonly RunTable[] = []): Promise<string> => {
    const key = ablationRunKey(input.keys, run);
    const tables: RunTable[] = [
      { kind: ABLATION.kind, version: undefined, schema: ABLATION.schema, rows: (m) => ablationRows(name, run.name, run.role, m) as unknown as Record<string, unknown>[] },
      { kind: ABLATION_SEQUENCES.kind, version: ABLATION_SEQUENCES.version, schema: ABLATION_SEQUENCES.schema, rows: (m) => sequenceRows(name, run.name, m) as unknown as Record<string, unknown>[] },
      ...extraTables,
    ];
    const present = await Promise.all(tables.map((t) => store.verify(t.kind, key)));
    let readings: RunReadings | undefined;
    if (present.some((p) => !p)) {
      input.log(`ablate ${name}: ${run.role} '${run.name}' (${input.sequences.length} sequences)`);
      model ??= await input.loadModel();
      readings = await runReadings(model, input.sequences, run.interventions, { ...settings, firstTokenStats: run.role === 'baseline' });
    }
    const extra = { intervention: run.name, role: run.role, group: run.group, window: run.window, interventions: JSON.stringify(run.interventions) };
    for (const [i, t] of tables.entries()) {
      if (!present[i]) {
        const rows = t.rows(readings!);
        await store.write(t.kind, key, t.schema, input.metadata(t.kind, t.version, extra), (w) => {
          w.append(buildRecordBatchFromRows(t.kind === ABLATION.kind ? ABLATION : t.schema, rows, `${t.kind} of ${name} '${run.name}'`));
        });
      }
      artifacts.push({ kind: t.kind, key, cacheHit: Boolean(present[i]) });
    }
    return key;
  };
  const readStored = async (key: string) => {
    const table = await store.read(ABLATION_SEQUENCES.kind, key);
    if (!table) throw new Error(`ablate ${name}: ablation_sequences ${key.slice(0, 12)} vanished after writing`);
    return readingsFromRows(rowsOf<AblationSequenceRow>(table), arch.nLayers);
  };

  try {
    const baselineRun: AblationRun = { name: BASELINE_NAME, role: 'baseline', interventions: [], group: '', window: 0 };
    const d = arch.dModel;
    const baseKey = await ensureRun(baselineRun, [
      {
        kind: ABLATION_BASELINE_MEANS.kind,
        version: ABLATION_BASELINE_MEANS.version,
        schema: ABLATION_BASELINE_MEANS.schema,
        rows: (m) => m.positionMean!.flatMap((means, i) => Array.from(means, (v, j) => ({ hidden_index: i, position: Math.floor(j / d), dim: j % d, mean_value: v, median_abs: m.medianAbs![i] }))),
      },
    ]);
    const baseline = await readStored(baseKey);
    const profile = await storedBaselineProfile(input, baseKey);
    input.log(`ablate ${name}: auto layers from ${input.normRatios ? "the metrics step's layer_metrics" : 'the ablation baseline (no layer_metrics artifact)'}`);
    const runs = planAblations(input.specs, arch, { ...profile, normRatios: input.normRatios ?? profile.normRatios }, { log: input.log, where: input.where });
    const readings = new Map([[BASELINE_NAME, baseline]]);
    const keys = [baseKey];
    const effects: RunEffects[] = [];
    for (const run of runs.slice(1)) {
      const key = await ensureRun(run);
      keys.push(key);
      readings.set(run.name, await readStored(key));
      effects.push(runEffects(run, baseline, readings.get(run.name)!));
    }
    const readRows = async () => (await Promise.all(keys.map(async (k) => rowsOf<AblationRow>((await store.read(ABLATION.kind, k))!)))).flat();
    return { artifacts, runs, readings, effects, readRows };
  } finally {
    model?.dispose();
  }
}

/** The baseline's profile for planning, from its stored tables: norm ratios, per-position means, median |a|. */
async function storedBaselineProfile(input: AblateModelInput, baseKey: string): Promise<BaselineProfile> {
  const { arch, store } = input;
  const d = arch.dModel;
  const meansTable = await store.read(ABLATION_BASELINE_MEANS.kind, baseKey);
  const baseRows = rowsOf<AblationRow>((await store.read(ABLATION.kind, baseKey))!).sort((a, b) => a.hidden_index - b.hidden_index);
  const minSeqLen = Math.min(...input.sequences.map((s) => s.length));
  const positionMean = Array.from({ length: arch.nLayers + 1 }, () => new Float64Array(minSeqLen * d));
  const medianAbs = new Float64Array(arch.nLayers + 1);
  for (const r of rowsOf<{ hidden_index: number; position: number; dim: number; mean_value: number; median_abs: number }>(meansTable!)) {
    positionMean[r.hidden_index][r.position * d + r.dim] = r.mean_value;
    medianAbs[r.hidden_index] = r.median_abs;
  }
  return { normRatios: baseRows.map((r) => r.norm_ratio), positionMean, medianAbs, minSeqLen };
}
