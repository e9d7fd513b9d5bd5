import { mkdtempSync, readdirSync, rmSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSafetensors, TfjsModel, writeSafetensors } from '../../src/index.js';
import { extraFixtureDir } from '../../src/testing/index.js';
import { goldenRun } from '../golden-parity.js';

describe('bloom checkpoints saved from BloomModel (the bigscience releases: no `transformer.` prefix, no lm_head)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sinkscope-bloom-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('load and give the BloomForCausalLM checkpoint its numbers', async () => {
    const source = extraFixtureDir('bloom');
    for (const f of readdirSync(source)) if (f !== 'model.safetensors' && f !== 'expected.safetensors') copyFileSync(join(source, f), join(dir, f));
    const { tensors } = readSafetensors(join(source, 'model.safetensors'));
    writeSafetensors(
      join(dir, 'model.safetensors'),
      [...tensors].map(([name, t]) => ({ name: name.replace(/^transformer\./, ''), shape: t.shape, data: t.data as Float32Array })),
    );
    const { sequences, expected } = goldenRun('bloom', source);
    const model = await TfjsModel.load(dir, { backend: 'wasm' });
    try {
      expect(model.checkpoint.unusedTensors).toEqual([]);
      const logits = model.run(sequences).get('logits')!;
      const want = expected.get('logits')!.data;
      logits.data.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(5e-6));
    } finally {
      model.dispose();
    }
  });
});
