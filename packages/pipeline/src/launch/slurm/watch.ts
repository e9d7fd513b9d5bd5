import { logTail } from './logs.js';
import { cancelJobs, queryJob } from './queue.js';
import type { SubmittedJob } from './sbatch.js';
import { DEPENDENCY_NEVER_SATISFIED, isFinished, type TaskStatus } from './state.js';

export interface WatchSummary {
  queued: number;
  running: number;
  done: number;
  failed: number;
  total: number;
}

export interface WatchOptions {
  /** The longest wait between polls (default 500). Polling starts at `firstPollMs` and backs off to it. */
  pollMs?: number;
  /** The first wait, used again after every change (default min(250, pollMs)): short jobs are noticed quickly. */
  firstPollMs?: number;
  onProgress?: (summary: WatchSummary, tasks: TaskStatus[]) => void;
  signal?: AbortSignal; // abort -> scancel every watched job, wait until they leave the queue (bounded ~10 s), then reject with an Error whose name is 'AbortError'
}

export interface WatchResult {
  tasks: TaskStatus[];
  failed: (TaskStatus & { logTail: string })[];
}

/** Consecutive failed polls tolerated before the watch gives up: a busy controller times clients out now and then. */
const MAX_POLL_ERRORS = 3;
const ABORT_DRAIN_MS = 10_000;

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

export function summarize(tasks: TaskStatus[]): WatchSummary {
  const s: WatchSummary = { queued: 0, running: 0, done: 0, failed: 0, total: tasks.length };
  for (const t of tasks) s[t.state]++;
  return s;
}

async function queryAll(jobs: SubmittedJob[]): Promise<TaskStatus[]> {
  return (await Promise.all(jobs.map((j) => queryJob(j)))).flat();
}

function abortError(jobs: SubmittedJob[], cause?: unknown): Error {
  const err = new Error(`Slurm watch aborted; cancelled job(s) ${jobs.map((j) => j.jobId).join(', ')}`, cause === undefined ? undefined : { cause });
  err.name = 'AbortError';
  return err;
}

/** scancel everything watched, then wait (bounded) until none of it is queued or running. */
async function cancelAndDrain(jobs: SubmittedJob[], pollMs: number): Promise<void> {
  await cancelJobs(jobs.map((j) => j.jobId));
  const deadline = Date.now() + ABORT_DRAIN_MS;
  while (Date.now() < deadline) {
    const tasks = await queryAll(jobs);
    if (tasks.every(isFinished)) return;
    await sleep(Math.min(pollMs, 200));
  }
}

/** Poll until every task of every job is done or failed (not sbatch --wait: it notices up to 10 s late).
 * A job whose afterok dependency failed pends forever with reason DependencyNeverSatisfied: it is reported
 * failed (slurmState 'DependencyNeverSatisfied') and scancelled, so the watch ends. */
export async function watchJobs(jobs: SubmittedJob[], opts: WatchOptions = {}): Promise<WatchResult> {
  const pollMs = opts.pollMs ?? 500;
  const firstPollMs = Math.min(opts.firstPollMs ?? 250, pollMs);
  // back off by 1.5x per quiet poll up to pollMs, so a long job costs the controller few queries
  let waitMs = firstPollMs;
  const { signal } = opts;
  // tasks we cancelled for a dead dependency keep that label after Slurm relabels them CANCELLED
  const neverSatisfied = new Set<string>();
  let lastKey = '';
  let pollErrors = 0;

  for (;;) {
    if (signal?.aborted) {
      try {
        await cancelAndDrain(jobs, pollMs);
      } catch (e) {
        throw abortError(jobs, e);
      }
      throw abortError(jobs);
    }

    let tasks: TaskStatus[];
    try {
      tasks = await queryAll(jobs);
      pollErrors = 0;
    } catch (e) {
      if (++pollErrors >= MAX_POLL_ERRORS) throw e;
      await sleep(pollMs, signal);
      continue;
    }

    const toCancel: string[] = [];
    tasks = tasks.map((t) => {
      if (t.slurmState === DEPENDENCY_NEVER_SATISFIED) {
        if (!neverSatisfied.has(t.jobId)) toCancel.push(t.jobId);
        neverSatisfied.add(t.jobId);
      }
      if (neverSatisfied.has(t.jobId) && t.slurmState !== DEPENDENCY_NEVER_SATISFIED) {
        return { ...t, state: 'failed' as const, slurmState: DEPENDENCY_NEVER_SATISFIED, exitCode: undefined };
      }
      return t;
    });
    if (toCancel.length > 0) await cancelJobs(toCancel);

    const summary = summarize(tasks);
    const key = `${summary.queued},${summary.running},${summary.done},${summary.failed},${summary.total}`;
    if (key !== lastKey) {
      lastKey = key;
      waitMs = firstPollMs;
      opts.onProgress?.(summary, tasks);
    } else {
      waitMs = Math.min(pollMs, Math.round(waitMs * 1.5));
    }

    if (tasks.every(isFinished)) {
      const failed = tasks.filter((t) => t.state === 'failed').map((t) => ({ ...t, logTail: t.logFile ? logTail(t.logFile) : '' }));
      return { tasks, failed };
    }
    await sleep(waitMs, signal);
  }
}
