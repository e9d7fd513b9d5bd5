import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAblationSpecs, type AblationRow } from '@sinkscope/ablation';
import { PLANTED, writePlantedGpt2 } from '@sinkscope/ablation/testing';
import { ArtifactStore } from '@sinkscope/artifacts';
import { afterAll, describe, expect, it } from 'vitest';
import { openContext, parseSpec, runPipeline, runStep, type StepReceipt } from '../src/index.js';
import { fixtureSpecText } from './fixture-spec.js';

const FIXTURES = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../../shared/fixtures/hf');
const tmp = mkdtempSync(join(tmpdir(), 'sinkscope-ablate-step-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const modelDir = writePlantedGpt2(join(tmp, 'planted'));

const spec = (ablations: string) => {
  const file = join(tmp, 'pipeline.yaml');
  writeFileSync(
    file,
    fixtureSpecText('ablate-fixture', { planted: modelDir }, `ablations:\n${ablations}\n`),
  );
  return file;
};

/** The `ablation` rows of a receipt's artifacts, sorted by (model, intervention, hidden_index). */
async function ablationRows(store: ArtifactStore, artifacts: StepReceipt['artifacts']): Promise<AblationRow[]> {
  const rows: AblationRow[] = [];
  for (const a of artifacts.filter((x) => x.kind === 'ablation')) rows.push(...(await store.read('ablation', a.key))!.toArray().map((r) => (r as { toJSON(): AblationRow }).toJSON()));
  return rows.sort((a, b) => a.model.localeCompare(b.model) || a.intervention.localeCompare(b.intervention) || a.hidden_index - b.hidden_index);
}

/** sha256 of every file under the store's root, by relative path. */
function snapshot(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.set(relative(root, path), createHash('sha256').update(readFileSync(path)).digest('hex'));
    }
  };
  walk(root);
  return out;
}

