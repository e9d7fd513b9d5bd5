import { mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArtifactStore } from '@sinkscope/artifacts';
import { afterAll, describe, expect, it } from 'vitest';
import { loadExtractionModel } from '@sinkscope/model-io';
import { measureModel, modelPlan, openContext, parseSpec, runPipeline, SpecError, type StepReceipt } from '../src/index.js';
import { readModelTables } from '../src/steps/report/layers-table.js';
import { fixtureSpecText } from './fixture-spec.js';

const here = dirname(fileURLToPath(import.meta.url));
const FIXTURES = resolve(here, '../../../../shared/fixtures/hf');
const tmp = mkdtempSync(join(tmpdir(), 'sinkscope-pipeline-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function writeSpec(name: string, body: string): string {
  const file = join(tmp, `${name}.yaml`);
  writeFileSync(file, body);
  return file;
}

const baseSpec = (extra = '') => fixtureSpecText('fixture-run', { gpt2: `${FIXTURES}/gpt2`, llama: `${FIXTURES}/llama` }, extra);

const options = () => ({ store: new ArtifactStore({ root: join(tmp, 'cache'), warn: () => {} }), reportsRoot: join(tmp, 'reports'), runsRoot: join(tmp, 'runs'), log: () => {}, print: () => {} });

function hits(receipts: StepReceipt[]): Record<string, boolean[]> {
  return Object.fromEntries(receipts.map((r) => [r.step, r.artifacts.map((a) => a.cacheHit)]));
}

describe('pipeline spec validation', () => {
  it('a typo names the field and the file', () => {
    expect(() => parseSpec('pipelines/x/pipeline.yaml', 'name: x\nmodels: [{name: m, path: p}]\ndataset: {spec: d}\nseqlen: 64\n')).toThrow(
      "pipelines/x/pipeline.yaml: unknown field 'seqlen'",
    );
    expect(() => parseSpec('p.yaml', 'name: x\nmodels: [{name: m, path: p}]\ndataset: {spec: d}\nmetrics: {eps: 1.5}\n')).toThrow(/p\.yaml: field 'metrics\.eps': Too big/);
    expect(() => parseSpec('p.yaml', 'name: x\nmodels: []\ndataset: {spec: d}\n')).toThrow(SpecError);
    expect(() => parseSpec('p.json', '{"name": ')).toThrow(/p\.json: not valid JSON/);
  });

  it('every shipped pipeline spec validates', () => {
    const root = resolve(here, '../../../pipelines');
    for (const dir of readdirSync(root)) {
      const file = join(root, dir, 'pipeline.yaml');
      if (!statSync(join(root, dir)).isDirectory()) continue;
      try {
        statSync(file);
      } catch {
        continue;
      }
      expect(() => parseSpec(file, readFileSync(file, 'utf8')), file).not.toThrow();
    }
  });

  it('a missing checkpoint, an unknown hook or a too-short dataset fail before any work', async () => {
    const missing = writeSpec('missing', baseSpec().replace(`${FIXTURES}/llama`, `${FIXTURES}/no-such-model`));
    await expect(runPipeline(missing, 'report', options())).rejects.toThrow(/field 'models\[1\]\.path' \(model 'llama'\): checkpoint folder not found: .*no-such-model/);
    const badHook = writeSpec('hook', baseSpec('hooks: ["blocks.*.hook_resid_sideways"]'));
    await expect(runPipeline(badHook, 'report', options())).rejects.toThrow(/unknown hook 'blocks\.\*\.hook_resid_sideways'/);
    const tooLong = writeSpec('long', baseSpec().replace('seqLen: 16', 'seqLen: 200'));
    await expect(runPipeline(tooLong, 'report', options())).rejects.toThrow(/200/);
    // nothing was computed by any of them
    expect(await options().store.list()).toEqual([]);
  });
});

describe('pipeline runs on fixture models', () => {
  it('computes every step, then serves everything from cache, then recomputes only downstream of a change', async () => {
    const spec = writeSpec('run', baseSpec());
    const first = await runPipeline(spec, 'report', options());
    expect(hits(first).extract).toEqual([false, false]);
    expect(hits(first).metrics.every((h) => !h)).toBe(true);
    const summary = readFileSync(join(tmp, 'reports', 'fixture-run', 'summary.md'), 'utf8');
    expect(summary).toMatch(/## gpt2/);
    expect(summary).toMatch(/\| 3 \| 2 \| /); // hidden state 3 = output of layer 2

    const second = await runPipeline(spec, 'report', options());
    for (const step of ['extract', 'metrics', 'entropy']) expect(hits(second)[step].every(Boolean), step).toBe(true);

    // a metrics parameter changes: extract and entropy stay hits, metrics recomputes
    const changed = writeSpec('run', baseSpec('metrics: {eps: 0.2}'));
    const third = await runPipeline(changed, 'report', options());
    expect(hits(third).extract).toEqual([true, true]);
    expect(hits(third).entropy).toEqual([true, true, true, true]); // layer_entropy and entropy_sequences of two models
    expect(hits(third).lens).toEqual([true, true]); // the LogitLens reads activations only
    expect(hits(third).metrics.every((h) => !h)).toBe(true);
  });

  it('the streamed, stored measurements equal the in-memory ones on the same sequences', async () => {
    const spec = writeSpec('same', baseSpec().replace('name: fixture-run', 'name: same-run'));
    const opts = options();
    await runPipeline(spec, 'report', opts);
    const ctx = openContext(spec, opts);
    const plan = await modelPlan(ctx, 1);
    const model = await loadExtractionModel(plan.model.dir, { engine: 'tfjs' });
    try {
      const mem = await measureModel(model, plan.sequences, { eps: 0.3, epsSweep: [0.3], ks: [1], seqLenSweep: [], massiveTopK: 1, scoreNormalization: 'none', entropy: { center: false, normalizeRows: false, renyiAlphas: [2] } });
      const layers = (await ctx.store.list('layers')).length;
      expect(layers).toBeGreaterThan(0);
      const table = await readModelTables(ctx, 1);
      const sink = mem.sinks.sinkResult();
      const entropy = mem.entropy.result();
      table.tables.layers.forEach((row, i) => {
        if (i > 0) expect(row.sink_rate).toBeCloseTo(sink.perLayer.rate[i - 1], 6);
        expect(row.norm_ratio).toBeCloseTo(mem.sinks.normResult()[i].normRatio, 5);
        expect(row.entropy).toBeCloseTo(entropy[i].shannon.mean, 5);
        expect(row.entropy_bound).toBeCloseTo(entropy[i].bound!.mean, 5);
      });
      expect(table.tables.heads).toHaveLength(3 * 4);
      expect(table.tables.pattern).toHaveLength((16 * 17) / 2); // causal entries of one 16-token map
    } finally {
      model.dispose();
    }
  });

  it('a corrupted activations artifact is detected and recomputed, not read', async () => {
    const spec = writeSpec('corrupt', baseSpec().replace('name: fixture-run', 'name: corrupt-run'));
    const opts = options();
    const first = await runPipeline(spec, 'extract', opts);
    const { key } = first[0].artifacts[0];
    const files = readdirSync(join(tmp, 'cache', 'activations', key.slice(0, 2))).filter((f) => f.startsWith(key) && f.endsWith('.arrow'));
    const path = join(tmp, 'cache', 'activations', key.slice(0, 2), files[0]);
    const bytes = readFileSync(path);
    bytes[Math.floor(bytes.length / 2)] ^= 0xff;
    writeFileSync(path, bytes);
    const warnings: string[] = [];
    const again = await runPipeline(spec, 'extract', { ...opts, store: new ArtifactStore({ root: join(tmp, 'cache'), warn: (m) => warnings.push(m) }) });
    expect(again[0].artifacts[0].cacheHit).toBe(false);
    expect(again[0].artifacts[1].cacheHit).toBe(true);
    expect(warnings.join('\n')).toMatch(/activations/);
  });
});


describe('pipeline.schema.json', () => {
  it('is generated from the zod schema and up to date (npx tsx packages/pipeline/tools/write-spec-schema.ts)', async () => {
    const { pipelineSpecJsonSchema } = await import('../src/schema/json-schema.js');
    const onDisk = JSON.parse(readFileSync(resolve(here, '../pipeline.schema.json'), 'utf8'));
    expect(onDisk).toEqual(JSON.parse(JSON.stringify(pipelineSpecJsonSchema())));
    expect(onDisk.properties.metrics.properties.eps.default).toBe(0.3);
  });

  it("the Nx step executor's schema accepts every step of the step table (Nx refuses a target whose step it does not list)", async () => {
    const { STEP_TABLE } = await import('../src/step-table.mjs');
    const executor = JSON.parse(readFileSync(resolve(here, '../nx/executors/step/schema.json'), 'utf8'));
    expect(executor.properties.step.enum).toEqual(STEP_TABLE.map((s) => s.name));
  });
});
