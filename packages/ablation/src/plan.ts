import { SeededRandom } from '@sinkscope/datasets';
import type { ArchSpec } from '@sinkscope/model-io';
import { validateIntervention, type InterventionSpec } from '@sinkscope/model-io';
import { autoBlock, blockOfHiddenIndex, controlLayerChoice, massiveDims, type MassiveDimsOptions } from './layers.js';
import type { MassiveFinding } from './massive.js';
import { ablationName, type AblationSpec } from './schema.js';
import { blockHook, checkAgainstModel, firstAffectedHiddenIndex } from './targets.js';

/** `dose` runs are the partial strengths of a dose-response (`scale: [...]`). */
export type AblationRole = 'baseline' | 'targeted' | 'control' | 'dose';

/** One forward pass to measure: the baseline, a targeted ablation, one of its controls, or one dose. */
export interface AblationRun {
  /** The `intervention` column: `baseline`, the ablation's name, `<name> [control: position p]` / `<name> [control: layer l]`, or `<name> [scale s]`. */
  readonly name: string;
  readonly role: AblationRole;
  /** Concrete interventions applied together (empty for the baseline). */
  readonly interventions: readonly InterventionSpec[];
  /** Name of the targeted ablation this run belongs to (itself for a targeted run; '' for the baseline). */
  readonly group: string;
  /** First hidden-state index the group's targeted ablation can change: effects are read from here on. */
  readonly window: number;
  /** The blocks it acts at (none for the baseline). */
  readonly blocks: readonly number[];
  /** A dose run's strength. */
  readonly scale?: number;
  /** Why this block or position, in words (auto's emergence, the control's choice). */
  readonly note?: string;
}

export const BASELINE_NAME = 'baseline';

/** What the plan needs from the baseline: per-position means and the median |a| for massive dims and baseline means. */
export interface BaselineProfile {
  /**
   * [L+1][minSeqLen * d] mean over sequences of each position's vector, and [L+1] mean median |a|
   * (needed by `dims: massive` and `value: baseline-mean`); index L is the final norm's output.
   */
  readonly positionMean?: readonly ArrayLike<number>[];
  readonly medianAbs?: ArrayLike<number>;
  /** Shortest sequence length (the random control position is drawn below it). */
  readonly minSeqLen: number;
}

/** An ablation that does not run, and why (e.g. `layers: auto` on a model with no massive activation). */
export interface SkippedAblation {
  readonly group: string;
  readonly reason: string;
}

/** A point of a dose-response curve: the run whose readings it is (the baseline at 0, the targeted run at 1). */
export interface DosePoint {
  readonly group: string;
  readonly scale: number;
  readonly run: string;
}

/** Things a reader must know about an ablation that did run (no attention downstream, no layer control). */
export interface PlanNote {
  readonly group: string;
  readonly note: string;
}

export interface AblationPlan {
  /** The baseline first (when anything runs), then per ablation its targeted run, controls and doses. */
  readonly runs: readonly AblationRun[];
  readonly skipped: readonly SkippedAblation[];
  readonly notes: readonly PlanNote[];
  readonly dose: readonly DosePoint[];
}

/** A random position in 1..minSeqLen-1 not in `taken` (seeded). */
export function controlPosition(seed: number, minSeqLen: number, taken: readonly number[]): number {
  const choices = Array.from({ length: minSeqLen - 1 }, (_, i) => i + 1).filter((p) => !taken.includes(p));
  if (choices.length === 0) throw new Error(`no position besides [${taken.join(', ')}] in sequences of ${minSeqLen} tokens for the position control`);
  // mulberry32: the stream every shipped control position was drawn from
  return choices[Math.floor(SeededRandom.mulberry32(seed).nextUnit() * choices.length)];
}

/** Check every ablation against the model before any work (hooks, layers, dims, widths, positions). */
export function checkAblations(specs: readonly AblationSpec[], arch: ArchSpec, minSeqLen: number, where = 'ablations'): void {
  specs.forEach((s, i) => {
    checkAgainstModel(s, arch, `${where}[${i}]`);
    for (const p of s.positions ?? [0]) {
      if (p >= minSeqLen) throw new Error(`${where}[${i}]: field 'positions' has ${p}, outside the shortest sequence's positions 0..${minSeqLen - 1}`);
    }
  });
}

