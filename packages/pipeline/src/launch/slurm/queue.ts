import { runSlurm, SlurmCommandError } from './exec.js';
import { jobCompRecords } from './jobcomp.js';
import { parseScontrol, parseSqueue, SQUEUE_FORMAT, type RawTaskRecord } from './parse.js';
import { taskLogFile, type SubmittedJob } from './sbatch.js';
import { classify, DEPENDENCY_NEVER_SATISFIED, isFinished, type TaskStatus } from './state.js';

/** squeue/scontrol answer "Invalid job id" once the controller has purged a job (MinJobAge): not an error here. */
function forgotten(e: unknown): boolean {
  return e instanceof SlurmCommandError && /Invalid job id/i.test(e.stderr);
}

async function knownOnly(cmd: string, args: string[]): Promise<string> {
  try {
    return await runSlurm(cmd, args);
  } catch (e) {
    if (forgotten(e)) return '';
    throw e;
  }
}

function keyOf(index: number | undefined): string {
  return index === undefined ? '' : String(index);
}

/** Spread records over the job's tasks; `replace` decides whether a record overrides what is already there. */
function assign(
  job: SubmittedJob,
  found: Map<string, TaskStatus>,
  recs: RawTaskRecord[],
  replace: (old: TaskStatus | undefined, next: TaskStatus) => boolean,
): void {
  for (const r of recs) {
    const isArray = job.indices !== undefined;
    if (isArray ? r.arrayJobId !== job.jobId : r.arrayJobId !== undefined || r.jobId !== job.jobId) continue;
    const { state, slurmState } = classify(r.state, r.reason);
    for (const index of isArray ? (r.indices ?? []) : [undefined]) {
      const status: TaskStatus = {
        jobId: index === undefined ? job.jobId : `${job.jobId}_${index}`,
        index,
        state,
        slurmState,
        logFile: taskLogFile(job.logPattern, job.jobId, index),
      };
      // a task that never ran has no exit code worth reporting
      if (isFinished(status) && r.exitCode && slurmState !== DEPENDENCY_NEVER_SATISFIED) status.exitCode = r.exitCode;
      const key = keyOf(index);
      if (replace(found.get(key), status)) found.set(key, status);
    }
  }
}

/** State of every task of a submitted job: squeue for queued/running tasks, `scontrol -o show job` for
 * finished ones (exit codes), then the jobcomp file for tasks the controller already forgot. A task found
 * nowhere is reported failed with slurmState UNKNOWN, so a watch over it cannot hang. */
export async function queryJob(job: SubmittedJob): Promise<TaskStatus[]> {
  const expected = job.indices ?? [undefined];
  const found = new Map<string, TaskStatus>();
  const complete = () => expected.every((i) => found.has(keyOf(i)));

  // -r: one line per array task, even for pending tasks squeue would otherwise print as "123_[1-3]"
  const sq = parseSqueue(await knownOnly('squeue', ['-h', '-r', '-j', job.jobId, '-o', SQUEUE_FORMAT]));
  // squeue has no exit codes: only its in-flight answers are final here
  assign(job, found, sq, (_old, next) => !isFinished(next) || next.slurmState === DEPENDENCY_NEVER_SATISFIED);

  if (!complete()) {
    const sc = parseScontrol(await knownOnly('scontrol', ['-o', 'show', 'job', job.jobId]));
    // scontrol ran after squeue, so where it says finished it is newer
    assign(job, found, sc, (old, next) => old === undefined || isFinished(next));
  }
  if (!complete()) {
    assign(job, found, await jobCompRecords(job.jobId, job.name), (old) => old === undefined);
  }
  return expected.map(
    (index) =>
      found.get(keyOf(index)) ?? {
        jobId: index === undefined ? job.jobId : `${job.jobId}_${index}`,
        index,
        state: 'failed',
        slurmState: 'UNKNOWN',
        logFile: taskLogFile(job.logPattern, job.jobId, index),
      },
  );
}

/** scancel the given jobs (array ids cancel every task); already-finished or forgotten jobs are fine. */
export async function cancelJobs(jobIds: string[]): Promise<void> {
  if (jobIds.length === 0) return;
  try {
    await runSlurm('scancel', jobIds);
  } catch (e) {
    if (e instanceof SlurmCommandError && /Invalid job id|already completing or completed/i.test(e.stderr)) return;
    throw e;
  }
}

/** True when sbatch/squeue work against a reachable controller (`squeue -h` exits 0 within a few s). */
export async function slurmAvailable(): Promise<boolean> {
  try {
    // a one-field format keeps the answer small on a busy cluster
    await runSlurm('squeue', ['-h', '-o', '%i'], { timeoutMs: 5_000 });
    return true;
  } catch {
    return false;
  }
}
