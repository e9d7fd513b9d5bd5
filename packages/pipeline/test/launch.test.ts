import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { launchPipeline, openContext, REPO_ROOT, slurmLogDir, stepResources } from '../src/index.js';
import { stepJobRequest } from '../src/launch/job-request.js';
import { sbatchArgs } from '../src/launch/slurm/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'sinkscope-launch-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function context(slurm: string) {
  const file = join(tmp, `spec-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, `name: cluster-sweep\nmodels: [{name: m1, path: default}]\ndataset: {spec: datasets/random-tokens-64.json, count: 4}\nseqLen: 8\nshardSize: 2\nlauncher: slurm\nslurm: ${slurm}\n`);
  return openContext(file, { runsRoot: join(tmp, 'runs'), reportsRoot: join(tmp, 'reports'), log: () => {}, print: () => {} });
}

describe('Slurm job requests from a spec', () => {
  it("merges a step's resources over the pipeline's", () => {
    const ctx = context('{partition: cpu, mem: 4G, time: "01:00:00", steps: {extract: {partition: gpu, gpus: 2, mem: 64G}}}');
    expect(stepResources(ctx.spec.slurm, 'extract')).toEqual({ partition: 'gpu', mem: '64G', time: '01:00:00', gpus: 2 });
    expect(stepResources(ctx.spec.slurm, 'metrics')).toEqual({ partition: 'cpu', mem: '4G', time: '01:00:00' });
  });

  it('an extract array of the missing shards runs the step command with the local launcher', () => {
    const ctx = context('{cpusPerTask: 4, setup: ["module load nodejs/20"], node: node, steps: {extract: {gpus: 1}}}');
    const req = stepJobRequest(ctx, 'extract', { model: 'm1', shards: [0, 2], afterOk: ['41'] });
    expect(req.name).toBe('sinkscope-cluster-sweep-extract-m1');
    expect(req.indices).toEqual([0, 2]);
    expect(req.command).toEqual(['node', join(REPO_ROOT, 'packages/cli/bin/sinkscope.mjs'), 'step', 'extract', '--spec', ctx.specFile, '--model', 'm1', '--launcher', 'local', '--shard-from-array']);
    expect(req.env).toEqual({ SINKSCOPE_RUNS: join(tmp, 'runs'), SINKSCOPE_REPORTS: join(tmp, 'reports') });
    expect(req.logDir).toBe(join(REPO_ROOT, '.sinkscope/slurm/cluster-sweep'));
    const args = sbatchArgs(req);
    expect(args).toContain('--array=0,2');
    expect(args).toContain('--gres=gpu:1');
    expect(args).toContain('--cpus-per-task=4');
    expect(args).toContain('--dependency=afterok:41');
    expect(args).toContain(`--output=${join(REPO_ROOT, '.sinkscope/slurm/cluster-sweep')}/sinkscope-cluster-sweep-extract-m1-%A_%a.log`);
    const wrap = args.find((a) => a.startsWith('--wrap='))!;
    expect(wrap.split('\n')).toEqual(['--wrap=module load nodejs/20 || exit $?', `exec node ${join(REPO_ROOT, 'packages/cli/bin/sinkscope.mjs')} step extract --spec ${ctx.specFile} --model m1 --launcher local --shard-from-array`]);
  });

  it('other steps are plain jobs; the report names no model; logDir resolves against the repository', () => {
    const ctx = context('{logDir: logs/slurm}');
    const metrics = stepJobRequest(ctx, 'metrics', { model: 'm1' });
    expect(metrics.indices).toBeUndefined();
    expect(metrics.command).not.toContain('--shard-from-array');
    expect(metrics.command[0]).toBe(process.execPath);
    const report = stepJobRequest(ctx, 'report', { afterOk: ['7', '8_1'] });
    expect(report.command).not.toContain('--model');
    expect(sbatchArgs(report)).toContain('--dependency=afterok:7:8_1');
    expect(slurmLogDir(ctx)).toBe(resolve(REPO_ROOT, 'logs/slurm'));
  });

  it('without Slurm, the slurm launcher fails at once, saying why and what to do', async () => {
    const ctx = context('{}');
    const path = process.env.PATH;
    process.env.PATH = join(tmp, 'no-such-bin');
    try {
      await expect(launchPipeline(ctx.specFile, 'extract', { runsRoot: join(tmp, 'runs'), log: () => {}, print: () => {} })).rejects.toThrow(
        'launcher slurm: squeue failed: squeue not found on PATH (is Slurm installed?) (set SLURM_CONF or run on a cluster login node, or use --launcher local)',
      );
    } finally {
      process.env.PATH = path;
    }
  });
});
