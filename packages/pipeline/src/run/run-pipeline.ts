import { ablateStep } from '../steps/ablate.js';
import { entropyStep } from '../steps/entropy.js';
import { activationsRef, extractStep } from '../steps/extract.js';
import { metricsStep } from '../steps/metrics.js';
import { reportStep } from '../steps/report.js';
import { openContext, type ContextOptions, type PipelineContext } from './context.js';
import { writeReceipt, type StepReceipt } from './receipt.js';
import { STEPS, type StepName } from './steps.js';

const STEP_RUNNERS: Record<StepName, (ctx: PipelineContext) => Promise<StepReceipt['artifacts']>> = {
  extract: extractStep,
  metrics: metricsStep,
  entropy: entropyStep,
  ablate: ablateStep,
  report: reportStep,
};

/** Run one step (what an Nx target does) and write its receipt. */
export async function runStep(ctx: PipelineContext, step: StepName): Promise<StepReceipt> {
  const started = Date.now();
  const artifacts = await STEP_RUNNERS[step](ctx);
  const receipt: StepReceipt = { pipeline: ctx.spec.name, step, artifacts, seconds: (Date.now() - started) / 1000 };
  writeReceipt(ctx.runsRoot, receipt);
  return receipt;
}

/**
 * Check everything that can fail before any work: every checkpoint opens, every dataset builds with
 * sequences of T tokens, every hook and the pattern example exist.
 */
export async function preflight(ctx: PipelineContext): Promise<void> {
  for (let m = 0; m < ctx.spec.models.length; m++) {
    const ref = await activationsRef(ctx, m);
    if (ctx.spec.patternExample.sequence >= ref.sequences.length) {
      throw new Error(`${ctx.specFile}: field 'patternExample.sequence': ${ctx.spec.patternExample.sequence} is outside the dataset's ${ref.sequences.length} sequences`);
    }
  }
}

/** Run every step up to `last`, in order (each is a cache hit when its inputs are unchanged). */
export async function runPipeline(specFile: string, last: StepName = 'report', options: ContextOptions = {}): Promise<StepReceipt[]> {
  const ctx = openContext(specFile, options);
  await preflight(ctx);
  const receipts: StepReceipt[] = [];
  for (const step of STEPS.slice(0, STEPS.indexOf(last) + 1)) {
    const r = await runStep(ctx, step);
    ctx.log(`${step}: done in ${r.seconds.toFixed(1)} s${r.artifacts.length && r.artifacts.every((a) => a.cacheHit) ? ' (cache hit)' : ''}`);
    receipts.push(r);
  }
  return receipts;
}
