import { ABLATION, buildRecordBatchFromRows, hashInputs, type ArtifactStore, type JsonValue } from '@sinkscope/artifacts';
import type { ArchSpec, ExtractionModel } from '@sinkscope/model-io';
import type { Schema, Table } from 'apache-arrow';
import { runEffects, type RunEffects } from './effects.js';
import { effectsRows, type AblationEffectsRow, type DoseEffects } from './effects-rows.js';
import { ABLATION_BASELINE_MEANS, ABLATION_EFFECTS, ABLATION_SEQUENCES } from './kinds.js';
import { autoBlock } from './layers.js';
import { DEFAULT_MASSIVE_THRESHOLDS, findMassiveActivation, type MassiveFinding, type MassiveThresholds, type ResidualProfile } from './massive.js';
import { BASELINE_NAME, planAblations, type AblationPlan, type AblationRun, type BaselineProfile } from './plan.js';
import { runReadings, type RunReadings } from './readings.js';
import type { AblationSpec } from './schema.js';
import { ablationRows, readingsFromRows, sequenceRows, type AblationRow, type AblationSequenceRow } from './summary.js';

/** Bumped when the ablate step's computation changes meaning, so old artifacts are not reused. */
export const ABLATE_CODE_VERSION = 2;

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
  /**
   * The residual states' first-token norm ratios, top and median |activation| from the metrics step,
   * when that table exists (the massive-activation test and `layers: auto` read them); without it
   * they come from the ablation baseline (states 0..L-1: the last is only seen after the final norm).
   */
  readonly profile?: ResidualProfile;
  /** When a massive activation counts as found (default: |a| >= 100 and 100x the median, or a norm ratio of 10; Sun et al. 2024's stricter original is 1000x the median). */
  readonly thresholds?: MassiveThresholds;
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
  /**
   * Every run's artifacts, run by run: `ablation`, `ablation_sequences` (and `ablation_baseline_means`
   * for the baseline), then the model's `ablation_effects`.
   */
  readonly artifacts: readonly AblationArtifact[];
  /** Whether there is a massive activation to ablate, and where it forms. */
  readonly finding: MassiveFinding;
  /** The runs (the baseline, then per ablation its targeted run, controls and doses; none when nothing runs), skipped ablations, notes, dose points. */
  readonly plan: AblationPlan;
  /** The baseline, then per ablation its targeted run, controls and doses (`plan.runs`). */
  readonly runs: readonly AblationRun[];
  /** Per run name: its per-sequence readings as stored. */
  readonly readings: ReadonlyMap<string, Pick<RunReadings, 'layers' | 'sequences'>>;
  /** Effect sizes of every run but the baseline. */
  readonly effects: readonly RunEffects[];
  /** The dose-response points with their effects. */
  readonly doses: readonly DoseEffects[];
  /** The `ablation_effects` rows as stored (what `ablationSummary` and the report read). */
  readonly summaryRows: readonly AblationEffectsRow[];
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
    const baselineRun: AblationRun = { name: BASELINE_NAME, role: 'baseline', interventions: [], group: '', window: 0, blocks: [] };
    const d = arch.dModel;
    const thresholds = input.thresholds ?? DEFAULT_MASSIVE_THRESHOLDS;
    const minSeqLen = Math.min(...input.sequences.map((s) => s.length));
    // with the metrics step's profile the finding comes first: an ablate step with nothing to ablate runs no model at all
    let finding = input.profile ? findMassiveActivation(input.profile, thresholds) : undefined;
    let profile = input.profile;
    let baseKey: string | undefined;
    let stats: BaselineProfile = { minSeqLen };
    if (!finding || anythingRuns(input.specs, finding, arch.nLayers)) {
      baseKey = await ensureRun(baselineRun, [
        {
          kind: ABLATION_BASELINE_MEANS.kind,
          version: ABLATION_BASELINE_MEANS.version,
          schema: ABLATION_BASELINE_MEANS.schema,
          rows: (m) =>
            m.positionMean!.flatMap((means, i) => Array.from(means, (v, j) => ({ hidden_index: i, position: Math.floor(j / d), dim: j % d, mean_value: v, median_abs: m.medianAbs![i], top_abs: m.topAbs![i] }))),
        },
      ]);
      const stored = await storedBaselineProfile(input, baseKey);
      stats = stored.stats;
      profile ??= stored.residual;
      finding ??= findMassiveActivation(profile, thresholds);
    }
    input.log(`ablate ${name}: ${finding.verdict} (from ${input.profile ? "the metrics step's layer_metrics" : 'the ablation baseline; no layer_metrics artifact'})`);
    const plan = planAblations(input.specs, arch, stats, finding, profile!.normRatios, { log: input.log, where: input.where });
    const readings = new Map<string, Pick<RunReadings, 'layers' | 'sequences'>>();
    const keys: string[] = [];
    const effects: RunEffects[] = [];
    if (plan.runs.length) {
      const baseline = await readStored(baseKey!);
      readings.set(BASELINE_NAME, baseline);
      keys.push(baseKey!);
      for (const run of plan.runs.slice(1)) {
        const key = await ensureRun(run);
        keys.push(key);
        readings.set(run.name, await readStored(key));
        effects.push(runEffects(run, baseline, readings.get(run.name)!));
      }
    }
    const byRun = new Map(effects.map((e) => [e.name, e]));
    const doses: DoseEffects[] = plan.dose.map((point) => {
      const targeted = plan.runs.find((r) => r.name === point.group)!;
      const effects = byRun.get(point.run) ?? runEffects({ ...targeted, name: point.run, role: 'dose' }, readings.get(BASELINE_NAME)!, readings.get(point.run)!);
      return { ...point, effects };
    });
    const summary = effectsRows(name, plan, byRun, doses);
    const summaryKey = hashInputs({ ablation_effects: ABLATION_EFFECTS.version, code: ABLATE_CODE_VERSION, runs: keys, specs: input.specs as unknown as JsonValue, verdict: finding.verdict, skipped: plan.skipped as unknown as JsonValue });
    const written = await store.ensure(
      ABLATION_EFFECTS.kind,
      summaryKey,
      ABLATION_EFFECTS.schema,
      input.metadata(ABLATION_EFFECTS.kind, ABLATION_EFFECTS.version, {
        massive_found: finding.found,
        massive_verdict: finding.verdict,
        emergence_hidden_index: finding.emergenceHiddenIndex,
        massive_thresholds: JSON.stringify(thresholds),
        residual_profile_from: input.profile ? 'layer_metrics' : 'ablation baseline',
      }),
      (w) => {
        w.append(buildRecordBatchFromRows(ABLATION_EFFECTS.schema, summary, `ablation_effects of ${name}`));
      },
    );
    artifacts.push({ kind: ABLATION_EFFECTS.kind, key: summaryKey, cacheHit: written.hit });
    const stored = await store.read(ABLATION_EFFECTS.kind, summaryKey);
    const summaryRows = rowsOf<AblationEffectsRow>(stored!);
    const readRows = async () => (await Promise.all(keys.map(async (k) => rowsOf<AblationRow>((await store.read(ABLATION.kind, k))!)))).flat();
    return { artifacts, finding, plan, runs: plan.runs, readings, effects, doses, summaryRows, readRows };
  } finally {
    model?.dispose();
  }
}

