import { readFileSync } from 'node:fs';
import { runSlurm } from './exec.js';
import { field, parseJobComp, type RawTaskRecord } from './parse.js';

// keyed by SLURM_CONF: the config of one controller does not change under a running process
const locations = new Map<string, Promise<string | undefined>>();

/** JobCompLoc when the cluster writes finished jobs to a text file (jobcomp/filetxt), else undefined. */
export function jobCompFile(): Promise<string | undefined> {
  const key = process.env.SLURM_CONF ?? '';
  let loc = locations.get(key);
  if (!loc) {
    loc = runSlurm('scontrol', ['show', 'config'], { timeoutMs: 15_000 }).then(
      (out) => {
        const type = out.match(/^JobCompType\s*=\s*(\S+)/m)?.[1];
        const file = out.match(/^JobCompLoc\s*=\s*(\S+)/m)?.[1];
        return type === 'jobcomp/filetxt' && file ? file : undefined;
      },
      (e: unknown) => {
        locations.delete(key); // a controller hiccup must not disable the fallback for good
        throw e;
      },
    );
    locations.set(key, loc);
  }
  return loc;
}

/** Finished-job records for one job id (array tasks included) from the jobcomp file; the last line wins
 * (a requeued job is recorded more than once). The name guards against an id reused after a controller reset. */
export async function jobCompRecords(jobId: string, name: string): Promise<RawTaskRecord[]> {
  const file = await jobCompFile();
  if (!file) return [];
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return []; // nothing finished yet, or the file is on a host we cannot see
  }
  // cheap pre-filter before the per-line regexes: the file grows with every job the cluster ever ran
  const lines = text.split('\n').filter((l) => l.includes(`Name=${name} `) && (field(l, 'JobId') === jobId || field(l, 'ArrayJobId') === jobId));
  return parseJobComp(lines.join('\n')).filter((r) => r.name === name && (r.arrayJobId ?? r.jobId) === jobId);
}
