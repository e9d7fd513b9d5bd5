/**
 * Learning-rate schedule: linear warm-up, then cosine decay to a floor (Loshchilov & Hutter 2017), or
 * constant after warm-up (`decay: "constant"`).
 */
export interface ScheduleConfig {
  /** Peak learning rate, reached at the end of warm-up. */
  readonly peakLr: number;
  /** Warm-up steps: update s (0-based) uses peakLr * (s + 1) / warmupSteps while s < warmupSteps. */
  readonly warmupSteps: number;
  /** Step at which the cosine reaches the floor; later steps stay at the floor. */
  readonly decaySteps: number;
  /** Floor as a fraction of peakLr (recipe: 0.1). */
  readonly minLrRatio: number;
  /** After warm-up: `cosine` to the floor at decaySteps (default), or `constant` at peakLr. */
  readonly decay: 'cosine' | 'constant';
}

/** Learning rate of update `step` (0-based). */
export function learningRateAt(step: number, s: ScheduleConfig): number {
  if (step < s.warmupSteps) return (s.peakLr * (step + 1)) / s.warmupSteps;
  if (s.decay === 'constant') return s.peakLr;
  const minLr = s.peakLr * s.minLrRatio;
  const span = s.decaySteps - s.warmupSteps;
  if (span <= 0 || step >= s.decaySteps) return minLr;
  const progress = (step - s.warmupSteps) / span;
  return minLr + 0.5 * (s.peakLr - minLr) * (1 + Math.cos(Math.PI * progress));
}
