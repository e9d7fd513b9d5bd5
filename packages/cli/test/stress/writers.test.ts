// Writers under stress, with whole pipeline runs of the default model (16 sequences, up to the
// entropy step; the kill test up to metrics) compared with one clean in-process run, artifact by artifact (kind, key and the
// SHA-256 of the bytes):
// - two `sinkscope run` processes at once on one store: both finish, one valid artifact per key;
// - SIGKILL in the middle of a write on the local, shared-fs and S3 (s3rver) backends, then a rerun:
//   the half-written artifact is never read, and the rerun's tables equal the clean run's;
// - a full disk (the cache on a 256 KiB tmpfs): one line naming the store, nothing stored, and the
//   next run, with space, completes. Mounting needs root: outside CI it is skipped, saying so.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArtifactStore, S3Backend, SharedFsBackend } from '@sinkscope/artifacts';
import { runPipeline } from '@sinkscope/pipeline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { startS3Server, TEST_BUCKET, type TestS3Server, useTestAwsEnvironment } from '../../../artifacts/test/helpers/s3-server.js';
import { requirement } from '../../../../tools/test-requirements.js';
import { runCli, storedArtifacts } from '../fuzz/helpers.js';

const BIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/sinkscope.mjs');
const tmp = mkdtempSync(join(tmpdir(), 'sinkscope-writers-'));
const SPEC = join(tmp, 'pipeline.yaml');
writeFileSync(
  SPEC,
  stringify({
    name: 'writers',
    models: [{ name: 'default', path: 'default' }],
    dataset: { spec: 'datasets/backcopy-64.json', count: 16 },
    seqLen: 64,
    engine: 'onnx',
    metrics: { seqLenSweep: [16, 64] },
    figures: ['profile'],
  }),
);
const quiet = { log: () => {}, print: () => {} };

/** Every artifact of a store as kind/key/sha256, sorted; each one verified (read back whole). */
async function contents(store: ArtifactStore): Promise<string[]> {
  const manifests = await store.list();
  for (const m of manifests) expect(await store.verify(m.kind, m.key), `${m.kind}/${m.key} verifies`).toBeTruthy();
  return manifests.map((m) => `${m.kind}/${m.key}/${m.sha256}`).sort();
}

/** Staging files (a write in progress, or killed) under a folder: .tmp-<pid>- locally, .stage-<pid>@<host>- on a shared folder. */
function stagingFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true }).map(String).filter((f) => /\.(tmp-\d+-|stage-\d+@)/.test(f));
}

