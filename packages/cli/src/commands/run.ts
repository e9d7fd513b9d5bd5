import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT, openContext, parseStep, runPipeline, runStep } from '@sinkscope/pipeline';
import { CliError } from '../cli-error.js';

export const runUsage = 'sinkscope run <pipeline name | spec file> [--until extract|metrics|entropy|ablate|report]';
export const stepUsage = 'sinkscope step <extract|metrics|entropy|ablate|report> --spec <pipeline spec file>';

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
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: { until: { type: 'string', default: 'report' } } });
  const started = Date.now();
  await runPipeline(resolveSpecFile(positionals[0]), parseStep(values.until as string));
  process.stderr.write(`pipeline finished in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return 0;
}

/** One step (the Nx executor calls this). */
export async function step(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: { spec: { type: 'string' } } });
  const name = parseStep(positionals[0] ?? '');
  if (!values.spec) throw new CliError('--spec <pipeline spec file> is required');
  const ctx = openContext(resolveSpecFile(values.spec));
  const r = await runStep(ctx, name);
  ctx.log(`${name}: done in ${r.seconds.toFixed(1)} s`);
  return 0;
}
