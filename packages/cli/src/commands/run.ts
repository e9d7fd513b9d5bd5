import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT, STEPS, launchPipeline, launchStep, openContext, parseStep } from '@sinkscope/pipeline';
import { CliError } from '../cli-error.js';

// the step names come from the pipeline's one step table, so the usage cannot fall behind it
export const runUsage = `sinkscope run <pipeline name | spec file> [--until ${STEPS.join('|')}] [--launcher local|slurm]`;
export const stepUsage = `sinkscope step <${STEPS.join('|')}> --spec <pipeline spec file> [--model <name>] [--shard <i,j,...> | --shard-from-array] [--launcher local|slurm]`;

/**
 * Run `work` with an AbortSignal fired by Ctrl-C or SIGTERM (Nx stopping a task): the Slurm launcher
 * then cancels its jobs before exiting. A second Ctrl-C exits at once. The handlers are removed when
 * the work ends, so in-process callers (tests, embedding) do not pile up listeners.
 */
async function withInterruptSignal<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write(`\n${name}: cancelling submitted jobs (again to exit now)\n`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await work(controller.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** `--shard 0,2` or, in a Slurm array task, `--shard-from-array` (SLURM_ARRAY_TASK_ID). */
function parseShards(list: string | undefined, fromArray: boolean | undefined): number[] | undefined {
  if (list !== undefined && fromArray) throw new CliError('give --shard or --shard-from-array, not both');
  let text = list;
  if (fromArray) {
    text = process.env.SLURM_ARRAY_TASK_ID;
    if (text === undefined) throw new CliError('--shard-from-array: SLURM_ARRAY_TASK_ID is not set (this flag is for Slurm array tasks)');
  }
  if (text === undefined) return undefined;
  const shards = text.split(',').map((t) => Number(t.trim()));
  if (shards.some((n) => !Number.isInteger(n) || n < 0)) throw new CliError(`--shard: '${text}' is not a list of shard indices (e.g. 0,2)`);
  return shards;
}

/** `sink-valley` -> pipelines/sink-valley/pipeline.yaml; a path is taken as it is. */
export function resolveSpecFile(nameOrPath: string | undefined): string {
  if (!nameOrPath) throw new CliError('name a pipeline (e.g. sink-valley) or a spec file');
  if (existsSync(nameOrPath)) return nameOrPath;
  for (const ext of ['yaml', 'yml', 'json']) {
    const file = join(REPO_ROOT, 'pipelines', nameOrPath, `pipeline.${ext}`);
    if (existsSync(file)) return file;
  }
  throw new CliError(`no pipeline '${nameOrPath}' (expected pipelines/${nameOrPath}/pipeline.yaml or a spec file path)`);
}

/** Every step of a pipeline in order, outside Nx (what `npm start` runs). */
export async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: { until: { type: 'string', default: 'report' }, launcher: { type: 'string' } } });
  const started = Date.now();
  const specFile = resolveSpecFile(positionals[0]);
  const until = parseStep(values.until as string);
  await withInterruptSignal((signal) => launchPipeline(specFile, until, { ...(values.launcher !== undefined ? { launcher: values.launcher } : {}), signal }));
  process.stderr.write(`pipeline finished in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return 0;
}

/** One step (the Nx executor calls this). */
export async function step(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { spec: { type: 'string' }, model: { type: 'string' }, shard: { type: 'string' }, 'shard-from-array': { type: 'boolean' }, launcher: { type: 'string' } },
  });
  const name = parseStep(positionals[0] ?? '');
  if (!values.spec) throw new CliError('--spec <pipeline spec file> is required');
  const shards = parseShards(values.shard, values['shard-from-array']);
  if (shards && name !== 'extract') throw new CliError(`--shard applies to the extract step only (got ${name})`);
  if (shards && values.model === undefined) throw new CliError('--shard needs --model (shards are per model)');
  const ctx = openContext(resolveSpecFile(values.spec), { ...(values.model !== undefined ? { model: values.model } : {}), ...(shards ? { shards } : {}) });
  await withInterruptSignal((signal) => launchStep(ctx, name, { ...(values.launcher !== undefined ? { launcher: values.launcher } : {}), signal }));
  return 0;
}
