// Models named by Hugging Face repo id and revision (issue 21), resolved in a fake hub cache built from
// the shared fixtures: spec expansion (`revisions:`), runs keyed by content (a cache snapshot is a hit
// for the folder it came from, and stays one when the cache moves), errors, receipts and Nx projects.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArtifactStore } from '@sinkscope/artifacts';
import { writeFakeHubCache } from '@sinkscope/model-io/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodesV2 } from '../nx/plugin.mjs';
import { modelPlan, openContext, parseSpec, runPipeline, runStep, SpecError, type StepReceipt } from '../src/index.js';
import { fixtureSpecText } from './fixture-spec.js';

const here = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(here, '../../..');
const FIXTURES = resolve(REPO, '../shared/fixtures/hf');
const tmp = mkdtempSync(join(tmpdir(), 'sinkscope-hub-pipeline-'));
const savedCache = process.env.HF_HUB_CACHE;
let cache = join(tmp, 'hub');

beforeAll(() => {
  // one repo with three training steps (main = step3000), one with a PR revision, one plain model
  writeFakeHubCache(cache, 'tiny/pythia', [
    { source: join(FIXTURES, 'gpt_neox_pythia'), refs: ['step1000', 'refs/pr/1'] },
    { source: join(FIXTURES, 'gpt_neox_sequential'), refs: ['step2000'] },
    { source: join(FIXTURES, 'gpt_neox_pythia_bf16'), refs: ['step3000', 'main'] },
  ]);
  writeFakeHubCache(cache, 'tiny/gpt2', [{ source: join(FIXTURES, 'gpt2'), refs: ['main'] }]);
  process.env.HF_HUB_CACHE = cache;
});
afterAll(() => {
  if (savedCache === undefined) delete process.env.HF_HUB_CACHE;
  else process.env.HF_HUB_CACHE = savedCache;
  rmSync(tmp, { recursive: true, force: true });
});

function writeSpec(name: string, body: string): string {
  const file = join(tmp, `${name}.yaml`);
  writeFileSync(file, body);
  return file;
}

const options = () => ({ store: new ArtifactStore({ root: join(tmp, 'store'), warn: () => {} }), reportsRoot: join(tmp, 'reports'), runsRoot: join(tmp, 'runs'), log: () => {}, print: () => {} });
const revisionsSpec = (revisions: string, extra = '') => fixtureSpecText('dynamics', {}, extra).replace('models:\n', `models:\n  - name: pythia\n    path: tiny/pythia\n    revisions: ${revisions}\n`);

describe('spec entries with revisions', () => {
  it('expand into one model per revision: <name>@<revision>, series <name>, step from the revision', () => {
    const spec = parseSpec('p.yaml', revisionsSpec('[step1000, step3000, main, refs/pr/1]').replace('dataset:', `  - name: gpt2\n    path: ${FIXTURES}/gpt2\ndataset:`));
    expect(spec.models).toEqual([
      { name: 'pythia@step1000', path: 'tiny/pythia@step1000', series: 'pythia', step: 1000 },
      { name: 'pythia@step3000', path: 'tiny/pythia@step3000', series: 'pythia', step: 3000 },
      { name: 'pythia@main', path: 'tiny/pythia@main', series: 'pythia' },
      { name: 'pythia@refs/pr/1', path: 'tiny/pythia@refs/pr/1', series: 'pythia' },
      { name: 'gpt2', path: `${FIXTURES}/gpt2`, series: 'gpt2' },
    ]);
  });

  it('all-cached takes every cached snapshot once, in step order', () => {
    const spec = parseSpec('p.yaml', revisionsSpec('all-cached'));
    expect(spec.models.map((m) => [m.name, m.step])).toEqual([
      ['pythia@step1000', 1000],
      ['pythia@step2000', 2000],
      ['pythia@step3000', 3000],
    ]);
  });

  it('bad entries name the field and the file', () => {
    const problem = (text: string) => {
      try {
        parseSpec('p.yaml', text);
      } catch (err) {
        expect(err).toBeInstanceOf(SpecError);
        return (err as Error).message;
      }
      return 'no error';
    };
    expect(problem(revisionsSpec('[step1]').replace('path: tiny/pythia', 'path: tiny/pythia@main'))).toBe(
      "p.yaml: field 'models[0].path': with 'revisions', 'path' is a Hugging Face repo id org/name without @revision (got 'tiny/pythia@main')",
    );
    expect(problem(revisionsSpec('[step1]').replace('revisions:', 'step: 5\n    revisions:'))).toBe("p.yaml: field 'models[0].step': with 'revisions', each model's step comes from its revision name");
    expect(problem(revisionsSpec('[../x]'))).toMatch(/field 'models\[0\]\.revisions\[0\]': a branch, tag, commit or refs\/pr\/N/);
    expect(problem(revisionsSpec('all-cached').replace('tiny/pythia', 'tiny/absent'))).toBe(
      `p.yaml: field 'models[0].revisions': all-cached: no revision of tiny/absent is in the Hugging Face cache ${cache} (no snapshots in models--tiny--absent); fetch one with: hf download tiny/absent --revision <revision>`,
    );
    expect(problem(revisionsSpec('[step1000, step1000]'))).toBe("p.yaml: field 'models[0].name': model 'pythia@step1000' is named twice (also by models[0])");
  });
});

