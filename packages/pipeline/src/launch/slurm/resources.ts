/** The spec's Slurm resources (every field optional; undefined = cluster default). */
export interface SlurmResources {
  partition?: string;
  cpusPerTask?: number;
  mem?: string; // e.g. "8G", passed to --mem
  time?: string; // e.g. "02:00:00", passed to --time
  gpus?: number; // -> --gres=gpu:N
  account?: string; // -> --account
  extraArgs?: string[]; // passed through verbatim, e.g. ["--qos=high"]
}

function positiveInt(what: string, n: number, allowZero = false): number {
  if (!Number.isInteger(n) || n < (allowZero ? 0 : 1)) throw new Error(`Slurm resources: ${what} must be a ${allowZero ? 'non-negative' : 'positive'} integer, got ${n}`);
  return n;
}

/** sbatch flags for a resource block, in a fixed order so argv comparisons are stable. */
export function resourceArgs(res: SlurmResources): string[] {
  const args: string[] = [];
  if (res.partition !== undefined) args.push(`--partition=${res.partition}`);
  if (res.cpusPerTask !== undefined) args.push(`--cpus-per-task=${positiveInt('cpusPerTask', res.cpusPerTask)}`);
  if (res.mem !== undefined) args.push(`--mem=${res.mem}`);
  if (res.time !== undefined) args.push(`--time=${res.time}`);
  // gpus: 0 means "no GPU", which is what leaving --gres out already says
  if (res.gpus !== undefined && positiveInt('gpus', res.gpus, true) > 0) args.push(`--gres=gpu:${res.gpus}`);
  if (res.account !== undefined) args.push(`--account=${res.account}`);
  if (res.extraArgs) args.push(...res.extraArgs);
  return args;
}
