import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashFile } from './hash-file.js';
import { hashFiles } from './hash-files.js';
import { hashInputs } from './hash-inputs.js';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'sinkscope-hash-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Set a file's mtime an hour back, out of the racy window, as an old checkpoint's would be. */
function age(path: string, seconds = 3600): void {
  const t = Date.now() / 1000 - seconds;
  utimesSync(path, t, t);
}

describe('hashFile', () => {
  it('matches the published SHA-256 test vector', async () => {
    const path = join(tmp, 'abc.txt');
    writeFileSync(path, 'abc');
    expect(await hashFile(path)).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('streams files larger than its 4 MiB chunk to the same digest as a one-shot hash', async () => {
    const bytes = Buffer.alloc((4 << 20) * 2 + 3);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
    const path = join(tmp, 'big.bin');
    writeFileSync(path, bytes);
    expect(await hashFile(path)).toBe(createHash('sha256').update(bytes).digest('hex'));
  });
});

describe('hashFiles', () => {
  let dirA: string;
  let dirB: string;
  beforeAll(() => {
    dirA = join(tmp, 'a');
    dirB = join(tmp, 'b');
    for (const dir of [dirA, dirB]) {
      mkdirSync(dir);
      writeFileSync(join(dir, 'config.json'), '{"n_layer": 3}');
      writeFileSync(join(dir, 'model.safetensors'), 'weights');
    }
  });

  it('combines {name, sha256} pairs sorted by name: order and folder do not matter, names do', async () => {
    const one = await hashFiles([join(dirA, 'model.safetensors'), join(dirA, 'config.json')]);
    const two = await hashFiles([join(dirB, 'config.json'), join(dirB, 'model.safetensors')]);
    expect(one.sha256).toBe(two.sha256);
    expect(one.sha256).toBe(
      hashInputs([
        { name: 'config.json', sha256: createHash('sha256').update('{"n_layer": 3}').digest('hex') },
        { name: 'model.safetensors', sha256: createHash('sha256').update('weights').digest('hex') },
      ]),
    );
    expect(one.files.map((f) => [f.name, f.size])).toEqual([
      ['model.safetensors', 7],
      ['config.json', 14],
    ]);
    writeFileSync(join(tmp, 'renamed.json'), '{"n_layer": 3}');
    const renamed = await hashFiles([join(tmp, 'renamed.json'), join(dirA, 'model.safetensors')]);
    expect(renamed.sha256).not.toBe(one.sha256);
  });

  it('names a symlinked file (Hugging Face snapshot -> blob) by its link, caching by its target', async () => {
    const blobs = join(tmp, 'hub', 'blobs');
    const snapshot = join(tmp, 'hub', 'snapshots', 'rev1');
    mkdirSync(blobs, { recursive: true });
    mkdirSync(snapshot, { recursive: true });
    writeFileSync(join(blobs, 'b1'), '{"n_layer": 3}');
    writeFileSync(join(blobs, 'b2'), 'weights');
    symlinkSync('../../blobs/b1', join(snapshot, 'config.json'));
    symlinkSync('../../blobs/b2', join(snapshot, 'model.safetensors'));
    const viaLinks = await hashFiles([join(snapshot, 'config.json'), join(snapshot, 'model.safetensors')]);
    expect(viaLinks.files.map((f) => [f.name, f.path])).toEqual([
      ['config.json', realpathSync(join(blobs, 'b1'))],
      ['model.safetensors', realpathSync(join(blobs, 'b2'))],
    ]);
    expect(viaLinks.sha256).toBe((await hashFiles([join(dirA, 'config.json'), join(dirA, 'model.safetensors')])).sha256);
  });

  it('remembers digests by (path, size, mtime, inode) and re-hashes when they change', async () => {
    const cachePath = join(tmp, 'cache', 'file-hashes.json');
    const file = join(tmp, 'weights.bin');
    writeFileSync(file, 'first version');
    age(file);
    const first = await hashFiles([file], { cachePath });
    expect(first.files[0].fromCache).toBe(false);
    const second = await hashFiles([file], { cachePath });
    expect(second.files[0].fromCache).toBe(true);
    expect(second.sha256).toBe(first.sha256);
    const cache = JSON.parse(readFileSync(cachePath, 'utf8'));
    expect(cache.format).toBe('sinkscope.file-hashes');
    expect(cache.entries[file]).toMatchObject({ size: 13, sha256: createHash('sha256').update('first version').digest('hex') });

    writeFileSync(file, 'other version'); // same size, new mtime
    age(file, 1800);
    const third = await hashFiles([file], { cachePath });
    expect(third.files[0].fromCache).toBe(false);
    expect(third.files[0].sha256).toBe(createHash('sha256').update('other version').digest('hex'));
  });

  it('trusts size + mtime: a same-size edit that restores the mtime keeps the old digest (documented)', async () => {
    const cachePath = join(tmp, 'cache2.json');
    const file = join(tmp, 'sneaky.bin');
    writeFileSync(file, 'aaaa');
    age(file);
    const before = await hashFiles([file], { cachePath });
    const { atime, mtime } = statSync(file);
    writeFileSync(file, 'bbbb');
    utimesSync(file, atime, mtime);
    const after = await hashFiles([file], { cachePath });
    expect(after.files[0].fromCache).toBe(true);
    expect(after.sha256).toBe(before.sha256);
  });

  it('does not remember a file modified within the racy window', async () => {
    const cachePath = join(tmp, 'cache3.json');
    const file = join(tmp, 'fresh.bin');
    writeFileSync(file, 'just written');
    await hashFiles([file], { cachePath });
    expect((await hashFiles([file], { cachePath })).files[0].fromCache).toBe(false);
    expect((await hashFiles([file], { cachePath, racyWindowMs: 0 })).files[0].fromCache).toBe(false);
    expect((await hashFiles([file], { cachePath })).files[0].fromCache).toBe(true);
  });

  it('ignores a corrupt cache file and names missing or non-regular files', async () => {
    const cachePath = join(tmp, 'torn.json');
    writeFileSync(cachePath, '{"format": "sinkscope.file-has');
    const file = join(dirA, 'config.json');
    expect((await hashFiles([file], { cachePath })).files[0].sha256).toBe(createHash('sha256').update('{"n_layer": 3}').digest('hex'));
    await expect(hashFiles([join(tmp, 'nope.bin')])).rejects.toThrow(/nope\.bin.*ENOENT/);
    await expect(hashFiles([dirA])).rejects.toThrow(/is not a regular file/);
  });
});
