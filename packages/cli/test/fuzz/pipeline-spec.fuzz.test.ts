// Property-based, through the real command line (in-process `sinkscope run <spec>`): 1000 broken
// pipeline.yaml files (wrong types, out-of-range values, unknown and missing fields, broken YAML,
// models and datasets that do not exist, a model whose files are broken) each end in a non-zero exit
// and one stderr line naming the spec file and the field, no stack trace, and nothing in the artifact
// store, the reports or the step receipts.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openContext, preflight } from '@sinkscope/pipeline';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuzzParameters, writeTinyCheckpoint } from '../../../model-io/test/fuzz/tiny-checkpoint.js';
import { expectCleanFailure, runCli, storedArtifacts } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'sinkscope-fuzz-spec-'));
const cache = join(tmp, 'cache');
const saved = { cache: process.env.SINKSCOPE_CACHE, runs: process.env.SINKSCOPE_RUNS, reports: process.env.SINKSCOPE_REPORTS, store: process.env.SINKSCOPE_STORE, launcher: process.env.SINKSCOPE_LAUNCHER };
beforeAll(() => {
  Object.assign(process.env, { SINKSCOPE_CACHE: cache, SINKSCOPE_RUNS: join(tmp, 'runs'), SINKSCOPE_REPORTS: join(tmp, 'reports') });
  delete process.env.SINKSCOPE_STORE;
  delete process.env.SINKSCOPE_LAUNCHER;
});
afterAll(() => {
  const restore = (k: string, v: string | undefined) => (v === undefined ? delete process.env[k] : (process.env[k] = v));
  restore('SINKSCOPE_CACHE', saved.cache);
  restore('SINKSCOPE_RUNS', saved.runs);
  restore('SINKSCOPE_REPORTS', saved.reports);
  restore('SINKSCOPE_STORE', saved.store);
  restore('SINKSCOPE_LAUNCHER', saved.launcher);
  rmSync(tmp, { recursive: true, force: true });
});

const tiny = writeTinyCheckpoint(join(tmp, 'tiny'), 'gpt2');
/** A spec that would run (checked below): the tiny model, 4 random-token sequences of 8 tokens. */
const BASE = {
  name: 'fuzz-spec',
  models: [{ name: 'tiny', path: tiny }],
  dataset: { spec: 'datasets/random-tokens-64.json', count: 4 },
  seqLen: 8,
  bosPolicy: 'always',
  engine: 'tfjs',
  metrics: { eps: 0.3, epsSweep: [0.3], ks: [1], seqLenSweep: [4, 8], massiveTopK: 2 },
  entropy: { renyiAlphas: [2] },
  hooks: ['blocks.0.hook_resid_post'],
  figures: ['profile'],
  patternExample: { layer: 0, head: 0, sequence: 0 },
};

type Spec = Record<string, unknown>;
type Path = (string | number)[];
function setAt(spec: Spec, path: Path, value: unknown): Spec {
  const copy = structuredClone(spec);
  let node = copy as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) {
    if (node[k] === undefined || node[k] === null || typeof node[k] !== 'object') node[k] = typeof path[path.indexOf(k) + 1] === 'number' ? [] : {};
    node = node[k] as Record<string | number, unknown>;
  }
  const last = path[path.length - 1];
  if (value === undefined) delete node[last];
  else node[last] = value;
  return copy;
}
const fieldName = (path: Path) => path.reduce<string>((a, p) => (typeof p === 'number' ? `${a}[${p}]` : a ? `${a}.${p}` : p), '');

