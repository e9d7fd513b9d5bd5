export type TaskState = 'queued' | 'running' | 'done' | 'failed';

export interface TaskStatus {
  jobId: string; // "123_4" for array tasks, "123" for plain jobs
  index: number | undefined;
  state: TaskState;
  slurmState: string; // PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, OUT_OF_MEMORY, NODE_FAIL, ...
  exitCode?: string; // "0:0", "1:0", "0:9" (code:signal) once finished
  logFile?: string; // the task's log path
}

/** Slurm's pseudo-state for a job whose afterok dependency can never be met: it would pend forever. */
export const DEPENDENCY_NEVER_SATISFIED = 'DependencyNeverSatisfied';

const QUEUED = new Set(['PENDING', 'CONFIGURING', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED', 'RESV_DEL_HOLD']);
const FAILED = new Set(['FAILED', 'CANCELLED', 'TIMEOUT', 'OUT_OF_MEMORY', 'NODE_FAIL', 'BOOT_FAIL', 'DEADLINE', 'PREEMPTED', 'REVOKED', 'SPECIAL_EXIT']);

/** "CANCELLED by 0" / "CANCELLED+" -> "CANCELLED". */
export function baseState(raw: string): string {
  return raw.trim().toUpperCase().match(/^[A-Z_]+/)?.[0] ?? 'UNKNOWN';
}

/** Slurm state (+ pending reason) -> our four states. Terminal states are listed; anything unlisted is
 * still in flight (COMPLETING, SUSPENDED, a state newer than this code), so a watch keeps waiting. */
export function classify(rawState: string, reason?: string): { state: TaskState; slurmState: string } {
  const s = baseState(rawState);
  if (reason === DEPENDENCY_NEVER_SATISFIED && (s === 'PENDING' || s === 'CANCELLED')) return { state: 'failed', slurmState: DEPENDENCY_NEVER_SATISFIED };
  if (s === 'COMPLETED') return { state: 'done', slurmState: s };
  if (FAILED.has(s)) return { state: 'failed', slurmState: s };
  if (QUEUED.has(s)) return { state: 'queued', slurmState: s };
  return { state: 'running', slurmState: s };
}

export function isFinished(t: Pick<TaskStatus, 'state'>): boolean {
  return t.state === 'done' || t.state === 'failed';
}
