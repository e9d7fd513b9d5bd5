export type { Activations } from './validate.js';
export { type Preprocessing, type ResolvedPreprocessing } from './preprocess.js';
export { gramMatrix, covarianceMatrix } from './gram.js';
export { eigenShares, symmetricEigenvalues, type Spectrum, type SpectrumMethod, type SpectrumOptions } from './spectrum.js';
export { symmetricEigenvaluesOnly } from './eigenvalues.js';
export { theorem1, theorem1FromParts, topShareEntropyCeiling, type Theorem1Statistics } from './theorem1.js';
export {
  matrixEntropy,
  entropyOfSpectrum,
  renyiOrders,
  shannonEntropy,
  renyiEntropy,
  type MatrixEntropy,
  type MatrixEntropyOptions,
} from './entropy.js';
export { entropyBound, entropyUpperBound, type EntropyBound, type EntropyBoundOptions } from './bound.js';
export { meanCosine, type MeanCosine } from './mean-cosine.js';
export {
  summarize,
  RunningSummary,
  LayerEntropyAccumulator,
  THEOREM1_FIELDS,
  type Theorem1Field,
  type Summary,
  type SequenceEntropy,
  type LayerEntropySummary,
  type LayerEntropyAccumulatorConfig,
} from './summary.js';
