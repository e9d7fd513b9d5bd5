import { describe, expect, it } from 'vitest';
import { hookNames, readSafetensors, type HookName, type HostArray } from '../../src/index.js';
import { OnnxModel, type CapturedBatch } from '../../src/engines/onnx/index.js';
import { fixtureDir, fixtureNames } from '../fixtures.js';

function fixtureSequences(fixture: string): number[][] {
  const ids = readSafetensors(`${fixtureDir(fixture)}/expected.safetensors`).tensors.get('input_ids')!;
  const [batch, seqLen] = ids.shape;
  return Array.from({ length: batch }, (_, b) => Array.from(ids.data.subarray(b * seqLen, (b + 1) * seqLen)));
}

function maxAbsDiff(a: HostArray, b: HostArray): number {
  expect(a.shape).toEqual(b.shape);
  let d = 0;
  for (let i = 0; i < a.data.length; i++) d = Math.max(d, Math.abs(a.data[i] - b.data[i]));
  return d;
}

describe('layer streaming gives the in-memory numbers', () => {
  it.each(fixtureNames())('%s: every hook, block by block, max |diff| <= 1e-6', async (fixture) => {
    const inMemory = await OnnxModel.load(fixtureDir(fixture), { threads: 1, streaming: false });
    const streamed = await OnnxModel.load(fixtureDir(fixture), { threads: 1, streaming: true });
    try {
      expect(streamed.streaming).toBe(true);
      const capture = hookNames(inMemory.arch);
      const interventions = [{ kind: 'rescale-norm', hook: 'blocks.1.hook_resid_pre', norm: 'median-of-others' } as const];
      const sequences = fixtureSequences(fixture);
      const want = await inMemory.run(sequences, { capture, interventions });
      const got = await streamed.run(sequences, { capture, interventions });
      expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
      let worst = 0;
      for (const hook of capture) worst = Math.max(worst, maxAbsDiff(got.get(hook)!, want.get(hook)!));
      expect(worst).toBeLessThanOrEqual(1e-6);
    } finally {
      await inMemory.dispose();
      await streamed.dispose();
    }
  });

  it('runMany hands each stage x batch to the callback in order, with progress', async () => {
    const model = await OnnxModel.load(fixtureDir('gpt_neox_pythia'), { threads: 1, streaming: true });
    const base = fixtureSequences('gpt_neox_pythia');
    const sequences = [base[0], base[1].slice(0, 10), base[2], base[0].slice(0, 5), base[1]];
    const seen: string[] = [];
    const resid = new Map<number, HostArray>();
    const progress: number[] = [];
    try {
      const summary = await model.runMany(sequences, {
        capture: ['blocks.*.hook_resid_post', 'logits'],
        batchSize: 2,
        onBatch: (b: CapturedBatch) => {
          seen.push(`${b.stage}@${b.start}:${[...b.outputs.keys()].join('+')}`);
          if (b.stage === 'block 2') resid.set(b.start, b.outputs.get('blocks.2.hook_resid_post')!);
          expect(b.lengths).toEqual(sequences.slice(b.start, b.start + b.count).map((s) => s.length));
        },
        onProgress: (p) => progress.push(p.done / p.total),
      });
      expect(summary).toEqual({ batchSize: 2, batchSizes: [2, 2, 2, 2, 2], batches: 3, tokens: 17 * 3 + 10 + 5, streaming: true, graphSeconds: expect.any(Number), runSeconds: expect.any(Number) });
      expect(summary.graphSeconds).toBeGreaterThan(0);
      expect(summary.runSeconds).toBeGreaterThan(0);
      expect(seen).toEqual(
        ['block 0', 'block 1', 'block 2', 'head'].flatMap((stage) =>
          [0, 2, 4].map((start) => `${stage}@${start}:${stage === 'head' ? 'logits' : `blocks.${stage.slice(6)}.hook_resid_post`}`),
        ),
      );
      expect(progress.at(-1)).toBe(1);
      expect(progress).toHaveLength(5 * 3); // embed + 3 blocks + head, 3 batches each
      // a short sequence padded in a batch gets its own numbers (padding keys are masked)
      const alone = await model.run([sequences[3]], { capture: ['blocks.2.hook_resid_post'] });
      const padded = resid.get(2)!; // batch [base[2], base[0][:5]], padded to 17
      const d = padded.shape[2];
      const row = padded.data.subarray(17 * d, 17 * d + 5 * d);
      let diff = 0;
      row.forEach((v, i) => (diff = Math.max(diff, Math.abs(v - alone.get('blocks.2.hook_resid_post' as HookName)!.data[i]))));
      expect(diff).toBeLessThanOrEqual(1e-5);
    } finally {
      await model.dispose();
    }
  });

  it("'auto' streams exactly when the float32 weights exceed the memory budget", async () => {
    const dir = fixtureDir('llama');
    const small = await OnnxModel.load(dir, { memoryBudgetBytes: 1e5 });
    const large = await OnnxModel.load(dir, { memoryBudgetBytes: 1e9 });
    expect(small.checkpoint.float32Bytes).toBeGreaterThan(1e5);
    expect([small.streaming, large.streaming]).toEqual([true, false]);
  });
});