/** The strengths of a dose-response, or undefined (add-direction's numeric `scale` multiplies its direction instead). */
export function doseScales(spec: AblationSpec): readonly number[] | undefined {
  return Array.isArray(spec.scale) ? spec.scale : undefined;
}

/** The concrete interventions of one spec at the given blocks and positions. */
function concrete(
  spec: AblationSpec,
  layers: readonly number[],
  positions: readonly number[],
  baseline: BaselineProfile,
  arch: ArchSpec,
  where: string,
  massive: MassiveDimsOptions,
  emergence: number,
  strength?: number,
): InterventionSpec[] {
  const out: InterventionSpec[] = [];
  const dose = strength === undefined ? {} : { strength };
  for (const layer of layers) {
    const hook = blockHook(spec.hook, layer);
    switch (spec.kind) {
      case 'zero':
      case 'mean-of-others':
        out.push({ kind: spec.kind, hook, positions, ...dose });
        break;
      case 'rescale-norm':
        out.push({ kind: 'rescale-norm', hook, positions, norm: spec.norm, ...dose });
        break;
      case 'add-direction':
        out.push({ kind: 'add-direction', hook, positions, direction: spec.direction, ...(typeof spec.scale === 'number' ? { scale: spec.scale } : {}), ...dose });
        break;
      case 'set-dims': {
        let dims: readonly number[];
        if (spec.dims === 'massive') {
          const e = emergence;
          if (!baseline.positionMean || !baseline.medianAbs) throw new Error(`${where}: dims 'massive' needs the baseline's first-token statistics`);
          if (e >= arch.nLayers) throw new Error(`${where}: dims 'massive': the massive activation forms in the last block, whose output the baseline holds only after the final norm; list the dims explicitly`);
          dims = massiveDims(Array.from({ length: arch.dModel }, (_, c) => baseline.positionMean![e][c]), baseline.medianAbs[e], massive);
          if (dims.length === 0) {
            throw new Error(`${where}: dims 'massive': the first token has no dim above ${massive.medianRatio ?? 100} x the median |activation| at hidden state ${e}; list the dims explicitly`);
          }
        } else dims = spec.dims;
        if (spec.value === 'baseline-mean') {
          // the hook's activation is hidden state h (resid_post of block l = hidden l+1 unless that is the final norm's output)
          const h = spec.hook === 'hook_resid_pre' ? layer : layer + 1;
          if (h === arch.nLayers) throw new Error(`${where}: value 'baseline-mean' at ${hook}: hidden state ${h} is the final norm's output, not this hook; use a number`);
          const means = baseline.positionMean;
          if (!means) throw new Error(`${where}: value 'baseline-mean' needs the baseline's per-position means`);
          // one set-dims per (position, dim), each with the baseline's mean there (rounded to float32 as the engine holds it)
          for (const p of positions) for (const d of dims) out.push({ kind: 'set-dims', hook, positions: [p], dims: [d], value: Math.fround(means[h][p * arch.dModel + d]), ...dose });
        } else out.push({ kind: 'set-dims', hook, positions, dims, value: spec.value, ...dose });
        break;
      }
    }
  }
  return out.map((s, i) => validateIntervention(arch, s, `${where} (intervention ${i})`));
}

/**
 * Expand the ablation specs into runs: the baseline, then per spec its targeted run, its controls
 * (the same intervention at a seeded random non-first position, and on the first token at a block
 * where no massive activation forms; see `controlLayerChoice`) and its doses. `layers: auto` acts at
 * the block where the massive activation forms, and only when `finding` found one: otherwise the
 * ablation is skipped with the finding's verdict as the reason. `residualRatios` are the first-token
 * norm ratios of the residual states (never the final norm's output), as the finding was made from.
 */
