// A run's run-info.json (run-info-file.ts) built from its config and the packages running it.
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { dataSummary } from '../data/training-data.js';
import { EVAL_SINK_EPS } from '../eval/evaluate.js';
import type { TrainConfig } from './config.js';
import type { RunInfo } from './run-info-file.js';

export { readRunInfo, RUN_INFO_FILE, writeRunInfo, type RunInfo } from './run-info-file.js';

const require = createRequire(import.meta.url);

/** The run's provenance from its normalised config and the packages running it now. */
export function runInfoOf(config: TrainConfig, options: { threads?: number } = {}): RunInfo {
  const trainVersion = (require('../../package.json') as { version: string }).version;
  return {
    task: config.data.task,
    dataset: dataSummary(config.data),
    heldOut: { sequences: config.data.heldOutSequences, seqLen: config.data.sequenceLength - 1 },
    firstToken: config.data.firstToken,
    sinkEps: EVAL_SINK_EPS,
    engine: config.engine,
    backend: config.engine === 'onnx' ? 'cpu' : config.backend,
    ...(config.engine === 'onnx' && options.threads !== undefined ? { threads: options.threads } : {}),
    versions: {
      '@sinkscope/train': trainVersion,
      ...(config.engine === 'onnx' ? { 'onnxruntime-node': ort.env.versions.node ?? ort.env.versions.common ?? 'unknown' } : { '@tensorflow/tfjs': tf.version.tfjs }),
      node: process.version,
    },
  };
}

