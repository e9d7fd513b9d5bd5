import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requirement } from '../../../tools/test-requirements.js';
import {
  cancelJobs,
  classify,
  expandTaskSpec,
  logTail,
  parseJobComp,
  parseScontrol,
  parseSqueue,
  queryJob,
  sbatchArgs,
  shellQuote,
  slurmAvailable,
  submitJob,
  watchJobs,
  type ArrayJobRequest,
  type WatchSummary,
} from '../src/launch/slurm/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'sinkscope-slurm-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const base = (extra: Partial<ArrayJobRequest> = {}): ArrayJobRequest => ({
  name: 'extract',
  command: ['node', 'run.js'],
  resources: {},
  logDir: '/logs',
  cwd: '/work',
  ...extra,
});

describe('sbatchArgs', () => {
  it('builds an array job with --parsable, name, output pattern, chdir and an exec --wrap', () => {
    expect(sbatchArgs(base({ indices: [0, 1, 2] }))).toEqual([
      '--parsable',
      '--job-name=extract',
      '--array=0,1,2',
      '--output=/logs/extract-%A_%a.log',
      '--chdir=/work',
      '--wrap=exec node run.js',
    ]);
  });

  it('passes sparse indices sorted and de-duplicated; a plain job logs to <name>-%j.log', () => {
    expect(sbatchArgs(base({ indices: [5, 0, 3, 3] }))).toContain('--array=0,3,5');
    const plain = sbatchArgs(base());
    expect(plain.some((a) => a.startsWith('--array'))).toBe(false);
    expect(plain).toContain('--output=/logs/extract-%j.log');
    expect(() => sbatchArgs(base({ indices: [] }))).toThrow(/indices/);
    expect(() => sbatchArgs(base({ indices: [-1] }))).toThrow(/non-negative/);
  });

  it('maps resources to sbatch flags and passes extraArgs verbatim', () => {
    const args = sbatchArgs(
      base({ resources: { partition: 'gpu', cpusPerTask: 4, mem: '8G', time: '02:00:00', gpus: 2, account: 'lab', extraArgs: ['--qos=high', '--exclusive'] } }),
    );
    expect(args).toEqual(
      expect.arrayContaining(['--partition=gpu', '--cpus-per-task=4', '--mem=8G', '--time=02:00:00', '--gres=gpu:2', '--account=lab', '--qos=high', '--exclusive']),
    );
    expect(args.at(-1)).toBe('--wrap=exec node run.js'); // the wrap stays last, after the pass-through flags
    expect(sbatchArgs(base({ resources: { gpus: 0 } })).some((a) => a.startsWith('--gres'))).toBe(false);
    expect(() => sbatchArgs(base({ resources: { cpusPerTask: 1.5 } }))).toThrow(/cpusPerTask/);
  });

  it('writes the afterok dependency for every job id', () => {
    expect(sbatchArgs(base({ afterOk: ['101', '102_3'] }))).toContain('--dependency=afterok:101:102_3');
    expect(sbatchArgs(base({ afterOk: [] })).some((a) => a.startsWith('--dependency'))).toBe(false);
    expect(() => sbatchArgs(base({ afterOk: ['12;rm'] }))).toThrow(/not a job id/);
  });

  it('exports extra env on top of ALL and refuses commas, which sbatch cannot carry', () => {
    expect(sbatchArgs(base({ env: { A: '1', B_2: 'x y=z' } }))).toContain('--export=ALL,A=1,B_2=x y=z');
    expect(sbatchArgs(base({ env: {} })).some((a) => a.startsWith('--export'))).toBe(false);
    expect(() => sbatchArgs(base({ env: { LIST: 'a,b' } }))).toThrow(/comma/);
    expect(() => sbatchArgs(base({ env: { 'BAD-NAME': '1' } }))).toThrow(/variable name/);
  });

  it('shell-quotes arguments with spaces and quotes', () => {
    const args = sbatchArgs(base({ command: ['node', '-e', `console.log("it's ok")`, 'two words', ''] }));
    expect(args.at(-1)).toBe(`--wrap=exec node -e 'console.log("it'\\''s ok")' 'two words' ''`);
    expect(shellQuote('a$b`c')).toBe(`'a$b\`c'`);
    expect(shellQuote('plain-word_1.txt')).toBe('plain-word_1.txt');
  });

  it('resolves logDir against cwd and rejects names that would break the output pattern', () => {
    expect(sbatchArgs(base({ logDir: 'logs', cwd: '/w' }))).toContain('--output=/w/logs/extract-%j.log');
    expect(() => sbatchArgs(base({ name: 'a b' }))).toThrow(/name/);
    expect(() => sbatchArgs(base({ name: 'a%b' }))).toThrow(/name/);
    expect(() => sbatchArgs(base({ command: [] }))).toThrow(/empty/);
  });
});

