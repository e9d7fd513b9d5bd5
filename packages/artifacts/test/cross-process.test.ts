import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ArtifactStore, LAYERS, readArtifactMetadata } from '../src/index.js';
import { filesUnder, keyOf, layersColumns, layersMetadata, recordWarnings, removeRoot, tempRoot } from './helpers/store-fixtures.js';

const CHILD = resolve(dirname(fileURLToPath(import.meta.url)), 'helpers/child-writer.ts');
const roots: string[] = [];
afterAll(() => roots.forEach(removeRoot));

function child(...args: string[]): { proc: ChildProcess; output: Promise<string>; exited: Promise<number | null> } {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((res) => proc.on('exit', (code) => res(code)));
  const output = exited.then((code) => {
    if (code !== 0 && code !== null) throw new Error(`child-writer exited ${code}: ${err}`);
    return out;
  });
  return { proc, output, exited };
}

function waitForLine(proc: ChildProcess, line: string): Promise<void> {
  return new Promise((res, rej) => {
    let buf = '';
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes(line)) res();
    });
    proc.on('exit', (code) => rej(new Error(`child exited (${code}) before printing '${line}'`)));
  });
}

describe('across processes', () => {
  it('a writer killed mid-write (SIGKILL) leaves no artifact; its staging file is ignored, then cleaned', async () => {
    const root = tempRoot('crash');
    roots.push(root);
    const key = keyOf('crash');
    const c = child(root, 'crash', key);
    await waitForLine(c.proc, 'appended');
    c.proc.kill('SIGKILL');
    await c.exited;
    const shard = `layers/${key.slice(0, 2)}`;
    const left = filesUnder(root);
    expect(left).toHaveLength(1);
    expect(left[0]).toMatch(new RegExp(`^${shard}/${key}\\.arrow\\.tmp-${c.proc.pid}-[0-9a-f]+$`));

    const warnings = recordWarnings();
    const store = new ArtifactStore({ root, warn: warnings.warn });
    expect(await store.read('layers', key)).toBeUndefined();
    expect(warnings.messages).toEqual([]); // a staging file is not an artifact: nothing to warn about
    expect(await store.sweep()).toEqual([join(root, left[0])]);
    const again = await store.ensure('layers', key, LAYERS.schema, layersMetadata(), (w) => w.append(layersColumns(5, 1)));
    expect(again.hit).toBe(false);
    expect(filesUnder(root)).toEqual([`${shard}/${key}.arrow`, `${shard}/${key}.json`]);
  });

  it('two processes rewriting one key while a third reads: every read is whole, the end state is one valid artifact', async () => {
    const root = tempRoot('two-writers');
    roots.push(root);
    const key = keyOf('two writers');
    const iterations = 15;
    const writers = [child(root, 'loop', key, '1', String(iterations)), child(root, 'loop', key, '2', String(iterations))];
    const warnings = recordWarnings();
    const store = new ArtifactStore({ root, warn: warnings.warn });
    let running = true;
    const done = Promise.all(writers.map((w) => w.output)).finally(() => (running = false));
    let reads = 0;
    while (running) {
      const table = await store.read('layers', key);
      if (table) {
        // Model column, schema metadata and values must all come from one write.
        const tag = Number(readArtifactMetadata(table.schema).extra.tag);
        const models = new Set(table.getChild('model')!.toArray() as string[]);
        expect([...models]).toEqual([`writer-${tag}`]);
        const want = layersColumns(40, tag).first_token_norm;
        expect(table.getChild('first_token_norm')!.toArray()).toEqual(Float32Array.from([...want, ...want]));
        reads += 1;
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    expect((await done).every((out) => out.includes('done'))).toBe(true);
    expect(reads).toBeGreaterThan(0);
    expect(warnings.messages).toEqual([]);
    const final = (await store.read('layers', key))!;
    const tag = Number(readArtifactMetadata(final.schema).extra.tag);
    expect([1000 + iterations - 1, 2000 + iterations - 1]).toContain(tag);
    const shard = `layers/${key.slice(0, 2)}`;
    expect(filesUnder(root)).toEqual([`${shard}/${key}.arrow`, `${shard}/${key}.json`]);
  });
});