/** Fields and values each can never take (the schema: packages/pipeline/src/spec/schema.ts). */
const BAD_VALUES: [Path, unknown[]][] = [
  [['name'], ['Fuzz Spec', '', 7, null, ['x'], '-lead']],
  [['description'], [5, false, ['x'], { a: 1 }]],
  [['models'], [[], 'tiny', 3, null, {}]],
  [['models', 0], ['tiny', 5, null, []]],
  [['models', 0, 'name'], ['has space', '', 'ü', 9, null]],
  [['models', 0, 'path'], ['', 12, null, []]],
  [['dataset'], ['datasets/x.json', 1, null, []]],
  [['dataset', 'spec'], ['', 5, null]],
  [['dataset', 'count'], [0, -1, 1.5, '4', null]],
  [['dataset', 'seed'], [-1, 0.5, 'seed']],
  [['seqLen'], [1, 0, -8, 8.5, '8', null]],
  [['bosPolicy'], ['sometimes', 1, null, true]],
  [['engine'], ['gpu', 'ONNX', 0, null]],
  [['shardSize'], [0, -2, 1.5, 'big']],
  [['launcher'], ['k8s', 1, null]],
  [['hooks'], ['blocks.0.hook_resid_post', [1], [''], null]],
  [['metrics'], [5, 'x', []]],
  [['metrics', 'eps'], [0, 1, -0.1, 1.5, '0.3', null]],
  [['metrics', 'epsSweep'], [[0], [1.2], 0.3, ['a']]],
  [['metrics', 'ks'], [[0], [-1], [1.5], 1]],
  [['metrics', 'seqLenSweep'], [[1], [0], 'x']],
  [['metrics', 'massiveTopK'], [0, -3, 2.5]],
  [['metrics', 'scoreNormalization'], ['l2', 3]],
  [['entropy', 'center'], ['yes', 1, null]],
  [['entropy', 'renyiAlphas'], [[0], [-2], 2]],
  [['ablations'], [{}, [{}], [{ kind: 'nope', hook: 'hook_resid_post', layers: 'auto' }], [{ kind: 'zero', hook: 'hook_q', layers: 'auto' }], [{ kind: 'zero', hook: 'hook_resid_post', layers: [] }]]],
  [['figures'], [['nope'], 'profile', [3]]],
  [['patternExample'], [[0, 0, 0], 'first']],
  [['patternExample', 'layer'], [-1, 0.5, 'zero']],
  [['slurm', 'mem'], ['lots', 8, '8 GB']],
  [['slurm', 'cpusPerTask'], [0, 1.5, '2']],
  [['slurm', 'steps', 'train'], [{}]],
];
const REQUIRED: Path[] = [['name'], ['models'], ['dataset'], ['models', 0, 'name'], ['models', 0, 'path'], ['dataset', 'spec']];
const OBJECTS: Path[] = [[], ['models', 0], ['dataset'], ['metrics'], ['entropy'], ['patternExample'], ['slurm'], ['slurm', 'steps']];

interface Case {
  text: string;
  names: string[];
  label: string;
  /** Written as pipeline.json instead of pipeline.yaml. */
  json?: boolean;
}

const specCase: fc.Arbitrary<Case> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.nat(), fc.nat()).map(([i, j]) => {
    const [path, values] = BAD_VALUES[i % BAD_VALUES.length];
    const value = values[j % values.length];
    // `null` for a field with a default is "absent" to YAML users too: zod rejects it, naming the field
    return { text: stringify(setAt(BASE, path, value)), names: [`field '${fieldName(path)}`, 'unknown field'], label: `${fieldName(path)} = ${JSON.stringify(value)}` };
  }) },
  // (__proto__ cannot be set as a key through a JS object; YAML text with it is covered by the insertions below)
  { weight: 2, arbitrary: fc.tuple(fc.nat(), fc.string({ minLength: 1, maxLength: 12 }).filter((k) => k !== '__proto__')).map(([i, key]) => {
    const at = OBJECTS[i % OBJECTS.length];
    const known = at.length === 0 ? Object.keys(BASE) : Object.keys(((at.reduce<unknown>((n, k) => (n as Record<string | number, unknown>)?.[k], BASE) ?? {}) as object));
    const field = known.includes(key) || (at.length === 0 && ['description', 'shardSize', 'launcher', 'slurm', 'ablations', '$schema'].includes(key)) ? `${key}_` : key;
    return { text: stringify(setAt(BASE, [...at, field], 1)), names: ['unknown field'], label: `unknown field ${JSON.stringify(field)} in ${fieldName(at) || 'the spec'}` };
  }) },
  { weight: 1, arbitrary: fc.nat().map((i) => {
    const path = REQUIRED[i % REQUIRED.length];
    return { text: stringify(setAt(BASE, path, undefined)), names: [`field '${fieldName(path)}'`], label: `without ${fieldName(path)}` };
  }) },
  // YAML or JSON that does not parse, or parses to a wrong value: a character inserted before a
  // non-blank one (a key, a value or YAML syntax is always broken; a trailing tab would still be valid, and * is a hook glob)
  { weight: 2, arbitrary: fc.tuple(fc.nat(), fc.constantFrom('"', '[', '{', '- ]', '&', '%')).map(([i, junk]) => {
    const text = stringify(BASE);
    const positions = [...text].flatMap((ch, k) => (/\s/.test(ch) ? [] : [k]));
    const at = positions[i % positions.length];
    return { text: `${text.slice(0, at)}${junk}${text.slice(at)}`, names: ['not valid YAML', "field '", 'unknown field', 'spec: '], label: `${JSON.stringify(junk)} inserted at ${at}` };
  }) },
  { weight: 1, arbitrary: fc.double({ min: 0, max: 0.98, noNaN: true }).map((f) => {
    const text = JSON.stringify(BASE);
    return { text: text.slice(0, Math.floor(f * text.length)), names: ['not valid JSON', 'spec: '], label: `pipeline.json truncated at ${f.toFixed(3)}`, json: true };
  }) },
  // valid to the schema, wrong for this machine: a model or dataset that is not there, a pattern example or hook past the model
  { weight: 2, arbitrary: fc.constantFrom<[Path, unknown]>(
    [['models', 0, 'path'], '/nonexistent/model'],
    [['models', 0, 'path'], 'packages/no-such-model'],
    [['dataset', 'spec'], 'datasets/no-such-set.json'],
    [['dataset', 'spec'], 'package.json'],
    [['patternExample', 'sequence'], 4],
    [['hooks'], ['blocks.7.hook_resid_post']],
    [['hooks'], ['no_such_hook']],
    [['patternExample', 'layer'], 2],
    [['patternExample', 'head'], 2],
  ).map(([path, value]) => ({ text: stringify(setAt(BASE, path, value)), names: [`field '${fieldName(path)}'`], label: `${fieldName(path)} = ${JSON.stringify(value)}` })) },
);

