import type { Effect, RunEffects } from './effects.js';
import { EFFECT_QUANTITIES, type EffectQuantity } from './kinds.js';
import type { AblationPlan, AblationRun, DosePoint } from './plan.js';

/** A dose point with its effects (the baseline against itself at 0, read in the targeted run's window). */
export interface DoseEffects extends DosePoint {
  readonly effects: RunEffects;
}

/** One row of `ablation_effects` (kinds.ts ABLATION_EFFECTS). */
export type AblationEffectsRow = {
  model: string;
  ablation: string;
  intervention: string;
  role: 'targeted' | 'control' | 'dose' | 'skipped';
  scale: number;
  blocks: string;
  window: number;
  note: string;
  sequences: number;
} & Record<`${EffectQuantity}_${'baseline' | 'after' | 'delta_mean' | 'delta_std'}`, number>;

const FIELD: Record<EffectQuantity, keyof Pick<RunEffects, 'normRatio' | 'sinkRate' | 'entropy' | 'loss'>> = {
  norm_ratio: 'normRatio',
  sink_rate: 'sinkRate',
  entropy: 'entropy',
  loss: 'loss',
};

function effectColumns(effects: RunEffects | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const q of EFFECT_QUANTITIES) {
    const e: Effect | null | undefined = effects?.[FIELD[q]];
    out[`${q}_baseline`] = e?.baseline ?? NaN;
    out[`${q}_after`] = e?.after ?? NaN;
    out[`${q}_delta_mean`] = e?.deltaMean ?? NaN;
    out[`${q}_delta_std`] = e?.deltaStd ?? NaN;
  }
  return out;
}

/**
 * The `ablation_effects` rows of one model: per ablation that ran, its targeted run (its note joined
 * with the plan's notes on it), controls and dose points (a dose of 0 is the baseline, 1 the targeted
 * run); per ablation that did not run, one `skipped` row with the reason.
 */
export function effectsRows(model: string, plan: AblationPlan, effectsByRun: ReadonlyMap<string, RunEffects>, doses: readonly DoseEffects[]): AblationEffectsRow[] {
  const rows: AblationEffectsRow[] = [];
  const runByName = new Map(plan.runs.map((r) => [r.name, r]));
  const row = (ablation: string, run: AblationRun | undefined, intervention: string, role: AblationEffectsRow['role'], scale: number, note: string, effects: RunEffects | undefined): AblationEffectsRow =>
    ({
      model,
      ablation,
      intervention,
      role,
      scale,
      blocks: run ? run.blocks.join(',') : '',
      window: run && run.role !== 'baseline' ? run.window : -1,
      note,
      sequences: effects?.sequences ?? 0,
      ...effectColumns(effects),
    }) as AblationEffectsRow;
  const groups = [...new Set(plan.runs.filter((r) => r.role !== 'baseline').map((r) => r.group))];
  for (const group of groups) {
    const notes = plan.notes.filter((n) => n.group === group).map((n) => n.note);
    for (const run of plan.runs.filter((r) => r.group === group && (r.role === 'targeted' || r.role === 'control'))) {
      const note = [run.note ?? '', ...(run.role === 'targeted' ? notes : [])].filter(Boolean).join('; ');
      rows.push(row(group, run, run.name, run.role as 'targeted' | 'control', run.role === 'targeted' ? 1 : NaN, note, effectsByRun.get(run.name)));
    }
    const targeted = runByName.get(group);
    for (const point of doses.filter((d) => d.group === group)) {
      rows.push(row(group, point.run === 'baseline' ? targeted : runByName.get(point.run), point.run, 'dose', point.scale, `strength ${point.scale}`, point.effects));
    }
  }
  for (const s of plan.skipped) rows.push(row(s.group, undefined, '', 'skipped', NaN, s.reason, undefined));
  return rows;
}
