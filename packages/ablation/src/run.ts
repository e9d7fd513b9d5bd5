import type { ExtractionModel } from '@sinkscope/model-io';
import { runEffects, type RunEffects } from './effects.js';
import type { MassiveDimsOptions } from './layers.js';
import { measureRun, type MeasureSettings, type RunMeasurement } from './measure.js';
import { checkAblations, planAblations, type AblationRun, type BaselineProfile } from './plan.js';
import type { AblationSpec } from './spec.js';
import { ablationRows, type AblationRow } from './summary.js';

export interface AblationResult {
  readonly runs: readonly AblationRun[];
  /** Per run name. */
  readonly measurements: ReadonlyMap<string, RunMeasurement>;
  /** Rows of the shared `ablation` table, every run. */
  readonly rows: AblationRow[];
  /** Effect sizes of every non-baseline run. */
  readonly effects: RunEffects[];
}

/** The baseline's profile for planning: ratio-of-means norm ratios and first-token statistics. */
export function baselineProfile(baseline: RunMeasurement, sequences: readonly (readonly number[])[]): BaselineProfile {
  return {
    normRatios: ablationRows('', '', 'baseline', baseline).map((r) => r.norm_ratio),
    ...(baseline.positionMean ? { positionMean: baseline.positionMean } : {}),
    ...(baseline.medianAbs ? { medianAbs: baseline.medianAbs } : {}),
    minSeqLen: Math.min(...sequences.map((s) => s.length)),
  };
}

/**
 * Run the baseline and every ablation (with its controls) on one model, in memory: the library entry
 * point behind the pipeline's `ablate` step. Every spec is checked against the model before any work.
 */
export async function runAblations(
  model: ExtractionModel,
  sequences: readonly (readonly number[])[],
  specs: readonly AblationSpec[],
  options: { modelName?: string; settings: MeasureSettings; massive?: MassiveDimsOptions; log?: (m: string) => void },
): Promise<AblationResult> {
  checkAblations(specs, model.arch, Math.min(...sequences.map((s) => s.length)));
  const baseline = await measureRun(model, sequences, [], { ...options.settings, firstTokenStats: true });
  const runs = planAblations(specs, model.arch, baselineProfile(baseline, sequences), { ...(options.massive ? { massive: options.massive } : {}), ...(options.log ? { log: options.log } : {}) });
  const measurements = new Map<string, RunMeasurement>([[runs[0].name, baseline]]);
  for (const run of runs.slice(1)) {
    options.log?.(`ablate: ${run.role} '${run.name}'`);
    measurements.set(run.name, await measureRun(model, sequences, run.interventions, options.settings));
  }
  const name = options.modelName ?? 'model';
  return {
    runs,
    measurements,
    rows: runs.flatMap((r) => ablationRows(name, r.name, r.role, measurements.get(r.name)!)),
    effects: runs.slice(1).map((r) => runEffects(r, baseline, measurements.get(r.name)!)),
  };
}
