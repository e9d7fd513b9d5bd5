// Property-based, through the real command line (in-process `sinkscope measure`): broken token-id
// files (1000 cases), and broken config.json, model.safetensors and tokenizer.json of a tiny model
// (300 cases each; the loaders are fuzzed 1000+ times each in packages/model-io/test/fuzz), each end in
// a non-zero exit and one stderr line naming the file and the field, no stack trace, and no output file.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { fuzzParameters, TINY_CONFIGS, TINY_VOCAB, writeTinyCheckpoint } from '../../../model-io/test/fuzz/tiny-checkpoint.js';
import { expectCleanFailure, runCli } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'sinkscope-fuzz-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const pristine = writeTinyCheckpoint(join(tmp, 'pristine'), 'gpt2');
const model = join(tmp, 'model');
const out = join(tmp, 'out.json');
function restoreModel(): void {
  rmSync(model, { recursive: true, force: true });
  mkdirSync(model);
  for (const f of readdirSync(pristine)) copyFileSync(join(pristine, f), join(model, f));
}
const measure = (extra: string[]) => runCli(['measure', '--model', model, ...extra, '--engine', 'tfjs', '--backend', 'cpu', '--json', out]);

describe('token-id files', () => {
  const ids = join(tmp, 'ids.json');
  const id = fc.integer({ min: 0, max: TINY_VOCAB - 1 });
  const sequences = fc.array(fc.array(id, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 4 });
  /** JSON text of a token-id file with exactly one thing wrong, and what the error must name. */
  const broken = fc.oneof(
    // one id replaced by something that is not an id of this vocabulary
    fc.tuple(sequences, fc.nat(), fc.nat(), fc.constantFrom('-1', String(TINY_VOCAB), '1000000', '1.5', '"3"', 'null', 'true', '[]', '{}', '1e400', '-0.5', '[1]')).map(([seqs, i, j, bad]) => {
      const s = i % seqs.length;
      const p = j % seqs[s].length;
      const text = `[${seqs.map((q, k) => `[${q.map((v, l) => (k === s && l === p ? bad : String(v))).join(',')}]`).join(',')}]`;
      return { text, names: [`sequence ${s}, position ${p}`], label: `sequence ${s} position ${p} = ${bad}` };
    }),
    // a sequence that is not a non-empty list, or a file that is not a list of lists
    fc.tuple(sequences, fc.nat(), fc.constantFrom('[]', '5', '"text"', 'null', '{}')).map(([seqs, i, bad]) => {
      const s = i % seqs.length;
      return { text: `[${seqs.map((q, k) => (k === s ? bad : JSON.stringify(q))).join(',')}]`, names: [`sequence ${s}`], label: `sequence ${s} = ${bad}` };
    }),
    fc.constantFrom('[]', '{}', '"ids"', '7', 'null', 'true').map((text) => ({ text, names: ['expected a non-empty array'], label: `file = ${text}` })),
    // longer than the model's 16 learned positions
    fc.tuple(sequences, fc.nat(), fc.integer({ min: 17, max: 40 })).map(([seqs, i, n]) => {
      const s = i % seqs.length;
      const copy = seqs.map((q, k) => (k === s ? Array.from({ length: n }, (_, t) => t % TINY_VOCAB) : q));
      return { text: JSON.stringify(copy), names: [`sequence ${s}`], label: `sequence ${s} has ${n} tokens` };
    }),
    // not JSON: truncated, or any text
    fc.tuple(sequences, fc.double({ min: 0, max: 0.999, noNaN: true })).map(([seqs, f]) => {
      const full = JSON.stringify(seqs);
      return { text: full.slice(0, Math.floor(f * full.length)), names: ['not valid JSON'], label: `truncated at ${Math.floor(f * full.length)}` };
    }),
    fc.string({ maxLength: 20 }).filter((s) => {
      try {
        JSON.parse(s);
        return false;
      } catch {
        return true;
      }
    }).map((text) => ({ text, names: ['not valid JSON'], label: `text ${JSON.stringify(text)}` })),
  );

  it('1000 broken files: exit 2, one line naming the file and the sequence or position, no stack, no output', async () => {
    restoreModel();
    let cases = 0;
    await fc.assert(
      fc.asyncProperty(broken, async (c) => {
        writeFileSync(ids, c.text);
        const r = await measure(['--token-ids', ids]);
        expectCleanFailure(r, 'measure', ids, c.names, c.label);
        expect(existsSync(out), `${c.label}: ${out} was written`).toBe(false);
        cases += 1;
      }),
      fuzzParameters(1000, 30),
    );
    expect(cases).toBe(Number(process.env.SINKSCOPE_FUZZ_RUNS ?? 1000));
  });

  it('a valid file measures (the harness can succeed)', async () => {
    restoreModel();
    writeFileSync(ids, JSON.stringify([[31, 1, 2, 3], [31, 4, 5, 6]]));
    const r = await measure(['--token-ids', ids]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).sequences).toBe(2);
    rmSync(out);
  });
});

