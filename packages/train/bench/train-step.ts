/**
 * One training-speed run in its own process: build a trainer for one engine and model, run warm-up
 * steps, then time `steps` updates one by one; print one JSON line (`TrainStepResult`).
 * Usage: tsx train-step.ts <onnx|tfjs> <default|4x256> <steps> <threads> [spin|nospin (default)]
 */
import { loadavg } from 'node:os';
import { readFileSync } from 'node:fs';
import { useBackend } from '../src/engine/backend.js';
import { OnnxTrainer } from '../src/onnx/onnx-trainer.js';
import { normaliseTrainConfig, type TrainConfig, type TrainConfigInput } from '../src/training/config.js';
import { Trainer } from '../src/training/trainer.js';

export type TrainBenchModel = 'default' | '4x256';
export const TRAIN_BENCH_MODELS: readonly TrainBenchModel[] = ['default', '4x256'];

export interface TrainStepResult {
  readonly engine: 'onnx' | 'tfjs';
  readonly model: TrainBenchModel;
  readonly layers: number;
  readonly width: number;
  readonly heads: number;
  readonly batch: number;
  readonly seqLen: number;
  readonly steps: number;
  /** Median and fastest timed step. */
  readonly msPerStep: number;
  readonly minMsPerStep: number;
  /** batch x seqLen / median step time. */
  readonly tokensPerSecond: number;
  /** Trainer construction (graph build + session, or variables), and the warm-up steps. */
  readonly setupSeconds: number;
  readonly loadAverage: number;
}

/** The default recipe (pipelines/train-default/train.json: 3 x 128, 1 head, batch 32 x 64, vocab 65), or its 4 x 256 widening (4 heads). */
export function benchConfig(model: TrainBenchModel): TrainConfig {
  const input = JSON.parse(readFileSync(new URL('../../../pipelines/train-default/train.json', import.meta.url), 'utf8')) as TrainConfigInput;
  return normaliseTrainConfig(model === 'default' ? input : { ...input, model: { ...input.model, nLayer: 4, nEmbd: 256, nHead: 4 } });
}

async function main(): Promise<void> {
  const [engine, model, stepsArg, threadsArg, spin] = process.argv.slice(2);
  if (engine !== 'onnx' && engine !== 'tfjs') throw new Error(`train-step: engine must be onnx or tfjs, got '${engine}'`);
  if (!TRAIN_BENCH_MODELS.includes(model as TrainBenchModel)) throw new Error(`train-step: model must be one of ${TRAIN_BENCH_MODELS.join(', ')}, got '${model}'`);
  const steps = Number(stepsArg);
  const threads = Number(threadsArg);
  const config = benchConfig(model as TrainBenchModel);
  const load = loadavg()[0];
  const t0 = performance.now();
  let step: () => Promise<unknown>;
  let dispose: () => Promise<void>;
  if (engine === 'onnx') {
    const trainer = await OnnxTrainer.create(config, {}, { threads, spinning: spin === 'spin' });
    step = () => trainer.trainStep();
    dispose = () => trainer.dispose();
  } else {
    await useBackend('wasm');
    const trainer = new Trainer(config);
    step = async () => trainer.trainStep();
    dispose = async () => trainer.dispose();
  }
  for (let i = 0; i < 2; i++) await step(); // warm-up: kernels, caches, memory planning
  const setupSeconds = (performance.now() - t0) / 1000;
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const a = performance.now();
    await step();
    times.push(performance.now() - a);
  }
  await dispose();
  times.sort((a, b) => a - b);
  const msPerStep = times[Math.floor(times.length / 2)];
  const seqLen = config.data.sequenceLength - 1;
  const result: TrainStepResult = {
    engine,
    model: model as TrainBenchModel,
    layers: config.model.nLayer,
    width: config.model.nEmbd,
    heads: config.model.nHead,
    batch: config.batchSize,
    seqLen,
    steps,
    msPerStep,
    minMsPerStep: times[0],
    tokensPerSecond: (config.batchSize * seqLen * 1000) / msPerStep,
    setupSeconds,
    loadAverage: (load + loadavg()[0]) / 2,
  };
  console.log(JSON.stringify(result));
}

if (process.argv[1]?.endsWith('train-step.ts')) {
  main().catch((err: unknown) => {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
