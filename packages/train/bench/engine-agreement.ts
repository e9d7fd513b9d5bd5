/**
 * The two training engines on the same run: `steps` updates (default 50) of the default recipe
 * (pipelines/train-default/train.json) on tfjs-wasm and on onnx, step by step; prints each step's
 * losses and gradient norms, the largest relative differences, and one JSON line.
 * Usage: npx tsx packages/train/bench/engine-agreement.ts [steps] [threads]
 */
import { availableParallelism } from 'node:os';
import { useBackend } from '../src/engine/backend.js';
import { OnnxTrainer } from '../src/onnx/onnx-trainer.js';
import { Trainer } from '../src/training/trainer.js';
import { benchConfig } from './train-step.js';

async function main(): Promise<void> {
  const steps = Number(process.argv[2] ?? 50);
  const threads = Number(process.argv[3] ?? availableParallelism());
  await useBackend('wasm');
  const config = benchConfig('default');
  const tfjs = new Trainer(config);
  const onnx = await OnnxTrainer.create(config, {}, { threads });
  const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
  let maxLoss = 0;
  let maxNorm = 0;
  const losses: { tfjs: number; onnx: number }[] = [];
  for (let i = 0; i < steps; i++) {
    const a = tfjs.trainStep();
    const b = await onnx.trainStep();
    maxLoss = Math.max(maxLoss, rel(b.loss, a.loss));
    maxNorm = Math.max(maxNorm, rel(b.gradNorm, a.gradNorm));
    losses.push({ tfjs: a.loss, onnx: b.loss });
    if (i % 10 === 9 || i === 0) console.error(`step ${String(i + 1).padStart(3)}: loss tfjs ${a.loss.toFixed(6)} onnx ${b.loss.toFixed(6)} (rel ${rel(b.loss, a.loss).toExponential(1)}); |g| ${a.gradNorm.toFixed(4)} / ${b.gradNorm.toFixed(4)}`);
  }
  const e1 = tfjs.evaluate();
  const e2 = await onnx.evaluate();
  console.error(`held-out after ${steps}: loss tfjs ${e1.loss.toFixed(6)} onnx ${e2.loss.toFixed(6)}; Sink_1 ${e1.sinkRate.toFixed(4)} / ${e2.sinkRate.toFixed(4)}`);
  console.error(`max relative difference over ${steps} steps: loss ${maxLoss.toExponential(2)}, gradient norm ${maxNorm.toExponential(2)} (goal: loss <= 1e-3)`);
  console.log(JSON.stringify({ steps, maxRelativeLossDifference: maxLoss, maxRelativeGradNormDifference: maxNorm, heldOut: { tfjs: e1.loss, onnx: e2.loss }, losses }));
  tfjs.dispose();
  await onnx.dispose();
}

main().catch((err: unknown) => {
  process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