const specFile = join(tmp, 'spec', 'pipeline.yaml');
const specJson = join(tmp, 'spec', 'pipeline.json');
mkdirSync(join(tmp, 'spec'));

function expectNothingWritten(label: string): void {
  expect(storedArtifacts(cache), `${label}: artifacts were stored`).toEqual([]);
  for (const dir of ['runs', 'reports']) expect(readdirSafe(join(tmp, dir)), `${label}: ${dir} written`).toEqual([]);
}
function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

describe('fuzzed pipeline specs', () => {
  it('the base spec is valid: it passes the checks `run` makes before any work', async () => {
    writeFileSync(specFile, stringify(BASE));
    await preflight(openContext(specFile, { log: () => {} }));
    expectNothingWritten('preflight');
  });

  it('1000 broken specs: exit 2, one line naming the spec and the field, no stack, nothing stored', async () => {
    let cases = 0;
    await fc.assert(
      fc.asyncProperty(specCase, async (c) => {
        const file = c.json ? specJson : specFile;
        writeFileSync(file, c.text);
        const r = await runCli(['run', file]);
        expectCleanFailure(r, 'run', file, c.names, c.label);
        expectNothingWritten(c.label);
        cases += 1;
      }),
      fuzzParameters(1000, 40),
    );
    expect(cases).toBe(Number(process.env.SINKSCOPE_FUZZ_RUNS ?? 1000));
  });

  it('a spec naming a model with broken files: exit 2, the broken file named, nothing stored', async () => {
    const broken = join(tmp, 'broken');
    const cases: [string, (dir: string) => void, string][] = [
      ['config.json', (d) => writeFileSync(join(d, 'config.json'), JSON.stringify({ ...JSON.parse(readFileSync(join(d, 'config.json'), 'utf8')), n_head: 3 })), "field 'n_embd'"],
      ['model.safetensors', (d) => writeFileSync(join(d, 'model.safetensors'), readFileSync(join(d, 'model.safetensors')).subarray(0, 500)), 'header length'],
      ['model.safetensors', (d) => {
        const b = readFileSync(join(d, 'model.safetensors'));
        b.writeFloatLE(NaN, b.length - 4); // the last weight: read only when the extract step loads the model
        writeFileSync(join(d, 'model.safetensors'), b);
      }, 'holds NaN'],
      ['tokenizer.json', (d) => writeFileSync(join(d, 'tokenizer.json'), '{"model": {"type": "WordLevel", "vocab": {"a": "zero"}}}'), "field 'model.vocab.a'"],
    ];
    for (const [file, breakIt, name] of cases) {
      rmSync(broken, { recursive: true, force: true });
      mkdirSync(broken);
      for (const f of readdirSync(tiny)) copyFileSync(join(tiny, f), join(broken, f));
      breakIt(broken);
      writeFileSync(specFile, stringify(setAt(BASE, ['models', 0, 'path'], broken)));
      const r = await runCli(['run', specFile]);
      expectCleanFailure(r, 'run', join(broken, file), [name], `broken ${file}`);
      expectNothingWritten(`broken ${file}`);
    }
  });
});