/** Whether any ablation runs for this finding (an `auto` one needs a massive activation and a block to act at). */
export function anythingRuns(specs: readonly AblationSpec[], finding: MassiveFinding, nLayers: number): boolean {
  return specs.some((s) => s.layers !== 'auto' || (finding.found && autoBlock(finding.emergenceHiddenIndex, s.hook, nLayers) !== null));
}

/**
 * From the baseline's stored tables: the per-position means and median |a| that planning needs, and
 * the residual profile of states 0..L-1 (state L is only seen after the final norm, so it is left out).
 */
async function storedBaselineProfile(input: AblateModelInput, baseKey: string): Promise<{ stats: BaselineProfile; residual: ResidualProfile }> {
  const { arch, store } = input;
  const d = arch.dModel;
  const L = arch.nLayers;
  const meansTable = await store.read(ABLATION_BASELINE_MEANS.kind, baseKey);
  const baseRows = rowsOf<AblationRow>((await store.read(ABLATION.kind, baseKey))!).sort((a, b) => a.hidden_index - b.hidden_index);
  const minSeqLen = Math.min(...input.sequences.map((s) => s.length));
  const positionMean = Array.from({ length: L + 1 }, () => new Float64Array(minSeqLen * d));
  const medianAbs = new Float64Array(L + 1);
  const topAbs = new Float64Array(L + 1);
  for (const r of rowsOf<{ hidden_index: number; position: number; dim: number; mean_value: number; median_abs: number; top_abs: number }>(meansTable!)) {
    positionMean[r.hidden_index][r.position * d + r.dim] = r.mean_value;
    medianAbs[r.hidden_index] = r.median_abs;
    topAbs[r.hidden_index] = r.top_abs;
  }
  return {
    stats: { positionMean, medianAbs, minSeqLen },
    residual: { normRatios: baseRows.slice(0, L).map((r) => r.norm_ratio), topActivation: Array.from(topAbs.subarray(0, L)), medianActivation: Array.from(medianAbs.subarray(0, L)), preFinalNorm: false },
  };
}
