import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArtifactStore } from '@sinkscope/artifacts';
import { afterAll, describe, expect, it } from 'vitest';
import { METRICS_KINDS, modelPlan, openContext, parseSpec, resolveLauncher, runPipeline, runStep, shardRanges, type StepReceipt } from '../src/index.js';
import { createNodesV2 } from '../nx/plugin.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(here, '../../..');
const FIXTURES = resolve(REPO, '../shared/fixtures/hf');
const tmp = mkdtempSync(join(tmpdir(), 'sinkscope-shards-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const spec = (extra = '', models = ['gpt2', 'gpt_neox_pythia']) => `name: shard-sweep
models:
${models.map((m) => `  - name: ${m}\n    path: ${FIXTURES}/${m}`).join('\n')}
dataset:
  spec: datasets/random-tokens-64.json
  count: 5
seqLen: 12
bosPolicy: always
engine: onnx
figures: [profile]
${extra}`;

function writeSpec(name: string, body: string): string {
  const file = join(tmp, `${name}.yaml`);
  writeFileSync(file, body);
  return file;
}

const options = (store: string, runs = 'runs') => ({ store: new ArtifactStore({ root: join(tmp, store), warn: () => {} }), reportsRoot: join(tmp, `reports-${runs}`), runsRoot: join(tmp, runs), log: () => {}, print: () => {} });

function rowsOf(t: { toArray(): unknown[] } | undefined): unknown[] {
  if (!t) throw new Error('missing artifact');
  return t.toArray().map((r) => (r as { toJSON(): unknown }).toJSON());
}

describe('shardRanges', () => {
  it('splits in order, the last shard shorter; one shard without a size', () => {
    expect(shardRanges(5, 2)).toEqual([
      { index: 0, start: 0, end: 2 },
      { index: 1, start: 2, end: 4 },
      { index: 2, start: 4, end: 5 },
    ]);
    expect(shardRanges(5)).toEqual([{ index: 0, start: 0, end: 5 }]);
    expect(shardRanges(4, 4)).toEqual([{ index: 0, start: 0, end: 4 }]);
    expect(shardRanges(0, 3)).toEqual([]);
    expect(() => shardRanges(3, 0)).toThrow(/shardSize must be a positive integer/);
  });
});

describe('launch settings stay out of every key', () => {
  it('specHash and the launcher choice', () => {
    const plain = openContext(writeSpec('plain', spec()), options('k'));
    const slurm = openContext(writeSpec('slurm', spec('launcher: slurm\nslurm: {partition: gpu, gpus: 1, mem: 8G, steps: {extract: {time: "01:00:00"}}}')), options('k'));
    expect(slurm.spec.launcher).toBe('slurm');
    expect(slurm.specHash).toBe(plain.specHash);
    expect(resolveLauncher(plain.spec, undefined, {})).toBe('local');
    expect(resolveLauncher(plain.spec, undefined, { SINKSCOPE_LAUNCHER: 'slurm' })).toBe('slurm');
    expect(resolveLauncher(slurm.spec, 'local', { SINKSCOPE_LAUNCHER: 'slurm' })).toBe('local');
    expect(() => resolveLauncher(plain.spec, undefined, { SINKSCOPE_LAUNCHER: 'pbs' })).toThrow("SINKSCOPE_LAUNCHER: 'pbs' is not a launcher (local, slurm)");
    expect(() => parseSpec('p.yaml', spec('slurm: {mem: lots}'))).toThrow(/field 'slurm\.mem'/);
    expect(() => parseSpec('p.yaml', spec('launcher: pbs'))).toThrow(/field 'launcher'/);
    expect(() => openContext(writeSpec('plain', spec()), { ...options('k'), model: 'gpt3' })).toThrow("no model 'gpt3' in field 'models' (models: gpt2, gpt_neox_pythia)");
  });
});

describe('a sharded run', () => {
  it('equals the unsharded run table for table; a shard task computes only its shard', async () => {
    const whole = writeSpec('whole', spec());
    const sharded = writeSpec('sharded', spec('shardSize: 2'));
    await runPipeline(whole, 'entropy', options('whole-store', 'runs-whole'));

    // the extract step of one model, one shard at a time (what Slurm array tasks do)
    const shardOpts = options('shard-store', 'runs-sharded');
    const one = openContext(sharded, { ...shardOpts, model: 'gpt2', shards: [1] });
    const first = await runStep(one, 'extract');
    expect(first.artifacts.map((a) => [a.model, a.shard, a.cacheHit])).toEqual([['gpt2', 1, false]]);
    const ref = await modelPlan(one, 0);
    expect(ref.shards.map((s) => [s.start, s.end])).toEqual([
      [0, 2],
      [2, 4],
      [4, 5],
    ]);
    expect(await shardOpts.store.list('activations')).toHaveLength(1);
    const receipts = await runPipeline(sharded, 'entropy', shardOpts);
    const extract = receipts.find((r) => r.step === 'extract')!;
    expect(extract.artifacts.map((a) => `${a.model}/${a.shard}:${a.cacheHit}`)).toEqual(['gpt2/0:false', 'gpt2/1:true', 'gpt2/2:false', 'gpt_neox_pythia/0:false', 'gpt_neox_pythia/1:false', 'gpt_neox_pythia/2:false']);

    // metrics and entropy read the shards in order: every row equals the unsharded run's
    const a = openContext(whole, options('whole-store', 'runs-whole'));
    const b = openContext(sharded, shardOpts);
    for (const m of [0, 1]) {
      const ra = await modelPlan(a, m);
      const rb = await modelPlan(b, m);
      expect(rb.activationsKey).not.toBe(ra.activationsKey);
      for (const kind of METRICS_KINDS) {
        const ta = await a.store.read(kind, ra.metricsArtifacts[kind]);
        const tb = await b.store.read(kind, rb.metricsArtifacts[kind]);
        expect(rowsOf(tb), `${kind} of model ${m}`).toEqual(rowsOf(ta));
        expect(rowsOf(tb).length).toBeGreaterThan(0);
      }
      expect(rowsOf(await b.store.read('layer_entropy', rb.entropyArtifact))).toEqual(rowsOf(await a.store.read('layer_entropy', ra.entropyArtifact)));
    }
  }, 120_000);

  it('a second checkout on the same store gets every result as a hit, per model as Nx runs it', async () => {
    const sharded = writeSpec('sharded2', spec('shardSize: 2'));
    await runPipeline(sharded, 'report', options('shared-store', 'runs-a'));
    const receipts: StepReceipt[] = [];
    for (const model of ['gpt2', 'gpt_neox_pythia']) {
      const ctx = openContext(sharded, { ...options('shared-store', 'runs-b'), model });
      for (const step of ['extract', 'metrics', 'entropy'] as const) receipts.push(await runStep(ctx, step));
    }
    receipts.push(await runStep(openContext(sharded, options('shared-store', 'runs-b')), 'report'));
    const artifacts = receipts.flatMap((r) => r.artifacts);
    expect(artifacts.length).toBe(6 + 2 * METRICS_KINDS.length + 2 * 2 + 2); // entropy: layer_entropy and entropy_sequences
    expect(artifacts.filter((x) => !x.cacheHit)).toEqual([]);
    expect(receipts.filter((r) => r.step !== 'report').every((r) => r.model !== undefined)).toBe(true);
  }, 120_000);
});

describe('Nx plugin', () => {
  // the runtime input every pipeline task has (nx/task-inputs.ts), run as Nx runs it
  const hash = (args: string[]) => execFileSync(process.execPath, ['--import', 'tsx', join(REPO, 'packages/pipeline/nx/task-inputs.ts'), ...args], { encoding: 'utf8', cwd: REPO });

  it('gives each model its own project; adding a model or changing the launcher leaves its tasks alone', async () => {
    const two = writeSpec('nx-two', spec());
    const three = writeSpec('nx-three', spec('', ['gpt2', 'gpt_neox_pythia', 'llama']));
    const onSlurm = writeSpec('nx-slurm', spec('launcher: slurm\nslurm: {partition: gpu}'));
    expect(hash([three, 'gpt2'])).toBe(hash([two, 'gpt2']));
    expect(hash([onSlurm, 'gpt2'])).toBe(hash([two, 'gpt2']));
    expect(hash([onSlurm])).toBe(hash([two]));
    expect(hash([three])).not.toBe(hash([two]));
    expect(hash([two, 'gpt_neox_pythia'])).not.toBe(hash([two, 'gpt2']));
    expect(hash([writeSpec('nx-seq', spec().replace('seqLen: 12', 'seqLen: 16')), 'gpt2'])).not.toBe(hash([two, 'gpt2']));
    // a checkpoint folder's content enters its model's hash (folders outside the workspace)
    const copy = join(tmp, 'gpt2-copy');
    cpSync(join(FIXTURES, 'gpt2'), copy, { recursive: true });
    const copied = writeSpec('nx-copy', spec().replace(`${FIXTURES}/gpt2`, copy));
    const before = hash([copied, 'gpt2']);
    writeFileSync(join(copy, 'generation_config.json'), '{"changed": true}\n');
    expect(hash([copied, 'gpt2'])).not.toBe(before);
    expect(hash([copied, 'gpt_neox_pythia'])).toBe(hash([two, 'gpt_neox_pythia']));

    const [, createNodes] = createNodesV2;
    // the plugin reads pipelines/<name>/pipeline.yaml from the workspace root: a temp workspace here
    mkdirSync(join(tmp, 'ws/pipelines/sweep'), { recursive: true });
    writeFileSync(join(tmp, 'ws/pipelines/sweep/pipeline.yaml'), spec('', ['gpt2', 'gpt_neox_pythia', 'llama']));
    const results = await createNodes(['pipelines/sweep/pipeline.yaml'], undefined, { workspaceRoot: join(tmp, 'ws'), nxJsonConfiguration: {} } as never);
    const projects = results[0][1].projects as Record<string, { name: string; targets: Record<string, { options?: { model?: string }; dependsOn?: unknown[]; outputs?: string[] }> }>;
    expect(Object.keys(projects).sort()).toEqual(['pipelines/sweep', 'pipelines/sweep/models/gpt2', 'pipelines/sweep/models/gpt_neox_pythia', 'pipelines/sweep/models/llama']);
    const gpt2 = projects['pipelines/sweep/models/gpt2'];
    expect(gpt2.name).toBe('sweep.gpt2');
    expect(Object.keys(gpt2.targets)).toEqual(['extract', 'metrics', 'entropy', 'lens', 'ablate']);
    expect(gpt2.targets.metrics.options?.model).toBe('gpt2');
    expect(gpt2.targets.metrics.outputs).toEqual(['{workspaceRoot}/.sinkscope/runs/sweep/gpt2/metrics.json']);
    expect(JSON.stringify(gpt2)).not.toContain('llama');
    const pipeline = projects['pipelines/sweep'];
    expect(pipeline.name).toBe('sweep');
    expect(pipeline.targets.report.dependsOn).toContainEqual({ target: 'entropy', projects: ['sweep.gpt2', 'sweep.gpt_neox_pythia', 'sweep.llama'] });
  });
});
