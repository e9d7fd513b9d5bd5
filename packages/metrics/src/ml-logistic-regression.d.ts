// ml-logistic-regression 2.0.0 ships no types: the part of its API the probes use.
declare module 'ml-logistic-regression' {
  import type { Matrix } from 'ml-matrix';
  export default class LogisticRegression {
    constructor(options?: { numSteps?: number; learningRate?: number });
    train(features: Matrix, labels: Matrix): void;
    predict(features: Matrix): number[];
  }
}
