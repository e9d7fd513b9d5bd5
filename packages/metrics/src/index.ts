export type { Activations } from './validate.js';
export { importanceScores, type ImportanceOptions, type ScoreNormalization } from './importance.js';
export { SinkAccumulator, type SinkAccumulatorConfig, type SinkResult } from './sink-accumulator.js';
export {
  tokenNorms,
  headTokenNorms,
  firstVsRest,
  NormAccumulator,
  HeadNormAccumulator,
  type FirstRestNorms,
  type NormSummary,
  type HeadNormResult,
} from './norms.js';
export { qkDecomposition, causalIndex, type QkDecomposition } from './qk.js';
export {
  massiveActivations,
  MassiveActivationAccumulator,
  type MassiveActivationSummary,
  type MassiveActivationOptions,
  type MassiveActivationResult,
  type TopActivation,
} from './massive.js';
export {
  emergenceLayer,
  largestJump,
  transitionLayer,
  mixCompressRefine,
  signatureOnsets,
  type CheckpointProfile,
  DEFAULT_PHASE_THRESHOLDS,
  type Phase,
  type Phases,
  type PhaseThresholds,
} from './emergence.js';
export { attentionScores, AttentionScoreAccumulator, type AttentionScores } from './attention-scores.js';
export { argmax, medianInPlace } from './select.js';
export { SinkMeasurements, type SinkMeasurementSettings } from './sink-measurements.js';
export { probeAccuracy, DEFAULT_PROBE_SETTINGS, type ProbeResult, type ProbeSettings } from './probes.js';
export { SeededFolds } from './folds.js';
export { choiceCorrect, type ChoiceScore } from './multiple-choice.js';