describe('running models from the hub cache', () => {
  const hits = (receipts: StepReceipt[], step: string) => receipts.filter((r) => r.step === step).flatMap((r) => r.artifacts.map((a) => [a.model, a.cacheHit]));

  it('a snapshot is a cache hit for the folder it was downloaded from, before and after the cache moves', async () => {
    const fromFolder = await runPipeline(writeSpec('folder', fixtureSpecText('hub-run', { gpt2: `${FIXTURES}/gpt2` })), 'entropy', options());
    expect(hits(fromFolder, 'extract')).toEqual([['gpt2', false]]);
    const fromHub = await runPipeline(writeSpec('hub', fixtureSpecText('hub-run', { gpt2: 'tiny/gpt2' })), 'entropy', options());
    for (const step of ['extract', 'metrics', 'entropy']) expect(hits(fromHub, step).every(([, hit]) => hit), step).toBe(true);
    expect(fromHub.find((r) => r.step === 'extract')!.artifacts[0].key).toBe(fromFolder.find((r) => r.step === 'extract')!.artifacts[0].key);

    const moved = join(tmp, 'hub-moved');
    renameSync(cache, moved);
    process.env.HF_HUB_CACHE = cache = moved;
    const afterMove = await runPipeline(writeSpec('hub', fixtureSpecText('hub-run', { gpt2: 'tiny/gpt2@main' })), 'entropy', options());
    expect(hits(afterMove, 'extract')).toEqual([['gpt2', true]]);
    const plan = await modelPlan(openContext(writeSpec('hub', fixtureSpecText('hub-run', { gpt2: 'tiny/gpt2@main' })), options()), 0);
    expect(plan.model.location).toMatchObject({ kind: 'hub', repoId: 'tiny/gpt2', revision: 'main', cacheDir: moved });
    expect(plan.model.dir.startsWith(join(moved, 'models--tiny--gpt2', 'snapshots'))).toBe(true);
  });

  it('revisions run as models of their own; one of them as an Nx model project would, with its receipt in a folder of its own', async () => {
    const file = writeSpec('dynamics', revisionsSpec('[step1000, refs/pr/1]'));
    const receipts = await runPipeline(file, 'extract', options());
    expect(receipts[0].artifacts.map((a) => a.model)).toEqual(['pythia@step1000', 'pythia@refs/pr/1']);
    // step1000 and refs/pr/1 are one commit: one artifact key
    expect(new Set(receipts[0].artifacts.map((a) => a.key)).size).toBe(1);
    const ctx = openContext(file, { ...options(), model: 'pythia@refs/pr/1' });
    expect(ctx.modelIndices).toEqual([1]);
    await runStep(ctx, 'extract');
    expect(existsSync(join(tmp, 'runs', 'dynamics', 'pythia@refs%2Fpr%2F1', 'extract.json'))).toBe(true);
  });

  it('a revision missing from the cache fails before any work, in one line naming the cache, what is there and the download command', async () => {
    const store = join(tmp, 'store-missing');
    const run = runPipeline(writeSpec('missing', revisionsSpec('[step1000, step5000]')), 'report', { ...options(), store: new ArtifactStore({ root: store, warn: () => {} }) });
    await expect(run).rejects.toThrow(
      new RegExp(
        `missing\\.yaml: field 'models\\[0\\]\\.path' \\(model 'pythia@step5000'\\): tiny/pythia@step5000 is not in the Hugging Face cache ${cache.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(models--tiny--pythia holds: main \\([0-9a-f]{12}\\), refs/pr/1 .*\\); nothing is downloaded, fetch it with: hf download tiny/pythia --revision step5000 \\(or: huggingface-cli download tiny/pythia --revision step5000\\)$`,
      ),
    );
    expect(existsSync(store) ? await new ArtifactStore({ root: store }).list() : []).toEqual([]);
  });
});

