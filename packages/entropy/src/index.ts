export type { Activations } from './validate.js';
export { type Preprocessing, type ResolvedPreprocessing } from './preprocess.js';
export { gramMatrix, covarianceMatrix } from './gram.js';
export { eigenShares, symmetricEigenvalues, type Spectrum, type SpectrumMethod, type SpectrumOptions } from './spectrum.js';
export {
  matrixEntropy,
  shannonEntropy,
  renyiEntropy,
  type MatrixEntropy,
  type MatrixEntropyOptions,
} from './entropy.js';
export { entropyBound, entropyUpperBound, type EntropyBound, type EntropyBoundOptions } from './bound.js';
export { anisotropy, type Anisotropy } from './anisotropy.js';
export {
  summarize,
  RunningSummary,
  LayerEntropyAccumulator,
  type Summary,
  type SequenceEntropy,
  type LayerEntropySummary,
  type LayerEntropyAccumulatorConfig,
} from './summary.js';
