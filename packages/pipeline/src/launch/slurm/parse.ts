/** Parsers for Slurm's text output. Pure, so they are unit-tested without a cluster. */

/** Expand an array task spec as Slurm prints it: "3", "1-5", "0,3,5-9", "1-9:2", "5-9%2" (throttle), "[1-3]". */
export function expandTaskSpec(spec: string): number[] {
  const body = spec.trim().replace(/^\[|\]$/g, '').replace(/%\d+$/, '');
  if (body === '' || body === 'N/A') return [];
  const out: number[] = [];
  for (const part of body.split(',')) {
    const m = part.match(/^(\d+)(?:-(\d+)(?::(\d+))?)?$/);
    if (!m) throw new Error(`unparseable Slurm array task spec ${JSON.stringify(spec)}`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    const step = m[3] === undefined ? 1 : Number(m[3]);
    for (let i = lo; i <= hi; i += step) out.push(i);
  }
  return out;
}

/** The first `Key=value` of a one-line record (scontrol -o, jobcomp/filetxt); values end at whitespace. */
export function field(line: string, key: string): string | undefined {
  return line.match(new RegExp(`(?:^|\\s)${key}=(\\S*)`))?.[1];
}

/** One task (or a still-compressed group of pending tasks) from squeue, scontrol or the jobcomp file. */
export interface RawTaskRecord {
  arrayJobId: string | undefined; // undefined for a plain job
  jobId: string; // the record's own id (for arrays this is the task's internal id, not "123_4")
  indices: number[] | undefined; // the array indices this record stands for
  state: string;
  reason?: string;
  exitCode?: string;
  name?: string;
}

/** squeue -h -r -o '%i|%F|%K|%T|%r|%A' lines. */
export const SQUEUE_FORMAT = '%i|%F|%K|%T|%r|%A';

export function parseSqueue(out: string): RawTaskRecord[] {
  const recs: RawTaskRecord[] = [];
  for (const line of out.split(/\r?\n/)) {
    if (!line.trim()) continue;
    const [id, arrayJobId, taskSpec, state, reason, ownId] = line.trim().split('|');
    const isArray = id.includes('_');
    recs.push({
      arrayJobId: isArray ? arrayJobId : undefined,
      jobId: ownId || id,
      indices: isArray ? expandTaskSpec(taskSpec) : undefined,
      state,
      reason,
    });
  }
  return recs;
}

/**
 * The records of `Key=value` lines (scontrol -o, jobcomp/filetxt), one per line naming a JobId.
 * `noArray` is the ArrayJobId value a plain job carries (jobcomp writes 0; scontrol omits the key).
 */
function keyValueRecords(out: string, keys: { readonly name: string; readonly noArray?: string; readonly reason: boolean }): RawTaskRecord[] {
  const recs: RawTaskRecord[] = [];
  for (const line of out.split(/\r?\n/)) {
    const jobId = field(line, 'JobId');
    if (!jobId) continue;
    const arrayField = field(line, 'ArrayJobId');
    const arrayJobId = arrayField !== keys.noArray ? arrayField : undefined;
    const taskSpec = field(line, 'ArrayTaskId');
    recs.push({
      arrayJobId,
      jobId,
      indices: arrayJobId && taskSpec ? expandTaskSpec(taskSpec) : undefined,
      state: field(line, 'JobState') ?? 'UNKNOWN',
      ...(keys.reason ? { reason: field(line, 'Reason') } : {}),
      // in jobcomp lines " ExitCode=" (after DerivedExitCode=) is the task's own
      exitCode: field(line, 'ExitCode'),
      name: field(line, keys.name),
    });
  }
  return recs;
}

/** scontrol -o show job <id>: one line per job or array task (pending tasks may share one compressed line). */
export function parseScontrol(out: string): RawTaskRecord[] {
  return keyValueRecords(out, { name: 'JobName', reason: true });
}

/** jobcomp/filetxt lines (JobId=... Name=... JobState=... [ArrayJobId= ArrayTaskId=] ... ExitCode=). */
export function parseJobComp(out: string): RawTaskRecord[] {
  return keyValueRecords(out, { name: 'Name', noArray: '0', reason: false });
}
