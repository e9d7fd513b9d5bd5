import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SHIPPED_DATASETS_DIR, buildEvalSet, loadDatasetSpec, parseDatasetSpec, resolveDatasetSpec } from '../src/index.js';
import { charTokenizer } from './char-tokenizer.js';
import { SPEC_SCHEMA_FILE, specSchemaFileText } from '../tools/write-spec-schema.js';

const SHIPPED = ['backcopy-64', 'brown-64', 'moby-dick-64', 'random-tokens-64', 'repeated-token-64', 'sotu-64'];
/** The depth analyses' task sets (multiple choice, labelled), beside the evaluation sets. */
const SHIPPED_TASKS = ['backcopy-choice', 'backcopy-labels'];
const tmpDirs: string[] = [];
afterAll(async () => {
  await Promise.all(tmpDirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('shipped specs', () => {
  it('are exactly the six documented sets and the two task sets', async () => {
    const files = (await readdir(SHIPPED_DATASETS_DIR)).filter((f) => f.endsWith('.json') && f !== 'dataset-spec.schema.json');
    expect(files.sort()).toEqual([...SHIPPED, ...SHIPPED_TASKS].sort().map((n) => `${n}.json`));
  });

  it.each(SHIPPED)('%s validates: 100 sequences of 64 tokens, named after its file', async (name) => {
    const spec = await loadDatasetSpec(join(SHIPPED_DATASETS_DIR, `${name}.json`));
    expect(spec.name).toBe(name);
    expect(spec.count).toBe(100);
    expect(spec.seqLen).toBe(64);
    expect(spec.$schema).toBe('./dataset-spec.schema.json');
  });

  it.each(SHIPPED)('%s builds 100 x 64 ids, BOS first where the model has one (char tokenizer; the back-copy task brings its own vocabulary)', async (name) => {
    const spec = await resolveDatasetSpec(name);
    const set = await buildEvalSet(spec, spec.source.kind === 'bigram-backcopy' ? null : charTokenizer({ addsBosByDefault: true }));
    expect(set.sequences).toHaveLength(100);
    expect(set.sequences.every((row) => row.length === 64)).toBe(true);
    // backcopy-64 is the default model's world: a random ordinary first token (ids 0..63), never BOS (64)
    if (name === 'backcopy-64') {
      expect(set.firstIsBos).toBe(false);
      expect(set.sequences.every((row) => row.every((id) => id >= 0 && id < 64))).toBe(true);
    } else expect(set.firstIsBos).toBe(true);
  });

  it('dataset-spec.schema.json is the one generated from the zod schema', async () => {
    expect(await readFile(SPEC_SCHEMA_FILE, 'utf8')).toBe(specSchemaFileText());
  });

  it('resolves a shipped spec by name', async () => {
    expect((await resolveDatasetSpec('moby-dick-64')).source).toEqual({ kind: 'moby-dick', sections: 'chapters', windowsPerDocument: 2 });
    await expect(resolveDatasetSpec('no-such-set')).rejects.toThrow(`dataset spec "no-such-set": no such file, and no shipped spec ${join(SHIPPED_DATASETS_DIR, 'no-such-set.json')}`);
  });
});

describe('spec validation', () => {
  const valid = { name: 'x', source: { kind: 'moby-dick' }, count: 10, seqLen: 64, seed: 0 };

  it('fills defaults (the normalised spec)', () => {
    expect(parseDatasetSpec(valid, 'x.json')).toEqual({ ...valid, source: { kind: 'moby-dick', sections: 'chapters' }, bosPolicy: 'auto' });
    expect(parseDatasetSpec({ ...valid, source: { kind: 'jsonl', path: 'a.jsonl' } }, 'x.json', '/data').source).toEqual({
      kind: 'jsonl',
      path: '/data/a.jsonl',
      field: 'text',
      packing: 'per-document',
      separator: '\n\n',
    });
  });

  it('names the file, the field and the value found', () => {
    expect(() => parseDatasetSpec({ ...valid, source: { kind: 'wikipedia' } }, 'datasets/w.json')).toThrow(
      `datasets/w.json: source.kind: Invalid discriminator value. Expected 'sotu' | 'moby-dick' | 'brown' | 'jsonl' | 'text' | 'random-tokens' | 'repeated-token' | 'bigram-backcopy' | 'multiple-choice' | 'labelled' (found "wikipedia")`,
    );
    expect(() => parseDatasetSpec({ ...valid, count: 0 }, 'datasets/c.json')).toThrow('datasets/c.json: count: Too small: expected number to be >=1 (found 0)');
    expect(() => parseDatasetSpec({ ...valid, seed: 2 ** 32 }, 'datasets/s.json')).toThrow('datasets/s.json: seed: Too big: expected number to be <=4294967295 (found 4294967296)');
    expect(() => parseDatasetSpec({ ...valid, bosPolicy: 'sometimes' }, 'b.json')).toThrow('b.json: bosPolicy: Invalid option: expected one of "auto"|"always"|"never" (found "sometimes")');
    expect(() => parseDatasetSpec({ ...valid, source: { kind: 'moby-dick', chapters: 3 } }, 'k.json')).toThrow('k.json: source: Unrecognized key: "chapters"');
    expect(() => parseDatasetSpec({ name: 'Bad Name', source: { kind: 'text' }, count: 1, seqLen: 1, seed: 0 }, 'n.json')).toThrow(
      'n.json: name: must be lower-case letters, digits, ".", "_" or "-" (found "Bad Name")\nn.json: source.path: Invalid input: expected string, received undefined',
    );
  });

  it('names a spec file that is not JSON', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sinkscope-spec-'));
    tmpDirs.push(dir);
    await writeFile(join(dir, 'broken.json'), '{"name": ');
    await expect(loadDatasetSpec(join(dir, 'broken.json'))).rejects.toThrow(new RegExp(`^${join(dir, 'broken.json')}: is not valid JSON`));
  });
});
