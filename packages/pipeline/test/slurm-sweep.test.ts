import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArtifactStore } from '@sinkscope/artifacts';
import { afterAll, describe, expect, it } from 'vitest';
import { requirement } from '../../../tools/test-requirements.js';
import { launchPipeline, runPipeline, slurmLogDir, openContext, SlurmRunError, type PlannedJob } from '../src/index.js';
import { startS3Server, TEST_BUCKET, TEST_SECRET, useTestAwsEnvironment } from '../../artifacts/test/helpers/s3-server.js';

// A localhost Slurm cluster (tools/slurm/local-cluster.sh, started by .ci/run) runs the sink-sweep
// pipeline: two fixture models x two shards.
const here = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(here, '../../..');
/** The kinds a run up to the entropy step writes (the local run also has the lens step's and the report's). */
const UP_TO_ENTROPY = /^(activations|layer_metrics|heads|sink_sweep|sink_k|norms|massive|pattern|qk|metrics_sequences|layer_entropy|entropy_sequences)\//;
const SPEC = join(REPO, 'pipelines/sink-sweep/pipeline.yaml');
const onCluster = requirement('a localhost Slurm cluster', process.env.SLURM_CONF ? undefined : 'SLURM_CONF is not set (start one with: eval "$(tools/slurm/local-cluster.sh start)")');

