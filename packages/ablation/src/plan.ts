import { SeededRandom } from '@sinkscope/datasets';
import type { ArchSpec } from '@sinkscope/model-io';
import { validateIntervention, type InterventionSpec } from '@sinkscope/model-io';
import { autoLayer, blockOfHiddenIndex, controlHiddenIndex, emergenceHiddenIndex, massiveDims, type MassiveDimsOptions } from './layers.js';
import { ablationName, type AblationSpec } from './schema.js';
import { blockHook, checkAgainstModel, firstAffectedHiddenIndex } from './targets.js';

export type AblationRole = 'baseline' | 'targeted' | 'control';

/** One forward pass to measure: the baseline, a targeted ablation, or one of its controls. */
export interface AblationRun {
  /** The `intervention` column: `baseline`, the ablation's name, or `<name> [control: position p]` / `<name> [control: layer l]`. */
  readonly name: string;
  readonly role: AblationRole;
  /** Concrete interventions applied together (empty for the baseline). */
  readonly interventions: readonly InterventionSpec[];
  /** Name of the targeted ablation this run belongs to (itself for a targeted run; '' for the baseline). */
  readonly group: string;
  /** First hidden-state index the group's targeted ablation can change: effects are read from here on. */
  readonly window: number;
}

export const BASELINE_NAME = 'baseline';

/** What the plan needs from the baseline: norm ratios per hidden state and, for massive dims, first-token stats. */
export interface BaselineProfile {
  /** First-token norm ratio per hidden-state index 0..L. */
  readonly normRatios: readonly number[];
  /**
   * [L+1][minSeqLen * d] mean over sequences of each position's vector, and [L+1] mean median |a|
   * (needed by `dims: massive` and `value: baseline-mean`).
   */
  readonly positionMean?: readonly ArrayLike<number>[];
  readonly medianAbs?: ArrayLike<number>;
  /** Shortest sequence length (the random control position is drawn below it). */
  readonly minSeqLen: number;
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

/** The concrete interventions of one spec at the given blocks and positions. */
function concrete(spec: AblationSpec, layers: readonly number[], positions: readonly number[], baseline: BaselineProfile, arch: ArchSpec, where: string, massive: MassiveDimsOptions): InterventionSpec[] {
  const out: InterventionSpec[] = [];
  for (const layer of layers) {
    const hook = blockHook(spec.hook, layer);
    switch (spec.kind) {
      case 'zero':
      case 'mean-of-others':
        out.push({ kind: spec.kind, hook, positions });
        break;
      case 'rescale-norm':
        out.push({ kind: 'rescale-norm', hook, positions, norm: spec.norm });
        break;
      case 'add-direction':
        out.push({ kind: 'add-direction', hook, positions, direction: spec.direction, ...(spec.scale !== undefined ? { scale: spec.scale } : {}) });
        break;
      case 'set-dims': {
        let dims: readonly number[];
        if (spec.dims === 'massive') {
          const e = emergenceHiddenIndex(baseline.normRatios);
          if (!baseline.positionMean || !baseline.medianAbs) throw new Error(`${where}: dims 'massive' needs the baseline's first-token statistics`);
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
          for (const p of positions) for (const d of dims) out.push({ kind: 'set-dims', hook, positions: [p], dims: [d], value: Math.fround(means[h][p * arch.dModel + d]) });
        } else out.push({ kind: 'set-dims', hook, positions, dims, value: spec.value });
        break;
      }
    }
  }
  return out.map((s, i) => validateIntervention(arch, s, `${where} (intervention ${i})`));
}

/**
 * Expand the ablation specs into runs: the baseline, then per spec its targeted run and its controls
 * (the same intervention at a seeded random non-first position, and on the first token at a block
 * where no massive activation forms; see `controlHiddenIndex`). `log` hears about skipped controls.
 */
export function planAblations(
  specs: readonly AblationSpec[],
  arch: ArchSpec,
  baseline: BaselineProfile,
  options: { massive?: MassiveDimsOptions; log?: (m: string) => void; where?: string } = {},
): AblationRun[] {
  const where = options.where ?? 'ablations';
  if (baseline.normRatios.length !== arch.nLayers + 1) throw new Error(`planAblations: ${baseline.normRatios.length} norm ratios for ${arch.nLayers + 1} hidden states`);
  checkAblations(specs, arch, baseline.minSeqLen, where);
  const runs: AblationRun[] = [{ name: BASELINE_NAME, role: 'baseline', interventions: [], group: '', window: 0 }];
  const emergence = emergenceHiddenIndex(baseline.normRatios);
  specs.forEach((spec, i) => {
    const at = `${where}[${i}]`;
    const name = ablationName(spec);
    if (name === BASELINE_NAME) throw new Error(`${at}: the name '${BASELINE_NAME}' is reserved`);
    const layers = spec.layers === 'auto' ? [autoLayer(baseline.normRatios, spec.hook)] : [...spec.layers];
    const positions = spec.positions ?? [0];
    const window = Math.min(...layers.map((l) => firstAffectedHiddenIndex(spec.hook, l)));
    runs.push({ name, role: 'targeted', interventions: concrete(spec, layers, positions, baseline, arch, at, options.massive ?? {}), group: name, window });
    if (spec.controls === false) return;
    const p = controlPosition(spec.seed ?? 0, baseline.minSeqLen, positions);
    runs.push({ name: `${name} [control: position ${p}]`, role: 'control', interventions: concrete(spec, layers, [p], baseline, arch, at, options.massive ?? {}), group: name, window });
    const targetedIndices = layers.map((l) => firstAffectedHiddenIndex(spec.hook, l));
    const j = controlHiddenIndex(baseline.normRatios, emergence, targetedIndices);
    const controlBlock = j === null ? null : blockOfHiddenIndex(j, spec.hook);
    if (controlBlock === null || controlBlock < 0 || controlBlock >= arch.nLayers) {
      options.log?.(`${at} '${name}': no layer control (every block of this ${arch.nLayers}-block model is the emergence block ${emergence - 1} or next to it)`);
      return;
    }
    runs.push({ name: `${name} [control: layer ${controlBlock}]`, role: 'control', interventions: concrete(spec, [controlBlock], positions, baseline, arch, at, options.massive ?? {}), group: name, window });
  });
  return runs;
}
