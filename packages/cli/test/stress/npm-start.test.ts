// Two `npm start` at once (the README's first command, typed twice): both finish, the store holds one
// valid artifact per key, equal byte for byte to a single in-process run's, and the report is whole.
// Nx runs with a fresh cache and workspace-data folder of its own (as on a fresh clone) and the
// store, receipts and report go to a temporary folder, so the developer's own are untouched.
// Two full runs of the default pipeline cost about a minute on 2 cores: this runs in CI (`CI` set)
// or with SINKSCOPE_STRESS=1, and is skipped otherwise, saying so.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArtifactStore } from '@sinkscope/artifacts';
import { REPO_ROOT, runPipeline } from '@sinkscope/pipeline';
import { afterAll, describe, expect, it } from 'vitest';
import { inCi } from '../../../../tools/test-requirements.js';

const enabled = inCi() || process.env.SINKSCOPE_STRESS === '1';
if (!enabled) console.warn('SKIPPED two concurrent `npm start` (about a minute on 2 cores): runs in CI, or with SINKSCOPE_STRESS=1');
const tmp = mkdtempSync(join(tmpdir(), 'sinkscope-npm-start-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function npmStart(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const child = spawn('npm', ['start'], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('exit', (code) => done({ code, output }));
  });
}

async function contents(store: ArtifactStore): Promise<string[]> {
  const manifests = await store.list();
  for (const m of manifests) expect(await store.verify(m.kind, m.key), `${m.kind}/${m.key} verifies`).toBeTruthy();
  return manifests.map((m) => `${m.kind}/${m.key}/${m.sha256}`).sort();
}

describe.skipIf(!enabled)('two `npm start` at once', () => {
  it('both finish; one valid artifact per key, equal to a single run\'s; the report is whole', async () => {
    const env = {
      SINKSCOPE_CACHE: join(tmp, 'cache'),
      SINKSCOPE_RUNS: join(tmp, 'runs'),
      SINKSCOPE_REPORTS: join(tmp, 'reports'),
      NX_CACHE_DIRECTORY: join(tmp, 'nx-cache'),
      NX_WORKSPACE_DATA_DIRECTORY: join(tmp, 'nx-data'),
      NX_DAEMON: 'false',
      NX_NO_CLOUD: 'true',
    };
    const [a, b] = await Promise.all([npmStart(env), npmStart(env)]);
    expect(a.code, a.output).toBe(0);
    expect(b.code, b.output).toBe(0);
    for (const run of [a, b]) {
      expect(run.output).toMatch(/model-level Sink_1: \d+\.\d+ %/);
      expect(run.output).not.toMatch(/npm (warn|WARN)/);
    }

    const reference = new ArtifactStore({ root: join(tmp, 'reference') });
    await runPipeline(join(REPO_ROOT, 'pipelines/sink-valley/pipeline.yaml'), 'report', { store: reference, runsRoot: join(tmp, 'reference-runs'), reportsRoot: join(tmp, 'reference-reports'), log: () => {}, print: () => {} });
    expect(await contents(new ArtifactStore({ root: env.SINKSCOPE_CACHE }))).toEqual(await contents(reference));
    expect(readdirSync(env.SINKSCOPE_CACHE, { recursive: true }).map(String).filter((f) => /\.tmp-\d+-/.test(f))).toEqual([]);
    const report = join(env.SINKSCOPE_REPORTS, 'sink-valley');
    expect(existsSync(join(report, 'index.html'))).toBe(true);
    expect(readdirSync(report).sort()).toEqual(readdirSync(join(tmp, 'reference-reports', 'sink-valley')).sort());
  }, 300_000);
});
