import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readSafetensors } from '@sinkscope/model-io';
import { useBackend } from '../src/engine/backend.js';
import { evaluate } from '../src/eval/evaluate.js';
import { loadModelFolder } from '../src/model/checkpoint.js';
import { disposeParams } from '../src/model/params.js';
import { HF_FIXTURES } from './fixture-path.js';

describe('evaluate() on the gpt2 fixture reproduces expected_metrics.json', () => {
  beforeAll(() => useBackend('wasm'));

  it('alpha_1 per head, Sink_1, norm ratios and normalised entropies, across chunk boundaries', () => {
    const dir = join(HF_FIXTURES, 'gpt2');
    const expected = JSON.parse(readFileSync(join(dir, 'expected_metrics.json'), 'utf8'));
    const ids = readSafetensors(join(dir, 'expected.safetensors')).tensors.get('input_ids')!;
    const [S, T] = ids.shape;
    // Rows of T + 1 ids: the fixture's T inputs and one arbitrary final target.
    const rows = new Int32Array(S * (T + 1));
    for (let s = 0; s < S; s++) rows.set(ids.data.subarray(s * T, (s + 1) * T) as Int32Array, s * (T + 1));
    const { config, params } = loadModelFolder(dir);
    const record = evaluate(config, params, { count: S, length: T + 1, ids: rows }, 0, 2); // chunks of 2 and 1
    disposeParams(params);
    expect(record.sinkRate).toBeCloseTo(expected.sink_rate, 12);
    record.meanAlpha.forEach((row, l) => row.forEach((a, h) => expect(a).toBeCloseTo(expected.alpha[l][h], 5)));
    record.normRatio.forEach((r, i) => expect(r).toBeCloseTo(expected.hidden_norms.ratio[i], 5));
    record.entropyNormalized.forEach((e, i) => expect(e).toBeCloseTo(expected.matrix_entropy.shannon_norm[i], 5));
    expect(record.copyAccuracy).toBeNull();
    expect(Number.isFinite(record.loss)).toBe(true);
  });
});