describe('Nx projects of hub models', () => {
  // asynchronous, so the test worker stays responsive while Nx's runtime input runs
  const hash = async (args: string[]) => (await promisify(execFile)(process.execPath, ['--import', 'tsx', join(REPO, 'packages/pipeline/nx/task-inputs.ts'), ...args], { encoding: 'utf8', cwd: REPO, env: { ...process.env, HF_HUB_CACHE: cache } })).stdout;

  it('one project per revision (names with @ and /), inputs hashing each snapshot by content', async () => {
    mkdirSync(join(tmp, 'ws/pipelines/dyn'), { recursive: true });
    const specFile = join(tmp, 'ws/pipelines/dyn/pipeline.yaml');
    writeFileSync(specFile, revisionsSpec('[step1000, refs/pr/1, step2000]'));
    const [, createNodes] = createNodesV2;
    const results = await createNodes(['pipelines/dyn/pipeline.yaml'], undefined, { workspaceRoot: join(tmp, 'ws'), nxJsonConfiguration: {} } as never);
    const projects = results[0][1].projects as Record<string, { name: string; targets: Record<string, { options?: { model?: string }; outputs?: string[]; inputs?: unknown[] }> }>;
    expect(Object.keys(projects).sort()).toEqual(['pipelines/dyn', 'pipelines/dyn/models/pythia@refs%2Fpr%2F1', 'pipelines/dyn/models/pythia@step1000', 'pipelines/dyn/models/pythia@step2000']);
    const pr = projects['pipelines/dyn/models/pythia@refs%2Fpr%2F1'];
    expect(pr.name).toBe('dyn.pythia@refs/pr/1');
    expect(pr.targets.extract.options?.model).toBe('pythia@refs/pr/1');
    expect(pr.targets.extract.outputs).toEqual(['{workspaceRoot}/.sinkscope/runs/dyn/pythia@refs%2Fpr%2F1/extract.json']);
    expect(pr.targets.extract.inputs?.[0]).toEqual({ runtime: `node --import tsx packages/pipeline/nx/task-inputs.ts pipelines/dyn/pipeline.yaml pythia@refs/pr/1` });

    // the runtime input: refs/pr/1 and step1000 are one commit of one series, so one content; step2000 differs
    const s1000 = await hash([specFile, 'pythia@step1000']);
    expect(await hash([specFile, 'pythia@step1000'])).toBe(s1000);
    expect(await hash([specFile, 'pythia@step2000'])).not.toBe(s1000);
    // adding a revision leaves the others' tasks alone
    const more = join(tmp, 'ws/pipelines/dyn/more.yaml');
    writeFileSync(more, revisionsSpec('[step1000, refs/pr/1, step2000, step3000]'));
    expect(await hash([more, 'pythia@step1000'])).toBe(s1000);
    expect(await hash([more])).not.toBe(await hash([specFile]));
  });
});