export function planAblations(
  specs: readonly AblationSpec[],
  arch: ArchSpec,
  baseline: BaselineProfile,
  finding: MassiveFinding,
  residualRatios: readonly number[],
  options: { massive?: MassiveDimsOptions; log?: (m: string) => void; where?: string } = {},
): AblationPlan {
  const where = options.where ?? 'ablations';
  checkAblations(specs, arch, baseline.minSeqLen, where);
  const runs: AblationRun[] = [];
  const skipped: SkippedAblation[] = [];
  const notes: PlanNote[] = [];
  const dose: DosePoint[] = [];
  const emergence = finding.emergenceHiddenIndex;
  const massive = options.massive ?? {};
  specs.forEach((spec, i) => {
    const at = `${where}[${i}]`;
    const name = ablationName(spec);
    if (name === BASELINE_NAME) throw new Error(`${at}: the name '${BASELINE_NAME}' is reserved`);
    const skip = (reason: string) => {
      skipped.push({ group: name, reason });
      options.log?.(`${at} '${name}': not run: ${reason}`);
    };
    let layers: number[];
    let note: string;
    if (spec.layers === 'auto') {
      if (!finding.found) return skip(`layers 'auto' acts where the first token's massive activation forms, and this model has none`);
      const block = autoBlock(emergence, spec.hook, arch.nLayers);
      if (block === null) return skip(`the massive activation forms in the last block (hidden state ${emergence}); no later ${spec.hook} exists`);
      layers = [block];
      note = `block ${block} (auto), where the massive activation forms (hidden state ${emergence}, the largest rise of the first-token norm ratio)`;
    } else {
      layers = [...spec.layers];
      note = `block${layers.length > 1 ? 's' : ''} ${layers.join(', ')} (given)`;
    }
    const positions = spec.positions ?? [0];
    const targetedIndices = layers.map((l) => firstAffectedHiddenIndex(spec.hook, l));
    const window = Math.min(...targetedIndices);
    const make = (ls: readonly number[], ps: readonly number[], strength?: number) => concrete(spec, ls, ps, baseline, arch, at, massive, emergence, strength);
    runs.push({ name, role: 'targeted', interventions: make(layers, positions), group: name, window, blocks: layers, note });
    if (window >= arch.nLayers) {
      notes.push({ group: name, note: `no attention layer comes after block ${Math.max(...layers)} (the model's last), so Sink_1 downstream is not measured` });
    }
    if (spec.controls !== false) {
      const p = controlPosition(spec.seed ?? 0, baseline.minSeqLen, positions);
      runs.push({ name: `${name} [control: position ${p}]`, role: 'control', interventions: make(layers, [p]), group: name, window, blocks: layers, note: `the same blocks at the seeded random position ${p}` });
      const choice = controlLayerChoice(residualRatios, emergence, targetedIndices, spec.hook, arch.nLayers);
      if (choice.hiddenIndex === null) {
        notes.push({ group: name, note: choice.note });
        options.log?.(`${at} '${name}': ${choice.note}`);
      } else {
        const block = blockOfHiddenIndex(choice.hiddenIndex, spec.hook);
        runs.push({ name: `${name} [control: layer ${block}]`, role: 'control', interventions: make([block], positions), group: name, window, blocks: [block], note: choice.note });
      }
    }
    for (const s of doseScales(spec) ?? []) {
      if (s === 0) dose.push({ group: name, scale: 0, run: BASELINE_NAME });
      else if (s === 1) dose.push({ group: name, scale: 1, run: name });
      else {
        const run = `${name} [scale ${s}]`;
        runs.push({ name: run, role: 'dose', interventions: make(layers, positions, s), group: name, window, blocks: layers, scale: s, note: `strength ${s}: x + ${s} (f(x) - x)` });
        dose.push({ group: name, scale: s, run });
      }
    }
  });
  const baselineRun: AblationRun = { name: BASELINE_NAME, role: 'baseline', interventions: [], group: '', window: 0, blocks: [] };
  return { runs: runs.length ? [baselineRun, ...runs] : [], skipped, notes, dose };
}
