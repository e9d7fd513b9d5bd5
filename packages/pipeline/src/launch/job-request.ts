import { isAbsolute, join, resolve } from 'node:path';
import type { PipelineContext } from '../run/context.js';
import { REPO_ROOT } from '../run/paths.js';
import type { StepName } from '../run/steps.js';
import type { SlurmSettings } from '../schema/pipeline-schema.js';
import { modelPathSegment } from '../schema/model-revisions.mjs';
import type { ArrayJobRequest, SlurmResources } from './slurm/index.js';

/** The sinkscope command line a job runs (the same `step` command the Nx executor runs locally). */
export const CLI_BIN = join(REPO_ROOT, 'packages/cli/bin/sinkscope.mjs');

/** The pipeline's resources with the step's own merged over them. */
export function stepResources(settings: SlurmSettings, step: StepName): SlurmResources {
  const { steps, logDir: _logDir, pollSeconds: _poll, setup: _setup, node: _node, ...pipeline } = settings;
  const merged: Record<string, unknown> = { ...pipeline, ...steps[step] };
  for (const k of Object.keys(merged)) if (merged[k] === undefined) delete merged[k];
  return merged as SlurmResources;
}

/** Job logs: the spec's `slurm.logDir`, else .sinkscope/slurm/<pipeline> (compute nodes must see it). */
export function slurmLogDir(ctx: PipelineContext): string {
  const dir = ctx.spec.slurm.logDir;
  if (dir === undefined) return join(REPO_ROOT, '.sinkscope', 'slurm', ctx.spec.name);
  return isAbsolute(dir) ? dir : resolve(REPO_ROOT, dir);
}

/**
 * One step of one model (or the report) as a Slurm job: an array with one task per missing shard for
 * extract (the task reads its shard from SLURM_ARRAY_TASK_ID), a plain job otherwise. The job runs the
 * step with the local launcher, writing to the same store, runs and reports folders as this process.
 */
export function stepJobRequest(ctx: PipelineContext, step: StepName, input: { model?: string; shards?: readonly number[]; afterOk?: readonly string[]; env?: Readonly<Record<string, string>> }): ArrayJobRequest {
  const command = [ctx.spec.slurm.node ?? process.execPath, CLI_BIN, 'step', step, '--spec', ctx.specFile, ...(input.model !== undefined ? ['--model', input.model] : []), '--launcher', 'local'];
  if (step === 'extract') command.push('--shard-from-array');
  return {
    name: `sinkscope-${ctx.spec.name}-${step}${input.model !== undefined ? `-${modelPathSegment(input.model)}` : ''}`,
    command,
    ...(step === 'extract' ? { indices: [...(input.shards ?? [])] } : {}),
    resources: stepResources(ctx.spec.slurm, step),
    ...(input.afterOk?.length ? { afterOk: [...input.afterOk] } : {}),
    logDir: slurmLogDir(ctx),
    ...(ctx.spec.slurm.setup.length ? { setup: [...ctx.spec.slurm.setup] } : {}),
    cwd: REPO_ROOT,
    env: { SINKSCOPE_RUNS: ctx.runsRoot, SINKSCOPE_REPORTS: ctx.reportsRoot, ...input.env },
  };
}
