import { shardReceiptEntry } from '../plan/model-plan.js';
import type { PipelineContext } from '../run/context.js';
import { writeReceipt, type StepReceipt } from '../run/receipt.js';
import { STEPS, stepUpstream, type StepName } from '../run/steps.js';
import { stepJobRequest } from './job-request.js';
import { modelWork, type ModelWork } from './missing-work.js';
import { DEPENDENCY_NEVER_SATISFIED, cancelJobs, logTail, runSlurm, submitJob, taskLogFile, watchJobs, type ArrayJobRequest, type SubmittedJob, type TaskStatus } from './slurm/index.js';

export interface SlurmLaunchOptions {
  /** Abort (Ctrl-C) cancels every submitted job. */
  readonly signal?: AbortSignal;
  /** Extra environment for the jobs (besides this process's, which sbatch exports). */
  readonly env?: Readonly<Record<string, string>>;
  /** Called with each submitted job (tests and progress). */
  readonly onSubmit?: (job: PlannedJob & { submitted: SubmittedJob }) => void;
}

/** A job to submit: a step of a model (or the report), with the earlier planned jobs it waits for. */
export interface PlannedJob {
  readonly step: StepName;
  readonly model?: string;
  readonly shards?: readonly number[];
  readonly after: readonly PlannedJob[];
  readonly label: string;
}

/** A failed run: every failed task with its job id, state, exit code and log tail. */
export class SlurmRunError extends Error {
  constructor(
    message: string,
    readonly failed: readonly (TaskStatus & { logTail: string; label: string })[],
  ) {
    super(message);
    this.name = 'SlurmRunError';
  }
}

function describeFailures(failed: SlurmRunError['failed'], total: number): string {
  // jobs that never ran because an upstream job failed come last: the cause is above them
  const sorted = [...failed].sort((a, b) => Number(a.slurmState === DEPENDENCY_NEVER_SATISFIED) - Number(b.slurmState === DEPENDENCY_NEVER_SATISFIED));
  const lines = [`slurm: ${failed.length} of ${total} tasks failed:`];
  for (const f of sorted) {
    if (f.slurmState === DEPENDENCY_NEVER_SATISFIED) {
      lines.push(`  ${f.label}: job ${f.jobId} did not run (a job it depends on failed)`);
      continue;
    }
    lines.push(`  ${f.label}: job ${f.jobId} ${f.slurmState}, exit code ${f.exitCode ?? '?'}${f.logFile ? `, log ${f.logFile}` : ''}`);
    if (f.logTail.trim()) lines.push(...f.logTail.trimEnd().split('\n').map((l) => `    | ${l}`));
  }
  lines.push('rerun the same command: only what is missing from the store is submitted again');
  return lines.join('\n');
}

/**
 * Submit the planned jobs in order (afterok on the jobs each waits for), then poll until every task
 * is done or failed, printing progress. Throws SlurmRunError naming each failed task. Aborting cancels
 * everything submitted, also while submission is still under way.
 */
export async function submitAndWatch(ctx: PipelineContext, planned: readonly PlannedJob[], options: SlurmLaunchOptions = {}): Promise<SubmittedJob[]> {
  const submitted = new Map<PlannedJob, SubmittedJob>();
  const labels = new Map<string, PlannedJob>();
  try {
    for (const job of planned) {
      options.signal?.throwIfAborted();
      const afterOk = job.after.map((a) => submitted.get(a)?.jobId).filter((id): id is string => id !== undefined);
      const request: ArrayJobRequest = stepJobRequest(ctx, job.step, { ...(job.model !== undefined ? { model: job.model } : {}), ...(job.shards ? { shards: job.shards } : {}), afterOk, ...(options.env ? { env: options.env } : {}) });
      const s = await submitJob(request);
      submitted.set(job, s);
      labels.set(s.jobId, job);
      options.onSubmit?.({ ...job, submitted: s });
      const what = job.shards ? ` (${job.shards.length} array task${job.shards.length === 1 ? '' : 's'}: shard${job.shards.length === 1 ? '' : 's'} ${job.shards.join(',')})` : '';
      ctx.log(`slurm: submitted ${job.label} as job ${s.jobId}${what}${afterOk.length ? `, after ${afterOk.join(',')}` : ''}`);
    }
  } catch (err) {
    await cancelJobs([...submitted.values()].map((s) => s.jobId)).catch(() => undefined);
    throw err;
  }
  const jobs = [...submitted.values()];
  if (jobs.length === 0) return jobs;
  const lastLine = new Map<string, string>();
  const result = await watchJobs(jobs, {
    pollMs: ctx.spec.slurm.pollSeconds * 1000,
    ...(options.signal ? { signal: options.signal } : {}),
    onProgress: (summary, tasks) => {
      // one line per job whose counts changed: shards queued, running, done, failed
      for (const s of jobs) {
        const mine = tasks.filter((t) => t.jobId === s.jobId || t.jobId.startsWith(`${s.jobId}_`));
        const count = (state: TaskStatus['state']) => mine.filter((t) => t.state === state).length;
        const line = `${count('queued')} queued, ${count('running')} running, ${count('done')} done, ${count('failed')} failed`;
        if (lastLine.get(s.jobId) === line) continue;
        lastLine.set(s.jobId, line);
        ctx.log(`slurm: ${labels.get(s.jobId)!.label} (job ${s.jobId}): ${line}`);
      }
      if (summary.done + summary.failed === summary.total) ctx.log(`slurm: all ${summary.total} tasks finished (${summary.done} done, ${summary.failed} failed)`);
    },
  });
  if (result.failed.length) {
    const failed = result.failed.map((f) => {
      const parent = f.jobId.split('_')[0];
      const job = labels.get(parent);
      const label = job ? `${job.label}${job.step === 'extract' && f.index !== undefined ? ` shard ${f.index}` : ''}` : `job ${f.jobId}`;
      return { ...f, label };
    });
    throw new SlurmRunError(describeFailures(failed, result.tasks.length), failed);
  }
  return jobs;
}