const tmp = mkdtempSync(join(tmpdir(), 'sinkscope-slurm-sweep-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const quiet = { log: () => {}, print: () => {} };

/** (kind, key, data sha256) of every artifact of a store folder. */
async function contents(root: string): Promise<string[]> {
  const store = new ArtifactStore({ root, warn: () => {} });
  return (await store.list()).map((m) => `${m.kind}/${m.key}/${m.sha256}`).sort();
}

describe.skipIf(!onCluster)('a sweep on a localhost Slurm cluster', () => {
  const local = join(tmp, 'local-store');

  it('from `nx run` with the slurm launcher: the same artifacts, byte for byte, as a local run', async () => {
    const t0 = Date.now();
    await runPipeline(SPEC, 'report', { store: new ArtifactStore({ root: local, warn: () => {} }), reportsRoot: join(tmp, 'local-reports'), runsRoot: join(tmp, 'local-runs'), ...quiet });
    const localSeconds = (Date.now() - t0) / 1000;

    const slurmStore = join(tmp, 'slurm-store');
    const t1 = Date.now();
    // asynchronous: a synchronous child this long blocks the test worker past Vitest's RPC timeout
    const nx = await new Promise<{ status: number | null; stdout: string; stderr: string }>((done) => {
      execFile('npx', ['nx', 'run', 'sink-sweep:report', '--skip-nx-cache', '--outputStyle=stream'], {
        cwd: REPO,
        encoding: 'utf8',
        maxBuffer: 64 << 20,
        env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', SINKSCOPE_LAUNCHER: 'slurm', SINKSCOPE_STORE: slurmStore, SINKSCOPE_REPORTS: join(tmp, 'slurm-reports'), SINKSCOPE_RUNS: join(tmp, 'slurm-runs') },
      }, (err, stdout, stderr) => done({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }));
    });
    const slurmSeconds = (Date.now() - t1) / 1000;
    const output = `${nx.stdout}\n${nx.stderr}`;
    expect(nx.status, output).toBe(0);
    // one array per model for extract, one task per shard; the report ran as a job too
    expect(output).toMatch(/submitted extract gpt2-tiny as job \d+ \(2 array tasks: shards 0,1\)/);
    expect(output).toMatch(/submitted extract pythia-tiny as job \d+ \(2 array tasks: shards 0,1\)/);
    expect(output).toMatch(/submitted report as job \d+/);
    expect(output).toMatch(/slurm: extract gpt2-tiny \(job \d+\): 0 queued, 0 running, 2 done, 0 failed/);
    expect(await contents(slurmStore)).toEqual(await contents(local));
    expect((await contents(local)).filter((c) => c.startsWith('activations/'))).toHaveLength(4);
    console.log(`sink-sweep: local run ${localSeconds.toFixed(1)} s (in-process), Slurm through nx ${slurmSeconds.toFixed(1)} s`);
  }, 240_000);

  it('a killed shard fails the run with its job id, exit code and log; the rerun submits it alone', async () => {
    const store = join(tmp, 'kill-store');
    const options = { store: new ArtifactStore({ root: store, warn: () => {} }), reportsRoot: join(tmp, 'kill-reports'), runsRoot: join(tmp, 'kill-runs'), launcher: 'slurm', ...quiet };
    const killer = { NODE_OPTIONS: `--require ${join(here, 'fixtures/kill-shard.cjs')}`, KILL_SHARD: 'pythia-tiny:1', SINKSCOPE_STORE: store };
    const error = await launchPipeline(SPEC, 'entropy', { ...options, env: killer }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SlurmRunError);
    const failed = (error as SlurmRunError).failed;
    const killed = failed.find((f) => f.label === 'extract pythia-tiny shard 1')!;
    expect(killed.jobId).toMatch(/^\d+_1$/);
    expect(killed.exitCode).toBe('0:9');
    expect(killed.logFile).toContain(killed.jobId.split('_')[0]);
    // the jobs after it never ran; the other model finished
    expect(failed.filter((f) => f !== killed).every((f) => f.slurmState === 'DependencyNeverSatisfied' && f.label.endsWith('pythia-tiny'))).toBe(true);
    expect((error as Error).message).toContain(`extract pythia-tiny shard 1: job ${killed.jobId}`);

    const resubmitted: PlannedJob[] = [];
    await launchPipeline(SPEC, 'entropy', { ...options, env: { SINKSCOPE_STORE: store }, onSubmit: (j) => resubmitted.push(j) });
    expect(resubmitted.map((j) => `${j.label}:${j.shards?.join(',') ?? '-'}`)).toEqual(['extract pythia-tiny:1', 'metrics pythia-tiny:-', 'entropy pythia-tiny:-']);
    const mine = (await contents(store)).filter((c) => !c.startsWith('layers/'));
    expect(mine).toEqual((await contents(local)).filter((c) => UP_TO_ENTROPY.test(c)));
  }, 240_000);

  it('an S3 store: the cluster computes, a second checkout gets every result as a hit, no credential in any artifact or log', async () => {
    const server = await startS3Server();
    const restoreAws = useTestAwsEnvironment(server.endpoint);
    const savedStore = process.env.SINKSCOPE_STORE;
    const uri = `s3://${TEST_BUCKET}/sweep`;
    process.env.SINKSCOPE_STORE = uri; // this process's store, and (exported by sbatch) the jobs'
    try {
      await launchPipeline(SPEC, 'entropy', { launcher: 'slurm', reportsRoot: join(tmp, 's3-reports'), runsRoot: join(tmp, 's3-runs-a'), ...quiet });
      const second = await runPipeline(SPEC, 'entropy', { reportsRoot: join(tmp, 's3-reports-b'), runsRoot: join(tmp, 's3-runs-b'), ...quiet });
      const artifacts = second.flatMap((r) => r.artifacts);
      expect(artifacts).toHaveLength(4 + 2 * 9 + 2 * 2); // 4 shards; per model 9 metrics kinds (metrics_sequences included) and 2 entropy kinds
      expect(artifacts.filter((a) => !a.cacheHit)).toEqual([]);
      // what S3 holds is what the local run computed
      const ctx = openContext(SPEC, quiet);
      const onS3 = (await ctx.store.list()).map((m) => `${m.kind}/${m.key}/${m.sha256}`).sort();
      expect(onS3).toEqual((await contents(local)).filter((c) => UP_TO_ENTROPY.test(c)));
      const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
      for (const f of [...files(server.directory), ...files(slurmLogDir(ctx))]) expect(readFileSync(f).includes(TEST_SECRET), f).toBe(false);
    } finally {
      if (savedStore === undefined) delete process.env.SINKSCOPE_STORE;
      else process.env.SINKSCOPE_STORE = savedStore;
      restoreAws();
      await server.close();
    }
  }, 240_000);

  it('Ctrl-C cancels every submitted job and exits 130', async () => {
    const child = spawn(process.execPath, [join(REPO, 'packages/cli/bin/sinkscope.mjs'), 'run', 'sink-sweep', '--launcher', 'slurm'], {
      cwd: REPO,
      env: { ...process.env, SINKSCOPE_STORE: join(tmp, 'cancel-store'), SINKSCOPE_RUNS: join(tmp, 'cancel-runs'), SINKSCOPE_REPORTS: join(tmp, 'cancel-reports') },
    });
    let stderr = '';
    const exit = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    await new Promise<void>((done, fail) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('submitted report as job')) done();
      });
      child.on('exit', () => fail(new Error(`exited before submitting everything:\n${stderr}`)));
    });
    const jobIds = [...stderr.matchAll(/as job (\d+)/g)].map((m) => m[1]);
    expect(jobIds).toHaveLength(9); // extract, metrics, entropy, lens per model, and the report
    child.kill('SIGINT');
    expect(await exit).toBe(130);
    expect(stderr).toContain(`cancelled job(s) ${jobIds.join(', ')}`);
    expect(execFileSync('squeue', ['-h', '-j', jobIds.join(',')], { encoding: 'utf8' }).trim()).toBe('');
  }, 120_000);
});