describe('Slurm output parsers', () => {
  it('expands array task specs as Slurm prints them', () => {
    expect(expandTaskSpec('3')).toEqual([3]);
    expect(expandTaskSpec('[1-3]')).toEqual([1, 2, 3]);
    expect(expandTaskSpec('0,3,5-7%2')).toEqual([0, 3, 5, 6, 7]);
    expect(expandTaskSpec('1-7:3')).toEqual([1, 4, 7]);
    expect(expandTaskSpec('N/A')).toEqual([]);
  });

  it('parses squeue -r lines, compressed pending records included', () => {
    const recs = parseSqueue('12_0|12|0|RUNNING|None|13\n12_[1-2]|12|1-2|PENDING|Resources|12\n20|20|N/A|PENDING|Dependency|20\n');
    expect(recs.map((r) => [r.arrayJobId, r.indices, r.state])).toEqual([
      ['12', [0], 'RUNNING'],
      ['12', [1, 2], 'PENDING'],
      [undefined, undefined, 'PENDING'],
    ]);
  });

  it('parses scontrol -o records and jobcomp lines (ExitCode, not DerivedExitCode)', () => {
    const sc = parseScontrol(
      'JobId=14 ArrayJobId=12 ArrayTaskId=1 JobName=x UserId=root(0) JobState=FAILED Reason=NonZeroExitCode Dependency=(null) DerivedExitCode=0:0 ExitCode=3:0\n' +
        'JobId=12 ArrayJobId=12 ArrayTaskId=2-4%1 JobName=x JobState=PENDING Reason=JobArrayTaskLimit ExitCode=0:0\n',
    );
    expect(sc[0]).toMatchObject({ arrayJobId: '12', indices: [1], state: 'FAILED', exitCode: '3:0' });
    expect(sc[1]).toMatchObject({ indices: [2, 3, 4], reason: 'JobArrayTaskLimit' });
    const jc = parseJobComp(
      'JobId=7 UserId=root(0) GroupId=root(0) Name=job-a JobState=FAILED Partition=debug NodeCnt=1 DerivedExitCode=0:0 ExitCode=0:9 \n' +
        'JobId=9 UserId=root(0) Name=arr JobState=COMPLETED ArrayJobId=8 ArrayTaskId=1 DerivedExitCode=0:0 ExitCode=0:0 \n',
    );
    expect(jc[0]).toMatchObject({ jobId: '7', arrayJobId: undefined, name: 'job-a', state: 'FAILED', exitCode: '0:9' });
    expect(jc[1]).toMatchObject({ jobId: '9', arrayJobId: '8', indices: [1], state: 'COMPLETED' });
  });

  it('classifies Slurm states, a dead dependency included', () => {
    expect(classify('PENDING', 'Resources').state).toBe('queued');
    expect(classify('COMPLETING').state).toBe('running');
    expect(classify('COMPLETED').state).toBe('done');
    expect(classify('CANCELLED by 0')).toEqual({ state: 'failed', slurmState: 'CANCELLED' });
    expect(classify('OUT_OF_MEMORY').state).toBe('failed');
    expect(classify('PENDING', 'DependencyNeverSatisfied')).toEqual({ state: 'failed', slurmState: 'DependencyNeverSatisfied' });
  });

  it('logTail returns the last lines, or empty for a missing file', () => {
    const f = join(tmp, 'tail.log');
    writeFileSync(f, Array.from({ length: 50_000 }, (_, i) => `line ${i}`).join('\n') + '\n');
    expect(logTail(f, 3)).toBe('line 49997\nline 49998\nline 49999');
    expect(logTail(join(tmp, 'missing.log'))).toBe('');
  });
});

const haveSlurm = requirement('a localhost Slurm cluster', process.env.SLURM_CONF ? undefined : 'SLURM_CONF is not set (start one with: eval "$(tools/slurm/local-cluster.sh start)")');