describe('function interventions split the graph at a block boundary', () => {
  it.each([false, true])('a host function equals the declarative intervention it mirrors (streaming %s)', async (streaming) => {
    const model = await OnnxModel.load(fixtureDir('llama'), { threads: 1, streaming });
    const sequences = fixtureSequences('llama');
    const capture = ['blocks.0.hook_resid_post', 'blocks.1.hook_resid_pre', 'blocks.2.hook_resid_post', 'logits'];
    const zeroFirst = (x: HostArray): HostArray => {
      const [B, T, d] = x.shape;
      const data = Float32Array.from(x.data);
      for (let b = 0; b < B; b++) data.fill(0, b * T * d, b * T * d + d);
      return { shape: x.shape, data };
    };
    const seen: string[] = [];
    try {
      const want = await model.run(sequences, { capture, interventions: [{ kind: 'zero', hook: 'blocks.0.hook_resid_post' }, { kind: 'add-direction', hook: 'blocks.1.hook_resid_pre', direction: new Array(64).fill(0.5) }] });
      const got = await model.run(sequences, {
        capture,
        interventions: [
          { kind: 'function', hook: 'blocks.1.hook_resid_pre', fn: (x, { hook }) => (seen.push(hook), { shape: x.shape, data: x.data.map((v, i) => (i % (17 * 64) < 64 ? v + 0.5 : v)) }) },
          { kind: 'function', hook: 'blocks.0.hook_resid_post', fn: (x, { hook }) => (seen.push(hook), zeroFirst(x)) },
        ],
      });
      expect(seen).toEqual(['blocks.0.hook_resid_post', 'blocks.1.hook_resid_pre']); // post before pre at one boundary
      for (const hook of capture) expect(maxAbsDiff(got.get(hook as HookName)!, want.get(hook as HookName)!), hook).toBeLessThanOrEqual(1e-6);
      expect(Array.from(got.get('blocks.0.hook_resid_post')!.data.subarray(0, 64))).toEqual(new Array(64).fill(0));
    } finally {
      await model.dispose();
    }
  });

  it('only at block boundaries, with a clear error elsewhere', async () => {
    const model = await OnnxModel.load(fixtureDir('gpt2'), { threads: 1 });
    try {
      await expect(model.run([[1, 2]], { interventions: [{ kind: 'function', hook: 'blocks.0.hook_mlp_out', fn: (x) => x }] })).rejects.toThrow(
        /interventions\[0\]: a function intervention must sit at a block boundary, blocks\.\{l\}\.hook_resid_pre or blocks\.\{l\}\.hook_resid_post with l in 0\.\.2, got 'blocks\.0\.hook_mlp_out'/,
      );
      await expect(model.run([[1, 2]], { interventions: [{ kind: 'function', hook: 'blocks.0.hook_resid_post', fn: () => ({ shape: [1], data: new Float32Array(1) }) }] })).rejects.toThrow(
        'function intervention at blocks.0.hook_resid_post returned shape [1] for input [1,2,64]',
      );
    } finally {
      await model.dispose();
    }
  });
});
