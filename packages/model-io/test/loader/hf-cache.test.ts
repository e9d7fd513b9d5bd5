import { mkdirSync, mkdtempSync, readFileSync, realpathSync, renameSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { allCachedRevisionNames, Checkpoint, HubCacheError, hubCacheDir, locateCheckpoint, parseRepoRef, resolveHubSnapshot, stepOfRevision, type HookName } from '../../src/index.js';
import { OnnxModel } from '../../src/engines/onnx/index.js';
import { markNoExist, writeFakeHubCache } from '../../src/testing/index.js';
import { fixtureDir } from '../fixtures.js';

const tmp = mkdtempSync(join(tmpdir(), 'sinkscope-hub-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A fresh cache folder per test. */
let n = 0;
const newCache = () => join(tmp, `cache-${n++}`);

const COMMIT_A = 'a'.repeat(8) + '1234567890abcdef1234567890abcdef';
const COMMIT_B = 'b'.repeat(8) + '1234567890abcdef1234567890abcdef';

describe('where the hub cache is', () => {
  it('follows huggingface_hub: HF_HUB_CACHE, HUGGINGFACE_HUB_CACHE, HF_HOME/hub, XDG_CACHE_HOME/huggingface/hub, ~/.cache/huggingface/hub', () => {
    expect(hubCacheDir({ HF_HUB_CACHE: '/a', HUGGINGFACE_HUB_CACHE: '/b', HF_HOME: '/c' })).toBe('/a');
    expect(hubCacheDir({ HUGGINGFACE_HUB_CACHE: '/b', HF_HOME: '/c' })).toBe('/b');
    expect(hubCacheDir({ HF_HOME: '/c', XDG_CACHE_HOME: '/x' })).toBe('/c/hub');
    expect(hubCacheDir({ XDG_CACHE_HOME: '/x' })).toBe('/x/huggingface/hub');
    expect(hubCacheDir({})).toBe(join(homedir(), '.cache/huggingface/hub'));
    expect(hubCacheDir({ HF_HOME: '~/hf' })).toBe(join(homedir(), 'hf/hub'));
  });

  it('reads org/name[@revision] as a repo and anything path-like as a folder', () => {
    expect(parseRepoRef('EleutherAI/pythia-70m')).toEqual({ repoId: 'EleutherAI/pythia-70m', revision: undefined });
    expect(parseRepoRef('EleutherAI/pythia-70m@step1000')).toEqual({ repoId: 'EleutherAI/pythia-70m', revision: 'step1000' });
    expect(parseRepoRef('org/m.v1_x@refs/pr/1')).toEqual({ repoId: 'org/m.v1_x', revision: 'refs/pr/1' });
    for (const folder of ['./org/name', '../shared/fixtures', '/abs/path', 'a/b/c', 'gpt2', 'org/..', 'org/name@', 'org/name@../x', 'org/name@a//b']) expect(parseRepoRef(folder), folder).toBeNull();
    expect(stepOfRevision('step143000')).toBe(143000);
    expect(stepOfRevision('stage1-step5000-tokens21B')).toBe(5000);
    expect(stepOfRevision('main')).toBeUndefined();
  });
});

describe('resolving a revision to its snapshot', () => {
  const cache = newCache();
  const { repoFolder, commits } = writeFakeHubCache(cache, 'tiny/pythia', [
    { source: fixtureDir('gpt_neox_pythia'), refs: ['step1000', 'refs/pr/1'], commit: COMMIT_A },
    { source: fixtureDir('gpt_neox_pythia_bf16'), refs: ['main', 'step2000', 'v1.0'], commit: COMMIT_B },
    { source: fixtureDir('gpt_neox_sequential') }, // a commit-hash revision with no ref
  ]);

  it('main by default, branches, tags, PR refs, full commits with no ref and commit prefixes', () => {
    const at = (rev?: string) => resolveHubSnapshot('tiny/pythia', rev, { cacheDir: cache });
    expect(at().commit).toBe(COMMIT_B);
    expect(at().revision).toBe('main');
    expect(at('step1000').dir).toBe(join(repoFolder, 'snapshots', COMMIT_A));
    expect(at('refs/pr/1').commit).toBe(COMMIT_A);
    expect(at('v1.0').commit).toBe(COMMIT_B);
    expect(at(commits[2]).commit).toBe(commits[2]);
    expect(at(commits[2].slice(0, 7)).commit).toBe(commits[2]);
    expect(at('bbbbbbbb12').commit).toBe(COMMIT_B);
  });

  it('follows the blob symlinks: the snapshot reads as the fixture folder, byte for byte', () => {
    const ckpt = Checkpoint.open(resolveHubSnapshot('tiny/pythia', 'step2000', { cacheDir: cache }).dir);
    const ref = Checkpoint.open(fixtureDir('gpt_neox_pythia_bf16'));
    try {
      expect(ckpt.storedDtypes).toEqual({ BF16: 40 });
      expect(ckpt.tensorNames.sort()).toEqual(ref.tensorNames.sort());
      for (const name of ['gpt_neox.embed_in.weight', 'gpt_neox.layers.2.attention.query_key_value.weight']) expect(ckpt.read(name).data).toEqual(ref.read(name).data);
      expect(realpathSync(ckpt.weightFiles[0])).toMatch(/\/blobs\/[0-9a-f]{64}$/);
    } finally {
      ckpt.close();
      ref.close();
    }
  });

  it('a missing revision names the cache, the revisions there and the download command', () => {
    let message = '';
    try {
      resolveHubSnapshot('tiny/pythia', 'step3000', { cacheDir: cache });
    } catch (err) {
      expect(err).toBeInstanceOf(HubCacheError);
      message = (err as Error).message;
    }
    expect(message).toBe(
      `tiny/pythia@step3000 is not in the Hugging Face cache ${cache} (models--tiny--pythia holds: main (bbbbbbbb1234), refs/pr/1 (aaaaaaaa1234), step1000 (aaaaaaaa1234), step2000 (bbbbbbbb1234), v1.0 (bbbbbbbb1234), ${commits[2].slice(0, 12)} (no ref)); ` +
        'nothing is downloaded, fetch it with: hf download tiny/pythia --revision step3000 (or: huggingface-cli download tiny/pythia --revision step3000)',
    );
    expect(message).not.toContain('\n');
  });

  it('a missing repo names the cache folder and the command without --revision for main', () => {
    expect(() => resolveHubSnapshot('tiny/absent', undefined, { cacheDir: cache })).toThrow(
      `tiny/absent is not in the Hugging Face cache ${cache} (no models--tiny--absent there; HF_HUB_CACHE / HF_HOME choose the cache); nothing is downloaded, fetch it with: hf download tiny/absent (or: huggingface-cli download tiny/absent)`,
    );
  });

  it('an ambiguous commit prefix lists the matches', () => {
    const c2 = newCache();
    writeFakeHubCache(c2, 'o/m', [
      { source: fixtureDir('gpt2'), commit: `abcd${'1'.repeat(36)}` },
      { source: fixtureDir('gpt2'), commit: `abcd${'2'.repeat(36)}` },
    ]);
    expect(() => resolveHubSnapshot('o/m', 'abcd', { cacheDir: c2 })).toThrow(/the commit prefix matches 2 cached snapshots \(abcd11111111, abcd22222222\)/);
    expect(resolveHubSnapshot('o/m', 'abcd2', { cacheDir: c2 }).commit).toBe(`abcd${'2'.repeat(36)}`);
  });
});

describe('half-cached snapshots fail before loading, saying what to fetch', () => {
  it('a sharded checkpoint with one shard not downloaded', () => {
    const cache = newCache();
    writeFakeHubCache(cache, 'tiny/llama', [{ source: fixtureDir('llama_sharded'), refs: ['main'], omit: ['model-00002-of-00003.safetensors'] }]);
    expect(() => resolveHubSnapshot('tiny/llama', 'main', { cacheDir: cache })).toThrow(
      /tiny\/llama@main \(snapshot [0-9a-f]{12} in .*models--tiny--llama\): 2 of 3 weight shards are cached, missing model-00002-of-00003\.safetensors \(listed in model\.safetensors\.index\.json\); fetch it with: hf download tiny\/llama \(/,
    );
  });

  it('a dangling blob symlink (a pruned cache)', () => {
    const cache = newCache();
    writeFakeHubCache(cache, 'tiny/gpt2', [{ source: fixtureDir('gpt2'), refs: ['main'], dangling: ['model.safetensors'] }]);
    expect(() => resolveHubSnapshot('tiny/gpt2', 'main', { cacheDir: cache })).toThrow(/model\.safetensors is a symlink to a missing blob \(blobs\/[0-9a-f]{64}-pruned\); the cache was pruned or a download did not finish/);
  });

  it('.no_exist records that the repo has no safetensors at that commit', () => {
    const cache = newCache();
    const { repoFolder, commits } = writeFakeHubCache(cache, 'tiny/bin-only', [{ source: fixtureDir('gpt2'), refs: ['main'], omit: ['model.safetensors'] }]);
    expect(() => resolveHubSnapshot('tiny/bin-only', 'main', { cacheDir: cache })).toThrow(/model\.safetensors is not cached; fetch it with: hf download tiny\/bin-only/);
    markNoExist(repoFolder, commits[0], 'model.safetensors');
    expect(() => resolveHubSnapshot('tiny/bin-only', 'main', { cacheDir: cache })).toThrow(/the repo has no model\.safetensors at this commit \(recorded in \.no_exist\); only safetensors checkpoints are read/);
  });

  it('a ref naming a commit whose snapshot was deleted', () => {
    const cache = newCache();
    const { repoFolder, commits } = writeFakeHubCache(cache, 'tiny/gone', [{ source: fixtureDir('gpt2'), refs: ['main', 'step1'] }]);
    rmSync(join(repoFolder, 'snapshots', commits[0]), { recursive: true });
    expect(() => resolveHubSnapshot('tiny/gone', 'step1', { cacheDir: cache })).toThrow(/tiny\/gone@step1 names commit [0-9a-f]{12} \(refs\/step1\) but its snapshot is not in .*\(cached: none\); fetch it with: hf download tiny\/gone --revision step1/);
  });
});

describe('locating a model by name', () => {
  it('a folder that exists wins over a repo id, default is the given folder, a hub id resolves in the cache', () => {
    const cache = newCache();
    writeFakeHubCache(cache, 'org/model', [{ source: fixtureDir('gpt2'), refs: ['main'] }]);
    const base = join(tmp, 'base');
    mkdirSync(join(base, 'org/model'), { recursive: true });
    expect(locateCheckpoint('org/model', { baseDir: base, cacheDir: cache })).toEqual({ kind: 'folder', dir: join(base, 'org/model') });
    expect(locateCheckpoint('default', { defaultDir: '/the/default', cacheDir: cache })).toEqual({ kind: 'default', dir: '/the/default' });
    const hub = locateCheckpoint('org/model', { baseDir: tmp, cacheDir: cache });
    expect(hub).toMatchObject({ kind: 'hub', repoId: 'org/model', revision: 'main' });
    expect(() => locateCheckpoint('org/other@v2', { baseDir: tmp, cacheDir: cache })).toThrow(`no folder ${join(tmp, 'org/other@v2')}, and org/other is not in the Hugging Face cache`);
    expect(() => locateCheckpoint('./no/such/folder', { baseDir: tmp, cacheDir: cache })).toThrow(/checkpoint folder not found: .*no\/such\/folder/);
  });

  it('a moved cache resolves the same files (the content hash, not the path, is what keys results)', () => {
    const cache = newCache();
    writeFakeHubCache(cache, 'org/model', [{ source: fixtureDir('gpt2'), refs: ['main'] }]);
    const before = readFileSync(join(resolveHubSnapshot('org/model', 'main', { cacheDir: cache }).dir, 'model.safetensors'));
    const moved = `${cache}-moved`;
    renameSync(cache, moved);
    const after = readFileSync(join(resolveHubSnapshot('org/model', 'main', { cacheDir: moved }).dir, 'model.safetensors'));
    expect(after.equals(before)).toBe(true);
    expect(after.equals(readFileSync(join(fixtureDir('gpt2'), 'model.safetensors')))).toBe(true);
  });
});

describe('revisions: all-cached', () => {
  it('one name per cached commit, a step-named ref preferred, unnamed snapshots by commit prefix, ordered by step', () => {
    const cache = newCache();
    const { repoFolder } = writeFakeHubCache(cache, 'tiny/pythia', [
      { source: fixtureDir('gpt_neox_pythia'), refs: ['step20'] },
      { source: fixtureDir('gpt_neox_pythia_bf16'), refs: ['main', 'step143'] },
      { source: fixtureDir('gpt_neox_sequential'), refs: ['step3'] },
    ]);
    expect(allCachedRevisionNames(repoFolder)).toEqual(['step3', 'step20', 'step143']);
    const c2 = newCache();
    const two = writeFakeHubCache(c2, 'o/m', [{ source: fixtureDir('gpt2'), refs: ['main'] }, { source: fixtureDir('gpt2') }]);
    expect(allCachedRevisionNames(two.repoFolder)).toEqual([two.commits[1].slice(0, 12), 'main'].sort());
    unlinkSync(join(two.repoFolder, 'refs', 'main'));
    expect(allCachedRevisionNames(two.repoFolder)).toEqual(two.commits.map((c) => c.slice(0, 12)).sort());
  });
});

describe('the onnx engine reads weights in place through symlinks', () => {
  // ORT resolves symlinks and refuses external data outside the folder it is given: a snapshot's
  // files are links into blobs/, and a user's folder may link shards from elsewhere.
  const cache = newCache();
  writeFakeHubCache(cache, 'tiny/gpt2', [{ source: fixtureDir('gpt2'), refs: ['main'], commit: COMMIT_A }]);
  const elsewhere = join(tmp, 'linked-folder');
  mkdirSync(elsewhere);
  for (const file of ['config.json', 'model.safetensors']) symlinkSync(join(fixtureDir('gpt2'), file), join(elsewhere, file));

  it.each([false, true])('streaming %s: a snapshot and a folder of links give the fixture folder\'s numbers exactly', async (streaming) => {
    const sequences = [[511, 464, 208, 75, 218], [511, 314, 58]];
    const capture: HookName[] = ['blocks.0.hook_resid_post', 'blocks.1.attn.hook_pattern', 'logits'];
    const ref = await OnnxModel.load(fixtureDir('gpt2'), { threads: 1, streaming });
    const want = await ref.run(sequences, { capture });
    await ref.dispose();
    for (const dir of [resolveHubSnapshot('tiny/gpt2', undefined, { cacheDir: cache }).dir, elsewhere]) {
      const model = await OnnxModel.load(dir, { threads: 1, streaming });
      try {
        const got = await model.run(sequences, { capture });
        for (const hook of capture) expect(got.get(hook)!.data, `${dir} ${hook}`).toEqual(want.get(hook)!.data);
      } finally {
        await model.dispose();
      }
    }
  });
});