describe('the ablate step of a pipeline', () => {
  it('writes one artifact per run, leaves extract/metrics/entropy untouched, recomputes only an added ablation', async () => {
    const cacheRoot = join(tmp, 'cache');
    const printed: string[] = [];
    const logs: string[] = [];
    const options = { store: new ArtifactStore({ root: cacheRoot, warn: () => {} }), reportsRoot: join(tmp, 'reports'), runsRoot: join(tmp, 'runs'), log: (m: string) => logs.push(m), print: (t: string) => printed.push(t) };
    const zero = '  - { kind: zero, hook: hook_mlp_out, layers: auto }';
    await runPipeline(spec(zero), 'entropy', options);
    const before = snapshot(cacheRoot);
    expect([...before.keys()].some((p) => p.includes('layer_metrics'))).toBe(true);

    const first = await runStep(openContext(spec(zero), options), 'ablate');
    // baseline (ablation, ablation_sequences, ablation_baseline_means) + targeted + 2 controls (2 kinds each), and the model's ablation_effects
    expect(first.artifacts.map((a) => a.kind).sort()).toEqual([...Array(4).fill('ablation'), 'ablation_baseline_means', 'ablation_effects', ...Array(4).fill('ablation_sequences')]);
    expect(first.artifacts.every((a) => !a.cacheHit)).toBe(true);
    // the massive activation is judged from the metrics step's residual states (state 6 = the final norm's input)
    expect(logs.find((m) => m.includes("(from the metrics step's layer_metrics)"))).toMatch(
      /^ablate planted: massive activation at hidden state 2, hidden state 3, hidden state 4, hidden state 5, hidden state 6 \(before the final norm\) .*it forms at hidden state 2, the output of block 1/,
    );
    const after = snapshot(cacheRoot);
    for (const [path, sha] of before) expect(after.get(path), path).toBe(sha);

    // the joined table: one row per (intervention, hidden_index), the figure's input
    const rows = await ablationRows(options.store, first.artifacts);
    expect(rows).toHaveLength(4 * (PLANTED.layers + 1));
    const at = (name: string, i: number) => rows.find((r) => r.intervention === name && r.hidden_index === i)!;
    expect(at('baseline', 2).norm_ratio).toBeGreaterThan(20);
    expect(at('zero hook_mlp_out L=auto', 2).norm_ratio).toBeLessThan(2);
    expect(at('zero hook_mlp_out L=auto', 2).role).toBe('targeted');
    expect(printed.join('')).toMatch(/\| targeted \| zero hook_mlp_out L=auto \| 2 \| /);
    expect(printed.join('')).toContain('- zero hook_mlp_out L=auto: block 1 (auto), where the massive activation forms (hidden state 2, the largest rise of the first-token norm ratio).');

    // adding one ablation computes only its runs; everything else is a cache hit
    const both = `${zero}\n  - { kind: rescale-norm, hook: hook_resid_post, layers: auto, norm: median-of-others, controls: false }`;
    const second = await runStep(openContext(spec(both), options), 'ablate');
    const fresh = second.artifacts.filter((a) => !a.cacheHit);
    // its runs, and the model's ablation_effects (which lists every ablation) anew
    expect(fresh.map((a) => a.kind).sort()).toEqual(['ablation', 'ablation_effects', 'ablation_sequences']);
    expect(second.artifacts.filter((a) => a.cacheHit)).toEqual(first.artifacts.filter((a) => a.kind !== 'ablation_effects').map((a) => ({ ...a, cacheHit: true })));
    // the tables printed from cache equal the first run's
    expect(printed[1]).toContain(printed[0].split('\n').filter((l) => l.startsWith('| targeted |'))[0]);
    for (const [path, sha] of before) expect(snapshot(cacheRoot).get(path), path).toBe(sha);
  });

  it('runPipeline as a library runs a spec with ablations end to end, nothing registered first', async () => {
    const opts = { store: new ArtifactStore({ root: join(tmp, 'lib-cache'), warn: () => {} }), reportsRoot: join(tmp, 'lib-reports'), runsRoot: join(tmp, 'lib-runs'), log: () => {}, print: () => {} };
    const file = spec('  - { kind: zero, hook: hook_mlp_out, layers: auto, controls: false }');
    const receipts = await runPipeline(file, 'report', opts);
    expect(receipts.map((r) => r.step)).toEqual(['extract', 'metrics', 'entropy', 'lens', 'ablate', 'report']);
    const ablate = receipts.find((r) => r.step === 'ablate')!;
    expect(ablate.artifacts.map((a) => a.kind).sort()).toEqual(['ablation', 'ablation', 'ablation_baseline_means', 'ablation_effects', 'ablation_sequences', 'ablation_sequences']);
    const rows = await ablationRows(opts.store, ablate.artifacts);
    expect(rows.find((r) => r.intervention === 'zero hook_mlp_out L=auto' && r.hidden_index === 2)!.norm_ratio).toBeLessThan(2);
    expect(readFileSync(join(tmp, 'lib-reports', 'ablate-fixture', 'index.html'), 'utf8')).toContain('Ablations (baseline, targeted, control)');
  });

  it('a model with no massive activation: the ablate step runs no model, stores its finding, and the report says so in words', async () => {
    const printed: string[] = [];
    const opts = { store: new ArtifactStore({ root: join(tmp, 'none-cache'), warn: () => {} }), reportsRoot: join(tmp, 'none-reports'), runsRoot: join(tmp, 'none-runs'), log: () => {}, print: (t: string) => printed.push(t) };
    const file = join(tmp, 'none.yaml');
    const ablations = '  - { kind: zero, hook: hook_mlp_out, layers: auto }\n  - { kind: rescale-norm, hook: hook_resid_post, layers: auto, norm: median-of-others }';
    writeFileSync(file, fixtureSpecText('ablate-none', { gpt2: join(FIXTURES, 'gpt2') }, `ablations:\n${ablations}\nfigures: [profile, ablation]\n`));
    const receipts = await runPipeline(file, 'report', opts);
    const ablate = receipts.find((r) => r.step === 'ablate')!;
    expect(ablate.artifacts.map((a) => a.kind)).toEqual(['ablation_effects']);
    const effects = (await opts.store.read('ablation_effects', ablate.artifacts[0].key))!;
    expect(effects.schema.metadata.get('sinkscope.massive_found')).toBe('false');
    expect(effects.toArray().map((r) => [r.role, r.ablation])).toEqual([
      ['skipped', 'zero hook_mlp_out L=auto'],
      ['skipped', 'rescale-norm(median-of-others) hook_resid_post L=auto'],
    ]);
    // the numbers in the words are the metrics step's: ratios of the residual states, top |a| before the final norm
    const metrics = receipts.find((r) => r.step === 'metrics')!.artifacts.find((a) => a.kind === 'layer_metrics')!;
    const layers = (await opts.store.read('layer_metrics', metrics.key))!.toArray().map((r) => r.toJSON() as Record<string, number>);
    const ratios = layers.map((r) => r.residual_norm_ratio);
    const ratio = Math.max(...ratios);
    const top = layers.at(-1)!.residual_top_activation;
    expect(ratio).toBeLessThan(10);
    expect(top).toBeLessThan(100);
    const verdict = `no massive activation found (largest ratio ${Number(ratio.toPrecision(3))} at hidden state ${ratios.indexOf(ratio)}; top |activation| ${Number(top.toPrecision(3))} at hidden state ${layers.length - 1} (before the final norm), `;
    expect(effects.schema.metadata.get('sinkscope.massive_verdict')).toContain(verdict);
    const text = printed.join('');
    expect(text).toContain(`Nothing to ablate: ${verdict}`);
    expect(text).toContain("- zero hook_mlp_out L=auto did not run: layers 'auto' acts where the first token's massive activation forms, and this model has none.");
    expect(text).not.toContain('| targeted |');
    const html = readFileSync(join(tmp, 'none-reports', 'ablate-none', 'index.html'), 'utf8');
    expect(html).toContain(`Nothing to ablate: ${verdict}`);
    expect(html).not.toContain('id="figure-ablation"');
    expect(html).not.toContain('Ablations (baseline, targeted, control) per hidden state');
  });

  it('a bad ablation names the spec file and field before any work', async () => {
    const options = { store: new ArtifactStore({ root: join(tmp, 'bad-cache'), warn: () => {} }), reportsRoot: join(tmp, 'r'), runsRoot: join(tmp, 'runs2'), log: () => {}, print: () => {} };
    const file = spec('  - { kind: zero, hook: hook_mlp_out, layers: [7] }');
    await expect(runStep(openContext(file, options), 'ablate')).rejects.toThrow(
      `${file}: model 'planted': ablations[0]: field 'layers' names block 7, but this gpt2 model has blocks 0..5`,
    );
    expect(await options.store.list()).toEqual([]);
  });

  it('the shipped bos-ablation pipeline spec validates, and its ablations parse', async () => {
    const file = fileURLToPath(new URL('../../../pipelines/bos-ablation/pipeline.yaml', import.meta.url));
    const parsed = parseSpec(file, readFileSync(file, 'utf8'));
    expect(parsed.figures).toContain('ablation');
    expect(parseAblationSpecs(parsed.ablations).length).toBeGreaterThanOrEqual(2);
  });
});