describe.skipIf(!haveSlurm)('Slurm client against a live cluster', () => {
  const node = process.execPath; // the job inherits PATH, but the absolute path needs no lookup
  let seq = 0;
  const job = (name: string, command: string[], extra: Partial<ArrayJobRequest> = {}): ArrayJobRequest => ({
    name: `sinkscope-test-${process.pid}-${name}-${++seq}`,
    command,
    resources: { time: '00:05:00' },
    logDir: mkdtempSync(join(tmp, 'logs-')),
    cwd: tmp,
    ...extra,
  });
  const poll = { pollMs: 100 };

  it('sees the controller', async () => {
    expect(await slurmAvailable()).toBe(true);
  });

  it('reports a failing array task with its exit code and log tail while the others finish', async () => {
    const script = `const i = Number(process.env.SLURM_ARRAY_TASK_ID);
      if (i === 1) { console.error('boom from task ' + i + ' ' + process.env.SINKSCOPE_GREETING); process.exit(3); }
      console.log('ok ' + i);`;
    const submitted = await submitJob(job('array', [node, '-e', script], { indices: [0, 1, 2], env: { SINKSCOPE_GREETING: 'hello there' } }));
    const seen: WatchSummary[] = [];
    const res = await watchJobs([submitted], { ...poll, onProgress: (s) => seen.push(s) });

    expect(res.tasks.map((t) => [t.jobId, t.index, t.state])).toEqual([
      [`${submitted.jobId}_0`, 0, 'done'],
      [`${submitted.jobId}_1`, 1, 'failed'],
      [`${submitted.jobId}_2`, 2, 'done'],
    ]);
    expect(res.tasks[0].exitCode).toBe('0:0');
    expect(res.failed).toHaveLength(1);
    expect(res.failed[0]).toMatchObject({ jobId: `${submitted.jobId}_1`, slurmState: 'FAILED', exitCode: '3:0' });
    expect(res.failed[0].logTail).toContain('boom from task 1 hello there');
    expect(res.failed[0].logFile).toBe(join(submitted.logPattern.replace(/[^/]*$/, ''), `${submitted.name}-${submitted.jobId}_1.log`));
    expect(seen.at(-1)).toEqual({ queued: 0, running: 0, done: 2, failed: 1, total: 3 });
    // onProgress fires on changes only
    expect(new Set(seen.map((s) => JSON.stringify(s))).size).toBe(seen.length);
    // a finished job still answers queryJob
    expect((await queryJob(submitted)).map((t) => t.state)).toEqual(['done', 'failed', 'done']);
  });

  it('ends a job whose afterok dependency failed instead of hanging', async () => {
    const first = await submitJob(job('dep-first', [node, '-e', 'process.exit(1)']));
    const second = await submitJob(job('dep-second', [node, '-e', 'console.log("never")'], { afterOk: [first.jobId] }));
    const res = await watchJobs([first, second], poll);
    expect(res.tasks.map((t) => [t.jobId, t.state, t.slurmState])).toEqual([
      [first.jobId, 'failed', 'FAILED'],
      [second.jobId, 'failed', 'DependencyNeverSatisfied'],
    ]);
    expect(res.failed.find((t) => t.jobId === second.jobId)?.logTail).toBe('');
    // it was cancelled, so it will not sit in the queue
    const after = await queryJob(second);
    expect(after[0].state).toBe('failed');
  });

  it('schedules a job asking for a GPU (--gres=gpu:1)', async () => {
    const submitted = await submitJob(
      job('gpu', [node, '-e', 'console.log("gpus=" + process.env.CUDA_VISIBLE_DEVICES)'], { resources: { gpus: 1, cpusPerTask: 1, mem: '256M' } }),
    );
    const res = await watchJobs([submitted], poll);
    expect(res.tasks[0]).toMatchObject({ state: 'done', exitCode: '0:0' });
    expect(logTail(res.tasks[0].logFile!)).toMatch(/^gpus=\d/);
  });

  it('cancels the watched jobs when the watch is aborted', async () => {
    const submitted = await submitJob(job('abort', ['sleep', '60'], { indices: [0, 1] }));
    const ac = new AbortController();
    const watching = watchJobs([submitted], {
      ...poll,
      signal: ac.signal,
      onProgress: (s) => {
        if (s.running > 0) ac.abort();
      },
    });
    await expect(watching).rejects.toMatchObject({ name: 'AbortError' });
    const tasks = await queryJob(submitted);
    expect(tasks.map((t) => t.slurmState)).toEqual(['CANCELLED', 'CANCELLED']);
    await cancelJobs([submitted.jobId]); // already gone: no error
  });

  it('reports a task killed by a signal as failed with the signal in its exit code', async () => {
    const submitted = await submitJob(job('killed', [node, '-e', 'console.log("about to die"); process.kill(process.pid, "SIGKILL")']));
    const res = await watchJobs([submitted], poll);
    expect(res.tasks[0].state).toBe('failed');
    expect(res.tasks[0].exitCode).toBe('0:9');
    expect(res.failed[0].logTail).toContain('about to die');
  });

  it('names the command and its stderr when sbatch refuses a job', async () => {
    await expect(submitJob(job('bad', ['true'], { resources: { partition: 'no-such-partition' } }))).rejects.toThrow(/^sbatch failed: exit 1: .*invalid partition.*\(command: sbatch .*--partition=no-such-partition/is);
  });
});
