import { resolveLauncher } from './launch/launcher.js';
import { runPipelineOnSlurm, runStepOnSlurm, type SlurmLaunchOptions } from './launch/slurm-launch.js';
import { contextPlans } from './plan/model-plan.js';
import { openContext, type ContextOptions, type PipelineContext } from './run/context.js';
import { writeReceipt, type StepReceipt } from './run/receipt.js';
import { STEPS, type StepName } from './run/steps.js';
import { ablateStep } from './steps/ablate.js';
import { entropyStep } from './steps/entropy.js';
import { extractStep } from './steps/extract.js';
import { lensStep } from './steps/lens.js';
import { metricsStep } from './steps/metrics.js';
import { reportStep } from './steps/report/report.js';

/**
 * The orchestrator, on top of the package: runs the steps (steps/) in the order of the step table,
 * here or through a launcher (launch/). Every step of one run reads the same model plans (plan/).
 */

const STEP_RUNNERS: Record<StepName, (ctx: PipelineContext) => Promise<StepReceipt['artifacts']>> = {
  extract: extractStep,
  metrics: metricsStep,
  entropy: entropyStep,
  lens: lensStep,
  ablate: ablateStep,
  report: reportStep,
};

/** Run one step (what an Nx target does) and write its receipt. */
export async function runStep(ctx: PipelineContext, step: StepName): Promise<StepReceipt> {
  const started = Date.now();
  const artifacts = await STEP_RUNNERS[step](ctx);
  const receipt: StepReceipt = { pipeline: ctx.spec.name, step, ...(ctx.modelName !== undefined && step !== 'report' ? { model: ctx.modelName } : {}), artifacts, seconds: (Date.now() - started) / 1000 };
  // a shard task's receipt would name only its shard: the launcher writes the step's receipt instead
  if (!ctx.shards) writeReceipt(ctx.runsRoot, receipt);
  return receipt;
}

/**
 * Check everything that can fail before any work: every checkpoint opens, every dataset builds with
 * sequences of T tokens, every hook and the pattern example exist. Builds the run's model plans.
 */
export async function preflight(ctx: PipelineContext): Promise<void> {
  for (const plan of await contextPlans(ctx)) {
    if (ctx.spec.patternExample.sequence >= plan.sequences.length) {
      throw new Error(`${ctx.specFile}: field 'patternExample.sequence': ${ctx.spec.patternExample.sequence} is outside the dataset ${plan.datasetLabel}'s ${plan.sequences.length} sequences`);
    }
  }
}

/** Run every step up to `last`, in order (each is a cache hit when its inputs are unchanged). */
export async function runPipeline(specFile: string, last: StepName = 'report', options: ContextOptions = {}): Promise<StepReceipt[]> {
  return runSteps(openContext(specFile, options), last);
}

async function runSteps(ctx: PipelineContext, last: StepName): Promise<StepReceipt[]> {
  await preflight(ctx);
  const receipts: StepReceipt[] = [];
  for (const step of STEPS.slice(0, STEPS.indexOf(last) + 1)) {
    const r = await runStep(ctx, step);
    ctx.log(`${step}: done in ${r.seconds.toFixed(1)} s${r.artifacts.length && r.artifacts.every((a) => a.cacheHit) ? ' (cache hit)' : ''}`);
    receipts.push(r);
  }
  return receipts;
}

export interface LaunchOptions extends ContextOptions, SlurmLaunchOptions {
  /** local or slurm; default $SINKSCOPE_LAUNCHER, else the spec's `launcher`. */
  readonly launcher?: string;
}

/**
 * One step where the launcher says: here, or on Slurm (a job array of the missing shards, or one job
 * per model). A shard task (ctx.shards set) always runs here: it is what a Slurm job runs.
 */
export async function launchStep(ctx: PipelineContext, step: StepName, options: SlurmLaunchOptions & { launcher?: string } = {}): Promise<void> {
  const launcher = resolveLauncher(ctx.spec, options.launcher);
  if (launcher === 'slurm' && !ctx.shards) {
    ctx.log(`${step}: launching on Slurm`);
    await runStepOnSlurm(ctx, step, (s) => runStep(ctx, s), options);
    return;
  }
  const r = await runStep(ctx, step);
  ctx.log(`${step}: done in ${r.seconds.toFixed(1)} s`);
}

/** Every step up to `last`: in order here, or all queued on Slurm at once with afterok dependencies. */
export async function launchPipeline(specFile: string, last: StepName = 'report', options: LaunchOptions = {}): Promise<void> {
  const ctx = openContext(specFile, options);
  if (resolveLauncher(ctx.spec, options.launcher) === 'slurm') {
    await preflight(ctx);
    await runPipelineOnSlurm(ctx, last, (s) => runStep(ctx, s), options);
    return;
  }
  await runSteps(ctx, last);
}
