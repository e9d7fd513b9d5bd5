// Three bad inputs through the real `sinkscope` executable (the fuzz tests beside this run the
// CLI in-process): the process exits 2 with one stderr line naming the file and the field, prints no
// stack trace, and writes nothing.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { writeTinyCheckpoint } from '../../../model-io/test/fuzz/tiny-checkpoint.js';
import { storedArtifacts } from './helpers.js';

const BIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/sinkscope.mjs');
const tmp = mkdtempSync(join(tmpdir(), 'sinkscope-bad-input-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const tiny = writeTinyCheckpoint(join(tmp, 'tiny'), 'gpt2');

function copyModel(name: string, edit: (dir: string) => void): string {
  const dir = join(tmp, name);
  mkdirSync(dir);
  for (const f of readdirSync(tiny)) copyFileSync(join(tiny, f), join(dir, f));
  edit(dir);
  return dir;
}

function sinkscope(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, SINKSCOPE_CACHE: join(tmp, 'cache'), SINKSCOPE_RUNS: join(tmp, 'runs'), SINKSCOPE_REPORTS: join(tmp, 'reports'), ...env } });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.on('exit', (code) => done({ code, stderr, stdout }));
  });
}

describe('bad input through the sinkscope executable', () => {
  it('token ids, model.safetensors and pipeline.yaml (three processes; config.json and tokenizer.json run in-process beside): exit 2, one line, no stack, nothing written', async () => {
    const ids = join(tmp, 'ids.json');
    writeFileSync(ids, '[[31, 2, 3], [4, "5"]]');
    const badWeights = copyModel('weights', (d) => {
      const b = readFileSync(join(d, 'model.safetensors'));
      b.writeFloatLE(Infinity, b.length - 8);
      writeFileSync(join(d, 'model.safetensors'), b);
    });
    const spec = join(tmp, 'pipeline.yaml');
    writeFileSync(spec, stringify({ name: 'bad', models: [{ name: 'tiny', path: tiny }], dataset: { spec: 'datasets/random-tokens-64.json', count: 4 }, seqLen: 8, metrics: { eps: 1.5 } }));
    const out = join(tmp, 'out.json');
    const measure = (model: string, input: string[]) => ['measure', '--model', model, ...input, '--engine', 'tfjs', '--backend', 'cpu', '--json', out];
    const cases: [string[], string, RegExp][] = [
      [measure(tiny, ['--token-ids', ids]), 'measure', new RegExp(`^sinkscope measure: ${ids}: sequence 1, position 1: "5" is not a token id in \\[0, 32\\)$`)],
      [measure(badWeights, ['--text', 't1 t2']), 'measure', new RegExp(`^sinkscope measure: ${join(badWeights, 'model.safetensors')}: tensor '[^']+': holds Infinity at element \\d+`)],
      [['run', spec], 'run', new RegExp(`^sinkscope run: ${spec}: field 'metrics.eps': `)],
    ];
    const results = await Promise.all(cases.map(([args]) => sinkscope(args)));
    results.forEach((r, i) => {
      const [, command, line] = cases[i];
      expect(r.code, `${cases[i][0].join(' ')}: ${r.stderr}`).toBe(2);
      // tfjs's own banner for its cpu backend (suggesting tfjs-node) is not ours
      const lines = r.stderr.trimEnd().split('\n').filter((l) => !l.startsWith('Hi, looks like you are running TensorFlow.js') && !/^=*$/.test(l));
      expect(lines, command).toHaveLength(1);
      expect(lines[0]).toMatch(line);
      expect(r.stderr).not.toMatch(/^\s+at /m);
    });
    expect(existsSync(out)).toBe(false);
    expect(storedArtifacts(join(tmp, 'cache'))).toEqual([]);
  });
});