interface Child {
  proc: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
}
function sinkscopeRun(env: Record<string, string>, onStderr?: (text: string, proc: ChildProcess) => void): Child {
  const proc = spawn(process.execPath, [BIN, 'run', SPEC, '--until', 'entropy'], { env: { ...process.env, SINKSCOPE_REPORTS: join(tmp, 'reports'), ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    onStderr?.(stderr, proc);
  });
  return { proc, stderr: () => stderr, exited: new Promise((done) => proc.on('exit', (code) => done(code))) };
}

/** Run `f` with these environment variables set (undefined: unset), then restore them. */
async function withEnv<T>(vars: Record<string, string | undefined>, f: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  apply({ SINKSCOPE_REPORTS: join(tmp, 'reports'), ...vars });
  try {
    return await f();
  } finally {
    apply(saved);
  }
}

let reference: string[];
let s3: TestS3Server;
let restoreAws: () => void;
beforeAll(async () => {
  const store = new ArtifactStore({ root: join(tmp, 'reference') });
  await runPipeline(SPEC, 'entropy', { store, runsRoot: join(tmp, 'reference-runs'), reportsRoot: join(tmp, 'reports'), ...quiet });
  reference = await contents(store);
  s3 = await startS3Server();
  restoreAws = useTestAwsEnvironment(s3.endpoint);
}, 120_000);
afterAll(async () => {
  restoreAws?.();
  await s3?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('two `sinkscope run` at once on one store', () => {
  it('both finish; one valid artifact per key, equal to a single run\'s; no staging file left', async () => {
    expect(reference.filter((r) => r.startsWith('activations/'))).toHaveLength(1);
    const root = join(tmp, 'shared-store');
    const env = { SINKSCOPE_CACHE: root, SINKSCOPE_RUNS: join(tmp, 'runs-two') };
    const runs = [sinkscopeRun(env), sinkscopeRun(env)];
    const codes = await Promise.all(runs.map((r) => r.exited));
    expect(codes, runs.map((r) => r.stderr()).join('\n---\n')).toEqual([0, 0]);
    expect(await contents(new ArtifactStore({ root }))).toEqual(reference);
    expect(stagingFiles(root)).toEqual([]);
  });
});

describe('SIGKILL in the middle of a write, then a rerun', () => {
  it('local, shared-fs and S3: the killed write is never read; the rerun equals a clean run', async () => {
    const backends = {
      local: { env: { SINKSCOPE_CACHE: join(tmp, 'kill-local') }, store: () => new ArtifactStore({ root: join(tmp, 'kill-local'), warn: (m) => warnings.push(m) }), staging: join(tmp, 'kill-local') },
      'shared-fs': {
        env: { SINKSCOPE_STORE: `shared-fs://${join(tmp, 'kill-shared')}` },
        store: () => new ArtifactStore({ backend: new SharedFsBackend({ root: join(tmp, 'kill-shared') }), warn: (m) => warnings.push(m) }),
        staging: join(tmp, 'kill-shared'),
      },
      s3: {
        // the S3 backend stages a write in <tmpdir>/sinkscope-s3 before uploading it
        env: { SINKSCOPE_STORE: `s3://${TEST_BUCKET}/killed`, TMPDIR: join(tmp, 's3-tmp') },
        store: () => new ArtifactStore({ backend: new S3Backend({ bucket: TEST_BUCKET, prefix: 'killed', localDir: join(tmp, 's3-tmp', 'sinkscope-s3') }), warn: (m) => warnings.push(m) }),
        staging: join(tmp, 's3-tmp', 'sinkscope-s3'),
      },
    };
    const warnings: string[] = [];
    mkdirSync(join(tmp, 's3-tmp'));
    const entries = Object.entries(backends);
    // kill each run once the extract step has opened its activations artifact and is filling it
    const killed = entries.map(([, b]) =>
      sinkscopeRun({ ...b.env, SINKSCOPE_RUNS: join(tmp, 'runs-kill') }, (text, proc) => {
        if (/extract default: \d+ sequences x 64 tokens/.test(text) && proc.exitCode === null && !proc.killed) proc.kill('SIGKILL');
      }),
    );
    const codes = await Promise.all(killed.map((k) => k.exited));
    for (const [i, [name, b]] of entries.entries()) {
      expect(codes[i], `${name}: ${killed[i].stderr()}`).toBeNull(); // ended by the signal
      expect(stagingFiles(b.staging).length, `${name}: the kill left its half-written staging file`).toBe(1);
      expect(await b.store().list('activations'), `${name}: no activations artifact`).toEqual([]);
    }
    // the reruns run in this process (a process start costs more than the run): same command, same environment
    for (const [name, b] of entries) {
      const rerun = await withEnv({ SINKSCOPE_CACHE: undefined, SINKSCOPE_STORE: undefined, ...b.env, SINKSCOPE_RUNS: join(tmp, 'runs-rerun') }, () => runCli(['run', SPEC, '--until', 'metrics']));
      expect(rerun.code, `${name}: ${rerun.stderr}`).toBe(0);
      expect(rerun.stderr, name).not.toMatch(/corrupt|failed verification/i);
      expect(await contents(b.store()), name).toEqual(reference.filter((a) => !a.startsWith('layer_entropy/') && !a.startsWith('entropy_sequences/')));
      expect(stagingFiles(b.staging), `${name}: the dead writer's staging file was cleaned`).toEqual([]);
    }
    expect(warnings).toEqual([]);
  }, 120_000);
});

/** A tmpfs mounted for the test, or why not (mounting needs root and a kernel that allows it). */
function mountTmpfs(dir: string, size: string): string | undefined {
  mkdirSync(dir, { recursive: true });
  if (process.platform !== 'linux') return 'tmpfs mounts need Linux';
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root';
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `mount -t tmpfs failed: ${(r.stderr || r.error?.message || '').trim()}`;
}

describe('a full disk', () => {
  const disk = join(tmp, 'small-disk');
  const mounted = requirement('a small tmpfs for the full-disk test (root, mount -t tmpfs)', mountTmpfs(disk, '256k'));
  afterAll(() => {
    if (mounted) spawnSync('umount', [disk]);
  });

  it.skipIf(!mounted)('ENOSPC is one line naming the store; nothing is stored; with space, the next run completes', async () => {
    const cache = join(disk, 'cache');
    await withEnv({ SINKSCOPE_CACHE: cache, SINKSCOPE_STORE: undefined, SINKSCOPE_RUNS: join(tmp, 'runs-disk') }, async () => {
      const full = await runCli(['run', SPEC, '--until', 'entropy']);
      expect(full.code, full.stderr).toBe(2);
      const last = full.stderr.trimEnd().split('\n').at(-1)!;
      expect(last).toMatch(new RegExp(`^sinkscope run: local folder ${cache}: cannot write activations [0-9a-f]{12}: no space left on the device \\(ENOSPC, staging .+\\); nothing was stored`));
      expect(full.stderr).not.toMatch(/^\s+at /m);
      expect(storedArtifacts(cache)).toEqual([]);
      expect(await new ArtifactStore({ root: cache }).list()).toEqual([]);

      expect(spawnSync('mount', ['-o', 'remount,size=64m', disk]).status).toBe(0);
      const again = await runCli(['run', SPEC, '--until', 'entropy']);
      expect(again.code, again.stderr).toBe(0);
      expect(await contents(new ArtifactStore({ root: cache }))).toEqual(reference);
    });
  });
});
