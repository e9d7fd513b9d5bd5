import { parseArgs } from 'node:util';
import { readSweepSpec, runSweep } from './sweep/sweep.js';
import { TRAIN_ENGINES, type TrainEngine } from './training/config.js';

const USAGE = `usage: tsx packages/train/src/sweep-cli.ts --sweep <sweep.json> --out <folder> [--only name,name] [--seed N] [--engine onnx|tfjs]

Trains each variant of the sweep (base config + overrides) with @sinkscope/train, one after another,
and tabulates the final held-out Sink_1, loss and slot weight in <folder>/results.md (and
results.jsonl). Variants already in results.jsonl are skipped, so an interrupted sweep resumes.
--seed replaces the base training seed (init and data order; the task world stays); --engine the
base's engine (pipelines/sink-emergence/sweep.json: onnx).`;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { sweep: { type: 'string' }, out: { type: 'string' }, only: { type: 'string' }, seed: { type: 'string' }, engine: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } } });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (!values.sweep || !values.out) throw new Error(`--sweep and --out are required\n${USAGE}`);
  let spec = readSweepSpec(values.sweep);
  if (values.seed !== undefined) {
    const seed = Number(values.seed);
    if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed ${values.seed} is not a non-negative integer`);
    spec = { ...spec, base: { ...spec.base, seed } };
  }
  if (values.engine !== undefined) {
    if (!TRAIN_ENGINES.includes(values.engine as TrainEngine)) throw new Error(`--engine ${values.engine} is not one of ${TRAIN_ENGINES.join(', ')}`);
    spec = { ...spec, base: { ...spec.base, engine: values.engine as TrainEngine } };
  }
  const only = values.only?.split(',');
  if (only) {
    const unknown = only.filter((n) => !spec.variants.some((v) => v.name === n));
    if (unknown.length) throw new Error(`--only: unknown variant(s) ${unknown.join(', ')}; valid: ${spec.variants.map((v) => v.name).join(', ')}`);
  }
  const variants = only ? spec.variants.filter((v) => only.includes(v.name)) : spec.variants;
  await runSweep({ ...spec, variants }, values.out, (line) => process.stderr.write(line + '\n'));
}

main().catch((err: unknown) => {
  process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
