import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SHIPPED_DATASETS_DIR, backcopyChoiceItems, backcopyLabelledExamples, buildEvalSet, createBackcopyWorld, loadLabelledSet, loadMultipleChoiceSet, parseDatasetSpec, resolveDatasetSpec } from '../src/index.js';
import { BACKCOPY_TASK_FILES, renderJsonl } from '../tools/write-backcopy-tasks.js';
import { charTokenizer } from './char-tokenizer.js';

const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

/** A word-level stand-in for the default model's tokenizer: "t<k>" -> k, whitespace split, BOS 64 never added by `auto` (the model was trained without one). */
const words = {
  vocabSize: 65,
  bosTokenId: 64,
  encodeRaw: (text: string) => text.split(/\s+/).filter(Boolean).map((w) => Number(w.slice(1))),
  prefixIds: (policy: string) => (policy === 'always' ? [64] : []),
  describe: () => 'word-level t0..t63',
};

async function specFor(kind: 'multiple-choice' | 'labelled', lines: string, count = 10) {
  const dir = await mkdtemp(join(tmpdir(), 'sinkscope-tasks-'));
  dirs.push(dir);
  await writeFile(join(dir, 'task.jsonl'), lines);
  return parseDatasetSpec({ name: 'task', source: { kind, path: 'task.jsonl' }, count, seqLen: 16, seed: 0 }, 'task.json', dir);
}

