/**
 * Losses and gradient norms of the first `steps` updates of a run, as one JSON line: the before/after
 * check of a change to the training forward pass (the same run must give the same losses within float noise).
 * Usage: npx tsx packages/train/bench/loss-trace.ts <tfjs|onnx> <steps> [config.json | default] [model overrides as JSON]
 */
import { readFileSync } from 'node:fs';
import { useBackend } from '../src/engine/backend.js';
import { createTrainingEngine } from '../src/training/engine.js';
import { normaliseTrainConfig, type TrainConfigInput } from '../src/training/config.js';

async function main(): Promise<void> {
  const [engine, stepsArg, configArg = 'default', overrides = '{}'] = process.argv.slice(2);
  const path = configArg === 'default' ? new URL('../../../pipelines/train-default/train.json', import.meta.url) : configArg;
  const input = JSON.parse(readFileSync(path, 'utf8')) as TrainConfigInput;
  const extra = JSON.parse(overrides) as TrainConfigInput;
  const merged: TrainConfigInput = { ...input, ...extra, model: { ...input.model, ...extra.model }, data: { ...input.data, ...extra.data } as TrainConfigInput['data'] };
  const config = normaliseTrainConfig({ ...merged, engine: engine as 'tfjs' | 'onnx' });
  if (engine === 'tfjs') await useBackend('wasm');
  const trainer = await createTrainingEngine(config);
  const losses: number[] = [];
  const gradNorms: number[] = [];
  for (let i = 0; i < Number(stepsArg); i++) {
    const r = await trainer.trainStep();
    losses.push(r.loss);
    gradNorms.push(r.gradNorm);
  }
  const evalRecord = await (async () => trainer.evaluate())().catch((err: unknown) => ({ error: String(err) }));
  await trainer.dispose();
  console.log(JSON.stringify({ engine, steps: Number(stepsArg), losses, gradNorms, evaluation: evalRecord }));
}

main().catch((err: unknown) => {
  process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
