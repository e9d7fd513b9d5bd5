// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- the package ships no types; packages importing metrics from source need this declaration too
/// <reference path="./ml-logistic-regression.d.ts" />
import LogisticRegression from 'ml-logistic-regression';
import { Matrix } from 'ml-matrix';
import { SeededFolds } from './folds.js';

/** Settings of a linear probe (the pipeline spec's `analyses.probes`). */
export interface ProbeSettings {
  /** k of the k-fold cross-validation (>= 2). */
  readonly folds: number;
  /** Seed of the fold assignment. */
  readonly seed: number;
  /** Gradient steps of each one-vs-rest classifier (ml-logistic-regression's numSteps). */
  readonly steps: number;
  /** Step size per example (the library sums the gradient over examples; this is divided by n). */
  readonly learningRate: number;
}

export const DEFAULT_PROBE_SETTINGS: ProbeSettings = { folds: 5, seed: 0, steps: 500, learningRate: 0.5 };

export interface ProbeResult {
  /** Held-out accuracy, mean over the folds. */
  accuracy: number;
  /** Population std of the fold accuracies. */
  accuracyStd: number;
  /** Accuracy of always answering the training folds' most frequent label (mean over the folds). */
  majority: number;
  folds: number;
}

/**
 * A linear probe with k-fold cross-validation: `features` [n, d] (row-major), `labels` in 0..K-1.
 * Each fold standardises the features with the training part's mean and std, appends a constant 1
 * (ml-logistic-regression fits no intercept of its own), trains ml-logistic-regression's one-vs-rest
 * logistic regression (batch gradient ascent) and scores the held-out part. Folds are a seeded
 * stratified assignment, so every run gives the same numbers.
 */
export function probeAccuracy(features: Float64Array | Float32Array, n: number, d: number, labels: readonly number[], settings: ProbeSettings = DEFAULT_PROBE_SETTINGS): ProbeResult {
  if (features.length !== n * d) throw new RangeError(`probeAccuracy: ${features.length} feature values for n = ${n}, d = ${d}`);
  if (labels.length !== n) throw new RangeError(`probeAccuracy: ${labels.length} labels for ${n} examples`);
  const classes = Math.max(...labels) + 1;
  const folds = new SeededFolds(labels, settings.folds, settings.seed);
  const accuracies: number[] = [];
  const majorities: number[] = [];
  for (let f = 0; f < settings.folds; f++) {
    const { train, test } = folds.split(f);
    if (test.length === 0) continue;
    const mean = new Float64Array(d);
    const std = new Float64Array(d);
    for (const i of train) for (let c = 0; c < d; c++) mean[c] += features[i * d + c] / train.length;
    for (const i of train) for (let c = 0; c < d; c++) std[c] += (features[i * d + c] - mean[c]) ** 2 / train.length;
    for (let c = 0; c < d; c++) std[c] = Math.sqrt(std[c]) || 1;
    const design = (rows: readonly number[]) => new Matrix(rows.map((i) => [...Array.from({ length: d }, (_, c) => (features[i * d + c] - mean[c]) / std[c]), 1]));
    const trainLabels = train.map((i) => labels[i]);
    const counts = new Array<number>(classes).fill(0);
    for (const y of trainLabels) counts[y]++;
    const mostFrequent = counts.indexOf(Math.max(...counts));
    majorities.push(test.filter((i) => labels[i] === mostFrequent).length / test.length);
    if (new Set(trainLabels).size < classes) throw new RangeError(`probeAccuracy: fold ${f} lacks a label in its training part (too few examples of some label for ${settings.folds} folds)`);
    const model = new LogisticRegression({ numSteps: settings.steps, learningRate: settings.learningRate / train.length });
    model.train(design(train), Matrix.columnVector(trainLabels));
    const predicted = model.predict(design(test));
    accuracies.push(test.filter((i, j) => predicted[j] === labels[i]).length / test.length);
  }
  const mean = accuracies.reduce((a, b) => a + b, 0) / accuracies.length;
  return {
    accuracy: mean,
    accuracyStd: Math.sqrt(accuracies.reduce((a, b) => a + (b - mean) ** 2, 0) / accuracies.length),
    majority: majorities.reduce((a, b) => a + b, 0) / majorities.length,
    folds: accuracies.length,
  };
}
