import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MissingWeightError, parseEngine, SafetensorsError } from '../../src/index.js';
import { chooseBatchSize, executionProviders, OnnxModel, parseDevice } from '../../src/engines/onnx/index.js';
import { fixtureDir } from '../fixtures.js';
import { scratchFolder } from '../scratch-folder.js';

const scratch = scratchFolder('sinkscope-onnx-');
const copyFixture = scratch.copyFixture;

describe('bad checkpoints fail at load, before any work, naming the file and tensor', () => {
  it.each([false, true])('a tensor missing from a shard (streaming %s)', async (streaming) => {
    const ckpt = copyFixture('llama_sharded');
    const indexPath = join(ckpt, 'model.safetensors.index.json');
    const index = JSON.parse(readFileSync(indexPath, 'utf8'));
    delete index.weight_map['model.layers.2.mlp.down_proj.weight']; // the last block: streaming would meet it last
    writeFileSync(indexPath, JSON.stringify(index));
    const load = OnnxModel.load(ckpt, { streaming });
    await expect(load).rejects.toThrow(MissingWeightError);
    await expect(OnnxModel.load(ckpt, { streaming })).rejects.toThrow(/weight 'model\.layers\.2\.mlp\.down_proj\.weight' is missing from .*model-00001-of-00003\.safetensors/);
  });

  it('a truncated weights file', async () => {
    const ckpt = copyFixture('gpt2');
    const path = join(ckpt, 'model.safetensors');
    const bytes = readFileSync(path);
    writeFileSync(path, bytes.subarray(0, bytes.length - 4096));
    await expect(OnnxModel.load(ckpt)).rejects.toThrow(SafetensorsError);
    await expect(OnnxModel.load(ckpt)).rejects.toThrow(/model\.safetensors: tensor '.+': data_offsets \[\d+, \d+\] run past the end/);
  });

  it('a tensor whose shape disagrees with config.json', async () => {
    const ckpt = copyFixture('opt');
    const cfg = JSON.parse(readFileSync(join(ckpt, 'config.json'), 'utf8'));
    writeFileSync(join(ckpt, 'config.json'), JSON.stringify({ ...cfg, ffn_dim: 128 }));
    await expect(OnnxModel.load(ckpt)).rejects.toThrow(/model\.safetensors: tensor 'model\.decoder\.layers\.0\.fc1\.weight' has shape \[256, 64\] but config\.json implies \[128, 64\]/);
  });
});

describe('bad options fail before any work', () => {
  it('unknown engine, device, hook; bad ids and batch size', async () => {
    expect(parseEngine('onnx')).toBe('onnx');
    expect(() => parseEngine('torch')).toThrow("unknown engine 'torch' (valid: tfjs, onnx)");
    expect(() => parseDevice('tpu')).toThrow("unknown device 'tpu' (valid: cpu, gpu)");
    const model = await OnnxModel.load(fixtureDir('gpt2'), { threads: 1 });
    try {
      await expect(model.run([[1, 2]], { capture: ['blocks.9.hook_resid_post'] })).rejects.toThrow(/unknown hook 'blocks\.9\.hook_resid_post' .*valid: hook_embed, hook_pos_embed/);
      await expect(model.run([[1, 512]])).rejects.toThrow('token id 512 of sequence 0 (position 1) is outside the vocabulary [0, 512)');
      await expect(model.runMany([[1]], { batchSize: 0, onBatch: () => {} })).rejects.toThrow('batchSize must be a positive integer, got 0');
      await expect(model.run([new Array(129).fill(1)])).rejects.toThrow("sequence length 129 exceeds the model's 128 learned positions");
    } finally {
      await model.dispose();
    }
  });

  it('--device gpu without the CUDA provider names the install flag, at load', async () => {
    expect(executionProviders('cpu')).toEqual(['cpu']);
    expect(() => executionProviders('gpu')).toThrow(/ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules\/onnxruntime-node\/script\/install\.js/);
    await expect(OnnxModel.load(fixtureDir('gpt2'), { device: 'gpu' })).rejects.toThrow(/--device gpu needs onnxruntime-node's CUDA 12 provider .*ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules\/onnxruntime-node\/script\/install\.js/);
  });
});

describe('batch size from the memory budget', () => {
  it('fits captures and working memory beside the weights (hand-checked)', async () => {
    const model = await OnnxModel.load(fixtureDir('gpt2'), { threads: 1, streaming: false });
    try {
      const arch = model.arch; // d 64, H 4, dMlp 256, V 512
      // per sequence, T = 16: captures 2 x 4 x (16*512 logits + 4*16*16 pattern) = 73 728 bytes;
      // working 4 x (16*(6*64 + 3*256) + 3*4*16*16 [block] + 16*(2*64 + 512) [head]) = 4 x 31 744 = 126 976; total 200 704
      const request = { seqLen: 16, capture: ['logits', 'blocks.0.attn.hook_pattern'] as const, residentWeightBytes: 1_000_000 };
      expect(chooseBatchSize(arch, { ...request, memoryBudgetBytes: 1_000_000 + 5 * 200_704 })).toBe(5);
      expect(chooseBatchSize(arch, { ...request, memoryBudgetBytes: 1_000_000 + 5 * 200_704 - 1 })).toBe(4);
      expect(chooseBatchSize(arch, { ...request, memoryBudgetBytes: 10 })).toBe(1);
      expect(chooseBatchSize(arch, { ...request, memoryBudgetBytes: 1e12 })).toBe(32);
      // a streamed block holds no logits: captures 2 x 4 x 1024 = 8192, working 4 x 21 504 = 86 016
      const blockOnly = { seqLen: 16, capture: ['blocks.0.attn.hook_pattern'] as const, residentWeightBytes: 0, parts: { blocks: true, head: false } };
      expect(chooseBatchSize(arch, { ...blockOnly, memoryBudgetBytes: 3 * 94_208 })).toBe(3);
      expect(chooseBatchSize(arch, { ...blockOnly, memoryBudgetBytes: 3 * 94_208 - 1 })).toBe(2);
    } finally {
      await model.dispose();
    }
  });
});
