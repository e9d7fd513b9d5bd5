import { readdirSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OnnxModel, summariseOrtProfiles } from '../../src/engines/onnx/index.js';
import { fixtureDir } from '../fixtures.js';
import { scratchFolder } from '../scratch-folder.js';

const scratch = scratchFolder('sinkscope-ort-profile-');

describe('summariseOrtProfiles: where ORT kernel time goes, per operator type', () => {
  it('adds up a hand-written profile: seconds, shares, nodes and calls', () => {
    const file = scratch.path('hand.json');
    const kernel = (name: string, op: string, dur: number) => ({ cat: 'Node', name: `${name}_kernel_time`, dur, args: { op_name: op } });
    writeFileSync(
      file,
      JSON.stringify([
        { cat: 'Session', name: 'session_initialization', dur: 250_000 },
        { cat: 'Session', name: 'model_run', dur: 1_100_000 },
        kernel('matmul_1', 'MatMul', 600_000),
        kernel('matmul_2', 'MatMul', 200_000),
        kernel('matmul_1', 'MatMul', 100_000), // the same node's second run
        kernel('softmax_3', 'Softmax', 100_000),
        { cat: 'Node', name: 'matmul_1_fence_before', dur: 5 }, // not a kernel event
      ]),
    );
    const s = summariseOrtProfiles([file]);
    expect(s.kernelSeconds).toBeCloseTo(1.0, 12);
    expect(s.runSeconds).toBeCloseTo(1.1, 12);
    expect(s.sessionInitSeconds).toBeCloseTo(0.25, 12);
    expect(s.operators).toEqual([
      { op: 'MatMul', seconds: 0.9, share: 0.9, nodes: 2, calls: 3 },
      { op: 'Softmax', seconds: 0.1, share: 0.1, nodes: 1, calls: 1 },
    ]);
  });

  it('names the file that is not a profile', () => {
    const file = scratch.path('bad.json');
    writeFileSync(file, '{"not": "a trace"}');
    expect(() => summariseOrtProfiles([file])).toThrow(/bad\.json: not an ORT profile \(expected a JSON array/);
  });

  it("reads the profile an onnx engine session writes with profilePrefix: every node's kernel runs once per batch", async () => {
    const prefix = scratch.path('ort');
    const model = await OnnxModel.load(fixtureDir('gpt2'), { threads: 1, profilePrefix: prefix, streaming: false });
    const ids = [
      [5, 9, 17, 2, 8],
      [3, 3, 40, 11, 6],
    ];
    await model.runMany(ids, { capture: ['logits', 'blocks.*.attn.hook_pattern'], batchSize: 1, onBatch: () => {} });
    await model.dispose(); // releasing the session writes its profile
    const files = readdirSync(scratch.path('.')).filter((f) => f.startsWith('ort')).map((f) => scratch.path(f));
    expect(files).toHaveLength(1);
    const s = summariseOrtProfiles(files);
    const ops = new Map(s.operators.map((o) => [o.op, o]));
    // two batches of one sequence: each node ran twice
    for (const o of s.operators) expect(o.calls).toBe(2 * o.nodes);
    expect(ops.get('Softmax')?.nodes).toBe(model.arch.nLayers); // one attention softmax per block (the fixture has 3)
    expect(model.arch.nLayers).toBe(3);
    expect(s.operators.reduce((a, o) => a + o.share, 0)).toBeCloseTo(1, 12);
    expect(s.kernelSeconds).toBeGreaterThan(0);
    expect(s.kernelSeconds).toBeLessThanOrEqual(s.runSeconds);
  });
});
