// Slurm client: submit array jobs with sbatch, follow them with squeue/scontrol (+ jobcomp file), cancel with scancel.
export { runSlurm, SlurmCommandError, type RunOptions } from './exec.js';
export { resourceArgs, type SlurmResources } from './resources.js';
export { execLine, shellQuote } from './shell.js';
export { logPatternFor, normalizeIndices, sbatchArgs, submitJob, taskLogFile, type ArrayJobRequest, type SubmittedJob } from './sbatch.js';
export { classify, DEPENDENCY_NEVER_SATISFIED, isFinished, type TaskState, type TaskStatus } from './state.js';
export { expandTaskSpec, parseJobComp, parseScontrol, parseSqueue, type RawTaskRecord } from './parse.js';
export { jobCompFile, jobCompRecords } from './jobcomp.js';
export { cancelJobs, queryJob, slurmAvailable } from './queue.js';
export { logTail } from './logs.js';
export { summarize, watchJobs, type WatchOptions, type WatchResult, type WatchSummary } from './watch.js';
