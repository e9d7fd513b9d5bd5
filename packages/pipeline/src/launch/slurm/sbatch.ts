import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { runSlurm } from './exec.js';
import { resourceArgs, type SlurmResources } from './resources.js';
import { execLine } from './shell.js';

export interface ArrayJobRequest {
  name: string; // --job-name
  /** argv of the command each array task runs; SLURM_ARRAY_TASK_ID tells the task which index it is. */
  command: string[];
  /** Array indices (sparse allowed: [0, 3, 5] -> --array=0,3,5). Absent = a plain (non-array) job. */
  indices?: number[];
  resources: SlurmResources;
  /** --dependency=afterok:<id>:<id>... (job ids, arrays included) */
  afterOk?: string[];
  logDir: string; // --output=<logDir>/<name>-%A_%a.log (plain job: <name>-%j.log); created if missing
  cwd: string; // --chdir
  env?: Record<string, string>; // extra environment (sbatch --export=ALL,K=V...; values must not contain commas: throw if they do)
  /** Shell lines (/bin/sh) run before the command in each task, e.g. `module load nodejs/20`. */
  setup?: string[];
}

export interface SubmittedJob {
  jobId: string;
  name: string;
  indices: number[] | undefined;
  logPattern: string; // with %A/%a or %j
}

const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const JOB_ID = /^\d+(_\d+)?$/;

/** Sorted, de-duplicated array indices; rejects what --array would reject later and less clearly. */
export function normalizeIndices(indices: number[]): number[] {
  if (indices.length === 0) throw new Error('Slurm job: indices must not be empty (leave it out for a plain job)');
  for (const i of indices) if (!Number.isInteger(i) || i < 0) throw new Error(`Slurm job: array index must be a non-negative integer, got ${i}`);
  return [...new Set(indices)].sort((a, b) => a - b);
}

/** <logDir>/<name>-%A_%a.log for arrays, <logDir>/<name>-%j.log for plain jobs; absolute (against cwd). */
export function logPatternFor(req: Pick<ArrayJobRequest, 'name' | 'logDir' | 'cwd' | 'indices'>): string {
  return resolve(req.cwd, req.logDir, req.indices ? `${req.name}-%A_%a.log` : `${req.name}-%j.log`);
}

/** One task's log path from the submitted pattern. */
export function taskLogFile(pattern: string, jobId: string, index: number | undefined): string {
  return pattern.replace(/%A|%a|%j/g, (m) => (m === '%a' ? String(index ?? '') : jobId));
}

/** Pure: the sbatch argv (without the leading "sbatch") for a request. The command is passed through --wrap with
 * POSIX-shell-quoted argv prefixed by `exec`. Uses --parsable. */
export function sbatchArgs(req: ArrayJobRequest): string[] {
  // the name lands in a file name and an --output pattern, where '/' and '%' mean something else;
  // whitespace would also break parsing scontrol's one-line records
  if (!req.name || /[\s/%]/.test(req.name)) throw new Error(`Slurm job name must be non-empty without whitespace, '/' or '%': ${JSON.stringify(req.name)}`);
  const args = ['--parsable', `--job-name=${req.name}`];
  if (req.indices) args.push(`--array=${normalizeIndices(req.indices).join(',')}`);
  args.push(`--output=${logPatternFor(req)}`, `--chdir=${resolve(req.cwd)}`);
  args.push(...resourceArgs(req.resources));
  if (req.afterOk && req.afterOk.length > 0) {
    for (const id of req.afterOk) if (!JOB_ID.test(id)) throw new Error(`Slurm job ${req.name}: afterOk id ${JSON.stringify(id)} is not a job id`);
    args.push(`--dependency=afterok:${req.afterOk.join(':')}`);
  }
  const env = Object.entries(req.env ?? {});
  if (env.length > 0) {
    for (const [k, v] of env) {
      if (!ENV_KEY.test(k)) throw new Error(`Slurm job ${req.name}: env name ${JSON.stringify(k)} is not a valid variable name`);
      // sbatch splits --export on commas and has no escape for them
      if (v.includes(',')) throw new Error(`Slurm job ${req.name}: env ${k} contains a comma, which sbatch --export cannot carry: ${JSON.stringify(v)}`);
    }
    args.push(`--export=ALL,${env.map(([k, v]) => `${k}=${v}`).join(',')}`);
  }
  // a failing setup line ends the task with its status rather than running the command half set up
  const setup = (req.setup ?? []).map((line) => `${line} || exit $?`);
  args.push(`--wrap=${[...setup, execLine(req.command)].join('\n')}`);
  return args;
}

/** Submit with sbatch --parsable; the log directory is created first (Slurm would silently drop the output). */
export async function submitJob(req: ArrayJobRequest, opts: { sbatch?: string } = {}): Promise<SubmittedJob> {
  const args = sbatchArgs(req);
  mkdirSync(resolve(req.cwd, req.logDir), { recursive: true });
  const out = (await runSlurm(opts.sbatch ?? 'sbatch', args)).trim();
  // --parsable prints "<id>" or "<id>;<cluster>"
  const jobId = out.split(/\r?\n/).pop()?.split(';')[0] ?? '';
  if (!/^\d+$/.test(jobId)) throw new Error(`sbatch ${args.join(' ')} printed no job id: ${JSON.stringify(out)}`);
  return { jobId, name: req.name, indices: req.indices ? normalizeIndices(req.indices) : undefined, logPattern: logPatternFor(req) };
}
