/**
 * Training-step and evaluation time of the default recipe (pipelines/train-default/train.json) on tfjs-wasm.
 * Prints figures; run with `npx tsx packages/train/bench/step-time.ts [steps]`.
 */
import { readFileSync } from 'node:fs';
import { useBackend } from '../src/engine/backend.js';
import { normaliseTrainConfig, type TrainConfigInput } from '../src/training/config.js';
import { Trainer } from '../src/training/trainer.js';

async function main(): Promise<void> {
  const steps = Number(process.argv[2] ?? 20);
  await useBackend('wasm');
  const input = JSON.parse(readFileSync(new URL('../../../pipelines/train-default/train.json', import.meta.url), 'utf8')) as TrainConfigInput;
  const trainer = new Trainer(normaliseTrainConfig(input));
  trainer.trainStep(); // warm-up: kernel set-up, caches
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    trainer.trainStep();
    times.push(performance.now() - t0);
  }
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  const t0 = performance.now();
  trainer.evaluate();
  const evalMs = performance.now() - t0;
  const { steps: total, evalEvery } = trainer.config;
  const projected = (total * median + Math.ceil(total / evalEvery) * evalMs) / 1000;
  console.log(`train step: median ${median.toFixed(0)} ms, min ${sorted[0].toFixed(0)} ms over ${steps} steps (${Math.round((trainer.tokensPerStep * 1000) / median)} tokens/s)`);
  console.log(`evaluation (100 x 64 tokens, all metrics): ${evalMs.toFixed(0)} ms`);
  console.log(`projected ${total}-step run with ${Math.ceil(total / evalEvery)} evaluations: ${(projected / 60).toFixed(1)} min at the median step time`);
  trainer.dispose();
}

main().catch((err: unknown) => {
  process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