/** Mutations of the tiny model's files that can never be valid, with what the error must name. */
const modelFileCase = fc.oneof(
  // config.json: a size that cannot be, a required field removed, a wrong type, not JSON
  fc.tuple(fc.constantFrom('n_embd', 'n_head', 'n_layer', 'vocab_size', 'n_positions', 'n_inner'), fc.constantFrom<unknown>(0, -2, 2.5, '8', true, [8], { n: 8 }, 2 ** 40)).map(([field, value]) => ({
    file: 'config.json',
    edit: (text: string) => JSON.stringify({ ...JSON.parse(text), [field]: value }),
    names: [`field '${field}'`],
    label: `config.json ${field} = ${JSON.stringify(value)}`,
  })),
  fc.constantFrom('n_embd', 'n_head', 'n_layer', 'vocab_size', 'n_positions', 'model_type').map((field) => ({
    file: 'config.json',
    edit: (text: string) => {
      const { [field]: _gone, ...rest } = JSON.parse(text) as Record<string, unknown>;
      return JSON.stringify(rest);
    },
    names: [`field '${field}'`],
    label: `config.json without ${field}`,
  })),
  fc.double({ min: 0, max: 0.98, noNaN: true }).map((f) => ({ file: 'config.json', edit: (text: string) => text.slice(0, Math.floor(f * text.length)), names: ['not valid JSON', 'not a JSON object'], label: `config.json truncated at ${f.toFixed(3)}` })),
  // model.safetensors: truncated, a NaN weight, an overlap, a wrong dtype
  fc.double({ min: 0, max: 0.999, noNaN: true }).map((f) => ({ file: 'model.safetensors', edit: (b: Buffer) => b.subarray(0, Math.floor(f * b.length)), names: ['header', "tensor '", 'too short'], label: `model.safetensors truncated at ${f.toFixed(3)}` })),
  fc.tuple(fc.nat(), fc.nat(), fc.constantFrom(NaN, Infinity, -Infinity)).map(([t, k, v]) => ({
    file: 'model.safetensors',
    edit: (b: Buffer) => {
      const n = Number(b.readBigUInt64LE(0));
      const header = JSON.parse(b.subarray(8, 8 + n).toString()) as Record<string, { data_offsets: number[] }>;
      const name = Object.keys(header)[t % Object.keys(header).length];
      const [begin, end] = header[name].data_offsets;
      const copy = Buffer.from(b);
      copy.writeFloatLE(v, 8 + n + begin + 4 * (k % ((end - begin) / 4)));
      return copy;
    },
    names: ["tensor '"],
    label: `${v} in a weight`,
  })),
  fc.tuple(fc.nat(), fc.constantFrom('F16', 'I32', 'BF16', 'F64', 'U8', 'F8')).map(([t, dtype]) => ({
    file: 'model.safetensors',
    edit: (b: Buffer) => {
      const n = Number(b.readBigUInt64LE(0));
      const header = JSON.parse(b.subarray(8, 8 + n).toString()) as Record<string, { dtype: string }>;
      header[Object.keys(header)[t % Object.keys(header).length]].dtype = dtype;
      const json = Buffer.from(JSON.stringify(header));
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(json.length));
      return Buffer.concat([len, json, b.subarray(8 + n)]);
    },
    names: ["tensor '"],
    label: `a tensor stored as ${dtype}`,
  })),
  // tokenizer.json (read for --text): not JSON, a vocabulary id that is not an id, an unknown component
  fc.double({ min: 0, max: 0.99, noNaN: true }).map((f) => ({ file: 'tokenizer.json', edit: (text: string) => text.slice(0, Math.floor(f * text.length)), names: ['not valid JSON'], label: `tokenizer.json truncated at ${f.toFixed(3)}` })),
  fc.tuple(fc.integer({ min: 0, max: TINY_VOCAB - 2 }), fc.constantFrom<unknown>(-1, 1.5, 'one', null, [1])).map(([i, value]) => ({
    file: 'tokenizer.json',
    edit: (text: string) => {
      const json = JSON.parse(text) as { model: { vocab: Record<string, unknown> } };
      json.model.vocab[`t${i}`] = value;
      return JSON.stringify(json);
    },
    names: [`field 'model.vocab.t${i}'`],
    label: `tokenizer.json vocab t${i} = ${JSON.stringify(value)}`,
  })),
  fc.tuple(fc.constantFrom('normalizer', 'pre_tokenizer', 'decoder', 'post_processor'), fc.constantFrom('NoSuchThing', 'Sequence', 'Split', 'Replace', 42)).map(([component, type]) => ({
    file: 'tokenizer.json',
    edit: (text: string) => JSON.stringify({ ...JSON.parse(text), [component]: { type } }),
    names: [`field '${component}`],
    label: `tokenizer.json ${component} = {type: ${JSON.stringify(type)}}`,
  })),
);

describe('broken model files', () => {
  it(`300 cases over config.json, model.safetensors and tokenizer.json (${Object.keys(TINY_CONFIGS)[0]}): exit 2, one line naming the file and the field, no stack, no output`, async () => {
    let cases = 0;
    await fc.assert(
      fc.asyncProperty(modelFileCase, async (c) => {
        restoreModel();
        const path = join(model, c.file);
        const edit = c.edit as (x: string | Buffer) => string | Buffer;
        writeFileSync(path, edit(c.file === 'model.safetensors' ? readFileSync(path) : readFileSync(path, 'utf8')));
        const r = await measure(['--text', 't1 t2 t3 t4']);
        // a wrong tensor dtype may surface as its shape (F16 holds twice the elements): either names the tensor
        expectCleanFailure(r, 'measure', path, c.names, c.label);
        expect(existsSync(out), `${c.label}: ${out} was written`).toBe(false);
        cases += 1;
      }),
      fuzzParameters(300, 31),
    );
    expect(cases).toBeGreaterThanOrEqual(Math.min(300, Number(process.env.SINKSCOPE_FUZZ_RUNS ?? 300)));
  });
});