describe('task sets (multiple-choice, labelled)', () => {
  it("the shipped back-copy files equal their generator in the default model's world, and every multiple-choice gold is the token that world's copy rule writes", async () => {
    for (const [file, make] of Object.entries(BACKCOPY_TASK_FILES)) expect(await readFile(join(SHIPPED_DATASETS_DIR, file), 'utf8')).toBe(renderJsonl(make()));
    const world = createBackcopyWorld({ taskSeed: 1, offsets: [1, 2] });
    const set = await loadMultipleChoiceSet(await resolveDatasetSpec('backcopy-choice'), words, { seqLen: 64, bosPolicy: 'auto' });
    expect(set.items).toHaveLength(100);
    for (const item of set.items) {
      const ctx = item.contextIds;
      expect(ctx[0]).toBeLessThan(world.numOrdinary); // a random ordinary first word, no BOS
      const last = ctx[ctx.length - 1];
      const group = world.groupOf[last];
      expect(group).toBeGreaterThanOrEqual(0); // the context ends on a trigger...
      const copied = ctx[ctx.length - 1 - world.offsets[group]]; // ...whose rule copies the token o_g back
      expect(item.choices[item.gold].ids).toEqual([copied]);
      expect(new Set(item.choices.map((c) => c.ids[0])).size).toBe(4);
    }
    const labelled = await loadLabelledSet(await resolveDatasetSpec('backcopy-labels'), words, { seqLen: 64, bosPolicy: 'auto' });
    expect(labelled.labels).toEqual(['bigram', 'copy']);
    expect(labelled.examples.filter((e) => e.label === 1)).toHaveLength(60);
  });

  it('another task world with a random first word: every gold is the copy rule of that world, every text starts on an ordinary word', () => {
    const options = { taskSeed: 1, offsets: [1, 2], firstToken: 'random' as const };
    const world = createBackcopyWorld({ taskSeed: 1, offsets: [1, 2] });
    const ids = (text: string) => text.split(' ').map((w) => Number(w.slice(1)));
    const items = backcopyChoiceItems(50, options);
    expect(items).toHaveLength(50);
    const firstWords = new Set<number>();
    for (const item of items) {
      const ctx = ids(item.context);
      expect(ctx.every((id) => id >= 0 && id < world.numOrdinary)).toBe(true); // no BOS anywhere
      firstWords.add(ctx[0]);
      const group = world.groupOf[ctx[ctx.length - 1]];
      expect(group).toBeGreaterThanOrEqual(0);
      expect(ctx.length - 1 - world.offsets[group]).toBeGreaterThanOrEqual(1); // the copied token is not the random first word
      expect(item.choices[item.gold]).toBe(` t${ctx[ctx.length - 1 - world.offsets[group]]}`);
    }
    expect(firstWords.size).toBeGreaterThan(20);
    // the same rows as the BOS-first items of that world, one random word in front
    const bosFirst = backcopyChoiceItems(50, { taskSeed: 1, offsets: [1, 2] });
    items.forEach((item, i) => expect(item.context.split(' ').slice(1).join(' ')).toBe(bosFirst[i].context));
    const labelled = backcopyLabelledExamples(40, options);
    for (const e of labelled) {
      const text = ids(e.text);
      const group = world.groupOf[text[text.length - 1]];
      if (e.label === 'copy') expect(group).toBeGreaterThanOrEqual(0);
    }
    expect(labelled.filter((e) => e.label === 'copy')).toHaveLength(20);
  });

  it("lm-eval's pair encoding: trailing spaces move to the choice; the BOS prefix comes first; long contexts lose their first tokens", async () => {
    const tok = charTokenizer({ addsBosByDefault: true });
    const spec = await specFor('multiple-choice', `${JSON.stringify({ context: 'abc ', choices: ['de', 'f'], gold: 1 })}\n`);
    const set = await loadMultipleChoiceSet(spec, tok, { seqLen: 16, bosPolicy: 'always' });
    const [item] = set.items;
    expect(item.contextIds).toEqual([...tok.prefixIds('always'), ...tok.encodeRaw('abc')]);
    expect(item.choices.map((c) => c.ids)).toEqual([tok.encodeRaw(' de'), tok.encodeRaw(' f')]);
    expect(item.choices.map((c) => c.chars)).toEqual([2, 1]);
    const long = await specFor('multiple-choice', `${JSON.stringify({ context: 'abcdefghijklmnopqrstuvwxyz', choices: ['12', '3'], gold: 0 })}\n`);
    const cut = (await loadMultipleChoiceSet(long, tok, { seqLen: 16, bosPolicy: 'always' })).items[0];
    expect(cut.contextIds.length + 2).toBe(16);
    expect(cut.contextIds.slice(-3)).toEqual(tok.encodeRaw('xyz'));
  });

  it('bad records name the file, the line and the field; a task source is not an evaluation set', async () => {
    const tok = charTokenizer({ addsBosByDefault: true });
    const bad = await specFor('multiple-choice', `${JSON.stringify({ context: 'a', choices: ['b'], gold: 0 })}\n`);
    await expect(loadMultipleChoiceSet(bad, tok, { seqLen: 16, bosPolicy: 'always' })).rejects.toThrow(/task.jsonl:1: field 'choices' must be a list of at least two strings/);
    const gold = await specFor('multiple-choice', `\n${JSON.stringify({ context: 'a', choices: ['b', 'c'], gold: 2 })}\n`);
    await expect(loadMultipleChoiceSet(gold, tok, { seqLen: 16, bosPolicy: 'always' })).rejects.toThrow(/task.jsonl:2: field 'gold' must be an index into 'choices' \(0..1\), got 2/);
    const one = await specFor('labelled', `${JSON.stringify({ text: 'a', label: 'x' })}\n`);
    await expect(loadLabelledSet(one, tok, { seqLen: 16, bosPolicy: 'always' })).rejects.toThrow(/at least two labels/);
    await expect(loadLabelledSet(one, null, { seqLen: 16, bosPolicy: 'always' })).rejects.toThrow(/needs a tokenizer/);
    await expect(buildEvalSet(one, tok)).rejects.toThrow(/is a task for the depth analyses \(a pipeline's analyses.probes\)/);
  });

  it('count takes a seeded sample of the records, the same on every call', async () => {
    const lines = Array.from({ length: 20 }, (_, i) => JSON.stringify({ text: `w${i}`, label: i % 2 })).join('\n');
    const spec = await specFor('labelled', lines, 5);
    const tok = charTokenizer({ addsBosByDefault: true });
    const a = await loadLabelledSet(spec, tok, { seqLen: 16, bosPolicy: 'never' });
    const b = await loadLabelledSet(spec, tok, { seqLen: 16, bosPolicy: 'never' });
    expect(a.examples).toHaveLength(5);
    expect(a.hash).toBe(b.hash);
    expect(a.labels).toEqual(['0', '1']);
  });
});