/** The report job's output (the per-layer tables and where the report is) on this terminal, as a local run prints it. */
function printReportLog(ctx: PipelineContext, jobs: readonly SubmittedJob[]): void {
  const job = jobs[jobs.length - 1];
  if (!job) return;
  const file = taskLogFile(job.logPattern, job.jobId, undefined);
  ctx.print(`\n(report job ${job.jobId}, log ${file})\n${logTail(file, 400)}\n`);
}

/** Fail before any planning when no Slurm controller answers, saying why and what to do instead. */
export async function requireSlurm(): Promise<void> {
  try {
    await runSlurm('squeue', ['-h', '-o', '%i'], { timeoutMs: 15_000 });
  } catch (err) {
    throw new Error(`launcher slurm: ${(err as Error).message.split(' (command:')[0]} (set SLURM_CONF or run on a cluster login node, or use --launcher local)`);
  }
}

function label(step: StepName, model?: string): string {
  return model === undefined ? step : `${step} ${model}`;
}

/** The extract receipt from what the store holds now (a shard task writes no receipt of its own). */
function extractReceipt(ctx: PipelineContext, work: readonly ModelWork[], seconds: number): StepReceipt {
  const artifacts = work.flatMap((w) => w.plans.flatMap((plan) => plan.shards.map((s) => shardReceiptEntry(plan, s, !w.missingShards.includes(s.index)))));
  return { pipeline: ctx.spec.name, step: 'extract', ...(ctx.modelName !== undefined ? { model: ctx.modelName } : {}), artifacts, seconds };
}

/**
 * The receipts of steps that ran on the cluster. A cached step re-run here only reads (every artifact
 * is a hit); the report job wrote its own receipt and figures.
 */
async function writeReceipts(ctx: PipelineContext, steps: readonly StepName[], extractWork: readonly ModelWork[], started: number, runLocal: (step: StepName) => Promise<StepReceipt>): Promise<void> {
  for (const step of steps) {
    if (step === 'report') continue;
    if (step === 'extract') writeReceipt(ctx.runsRoot, extractReceipt(ctx, extractWork, (Date.now() - started) / 1000));
    else await runLocal(step);
  }
}

/**
 * One step (an Nx task) on Slurm: per model of the context, a job array of the missing shards
 * (extract) or one job (the other steps, when their artifacts are missing; the report always). Waits,
 * then writes the step's receipt.
 */
export async function runStepOnSlurm(ctx: PipelineContext, step: StepName, runLocal: (step: StepName) => Promise<StepReceipt>, options: SlurmLaunchOptions = {}): Promise<void> {
  await requireSlurm();
  const started = Date.now();
  if (step === 'report') {
    printReportLog(ctx, await submitAndWatch(ctx, [{ step, after: [], label: 'report' }], options));
    return;
  }
  if (step === 'ablate' && ctx.spec.ablations.length === 0) {
    await runLocal(step); // nothing to submit: this only writes the (empty) receipt
    return;
  }
  const work = await Promise.all(ctx.modelIndices.map((m) => modelWork(ctx, step, m)));
  const planned: PlannedJob[] = work
    .filter((w) => w.needed)
    .map((w) => ({ step, model: w.model, ...(step === 'extract' ? { shards: w.missingShards } : {}), after: [], label: label(step, w.model) }));
  if (planned.length === 0) ctx.log(`slurm: ${step}: every artifact is in the store, nothing to submit`);
  await submitAndWatch(ctx, planned, options);
  await writeReceipts(ctx, [step], work, started, runLocal);
}

/**
 * A whole pipeline on Slurm at once: per model, the extract array of missing shards, then metrics and
 * entropy jobs after it (afterok), ablate after those, and the report job after everything, all
 * queued together so the cluster, not this process, sequences them. Waits with progress, then writes
 * the receipts.
 */
export async function runPipelineOnSlurm(ctx: PipelineContext, last: StepName, runLocal: (step: StepName) => Promise<StepReceipt>, options: SlurmLaunchOptions = {}): Promise<void> {
  await requireSlurm();
  const started = Date.now();
  const steps = STEPS.slice(0, STEPS.indexOf(last) + 1);
  const planned: PlannedJob[] = [];
  const modelJobs: PlannedJob[] = [];
  let extractWork: ModelWork[] = [];
  for (const m of ctx.modelIndices) {
    const byStep = new Map<StepName, PlannedJob>();
    for (const step of steps.filter((s) => s !== 'report')) {
      const work = await modelWork(ctx, step, m);
      if (step === 'extract') extractWork = [...extractWork, work];
      if (!work.needed) continue;
      const job: PlannedJob = {
        step,
        model: work.model,
        ...(step === 'extract' ? { shards: work.missingShards } : {}),
        after: stepUpstream(step)
          .map((u) => byStep.get(u))
          .filter((j): j is PlannedJob => j !== undefined),
        label: label(step, work.model),
      };
      byStep.set(step, job);
      planned.push(job);
      modelJobs.push(job);
    }
  }
  // the report reads every model's artifacts of its upstream steps: it waits for every model job
  const report: PlannedJob = { step: 'report', after: modelJobs, label: 'report' };
  if (steps.includes('report')) planned.push(report);
  const submitted = await submitAndWatch(ctx, planned, options);
  await writeReceipts(ctx, steps, extractWork, started, runLocal);
  if (steps.includes('report')) printReportLog(ctx, submitted.slice(-1));
}
