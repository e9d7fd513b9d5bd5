import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Checkpoint, ConfigError, MissingWeightError, SafetensorsError, SafetensorsFile, readSafetensors, writeSafetensors } from '../../src/index.js';
import { fixtureDir } from '../fixtures.js';
import { scratchFolder, writeRawSafetensors } from '../scratch-folder.js';

const scratch = scratchFolder('sinkscope-loader-');
const copyFixture = scratch.copyFixture;

function headerLength(bytes: Buffer): number {
  return Number(bytes.readBigUInt64LE(0));
}

describe('safetensors validation names the file and the tensor', () => {
  it('truncated data: offsets past the end', () => {
    const src = readFileSync(join(fixtureDir('gpt2'), 'model.safetensors'));
    const path = scratch.path('truncated.safetensors');
    writeFileSync(path, src.subarray(0, src.length - 1000));
    expect(() => SafetensorsFile.open(path)).toThrow(SafetensorsError);
    expect(() => SafetensorsFile.open(path)).toThrow(/truncated\.safetensors: tensor '.+': data_offsets \[\d+, \d+\] run past the end/);
  });

  it('header length larger than the file', () => {
    const path = scratch.path('short.safetensors');
    const buf = Buffer.alloc(16);
    buf.writeBigUInt64LE(1000n);
    writeFileSync(path, buf);
    expect(() => SafetensorsFile.open(path)).toThrow(/short\.safetensors: header length 1000 exceeds the file size 16/);
  });

  it('bad JSON header', () => {
    const path = scratch.path('badjson.safetensors');
    writeRawSafetensors(path, '{"a": {"dtype": "F32", ', Buffer.alloc(8));
    expect(() => SafetensorsFile.open(path)).toThrow(/badjson\.safetensors: header is not valid JSON/);
  });

  it('unknown dtype', () => {
    const path = scratch.path('dtype.safetensors');
    writeRawSafetensors(path, JSON.stringify({ w: { dtype: 'F8_E4M3', shape: [2], data_offsets: [0, 2] } }), Buffer.alloc(2));
    expect(() => SafetensorsFile.open(path)).toThrow(/dtype\.safetensors: tensor 'w': unknown dtype "F8_E4M3"/);
  });

  it('byte size that does not match dtype x shape', () => {
    const path = scratch.path('size.safetensors');
    writeRawSafetensors(path, JSON.stringify({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }), Buffer.alloc(8));
    expect(() => SafetensorsFile.open(path)).toThrow(/tensor 'w': holds 8 bytes but F32\[3\] needs 12/);
  });

  it('writer round-trips float32 and int32 with metadata', () => {
    const path = scratch.path('rt.safetensors');
    writeSafetensors(path, [
      { name: 'a', shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 0, 1e-8, 7]) },
      { name: 'ids', shape: [3], data: Int32Array.from([5, -1, 9]) },
    ], { note: 'x' });
    const back = readSafetensors(path);
    expect(back.metadata).toEqual({ note: 'x' });
    expect(Array.from(back.tensors.get('a')!.data)).toEqual(Array.from(Float32Array.from([1, -2, 3.5, 0, 1e-8, 7])));
    expect(Array.from(back.tensors.get('ids')!.data)).toEqual([5, -1, 9]);
    expect(headerLength(readFileSync(path)) % 8).toBe(0);
  });
});

describe('bf16 and f16 are upcast exactly', () => {
  it('bf16 fixture weights equal the f32 fixture weights rounded to bf16', () => {
    const bf16 = SafetensorsFile.open(join(fixtureDir('gpt_neox_pythia_bf16'), 'model.safetensors'));
    const f32 = SafetensorsFile.open(join(fixtureDir('gpt_neox_pythia'), 'model.safetensors'));
    try {
      const name = 'gpt_neox.layers.0.attention.query_key_value.weight';
      expect(bf16.entry(name).dtype).toBe('BF16');
      const a = bf16.readFloat32(name).data;
      const b = f32.readFloat32(name).data;
      // bf16 keeps 8 significant bits: relative difference below 2^-8
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(Math.abs(b[i]) * 2 ** -8 + 1e-30);
      expect(a.some((v, i) => v !== b[i])).toBe(true);
    } finally {
      bf16.close();
      f32.close();
    }
  });

  it('f16 decoding of known bit patterns', () => {
    const path = scratch.path('f16.safetensors');
    const values = Uint16Array.from([0x3c00, 0xc000, 0x7bff, 0x0001, 0x0000, 0x8000, 0x3555]);
    writeRawSafetensors(path, JSON.stringify({ h: { dtype: 'F16', shape: [values.length], data_offsets: [0, values.byteLength] } }), Buffer.from(values.buffer));
    const f = SafetensorsFile.open(path);
    expect(Array.from(f.readFloat32('h').data)).toEqual([1, -2, 65504, 2 ** -24, 0, -0, Math.fround(0.333251953125)]);
    f.close();
  });
});

describe('checkpoint errors', () => {
  it('unknown model_type lists the supported ones', () => {
    const ckpt = copyFixture('gpt2');
    const cfg = JSON.parse(readFileSync(join(ckpt, 'config.json'), 'utf8'));
    writeFileSync(join(ckpt, 'config.json'), JSON.stringify({ ...cfg, model_type: 'mamba' }));
    expect(() => Checkpoint.open(ckpt)).toThrow(ConfigError);
    expect(() => Checkpoint.open(ckpt)).toThrow(/config\.json: field 'model_type': 'mamba' is not supported \(supported: bloom, gemma, gemma2, gemma3_text, gpt2, gpt_neox, llama, mistral, mixtral, olmo2, opt, phi, phi3, qwen2, qwen3, sinkscope\)/);
  });

  it('malformed config field names the file and the field', () => {
    const ckpt = copyFixture('llama');
    const cfg = JSON.parse(readFileSync(join(ckpt, 'config.json'), 'utf8'));
    writeFileSync(join(ckpt, 'config.json'), JSON.stringify({ ...cfg, hidden_size: '64' }));
    expect(() => Checkpoint.open(ckpt)).toThrow(/config\.json: field 'hidden_size': expected a non-negative integer, got "64"/);
  });

  it('a weight missing from a shard is named with the files searched', () => {
    const ckpt = copyFixture('llama_sharded');
    const indexPath = join(ckpt, 'model.safetensors.index.json');
    const index = JSON.parse(readFileSync(indexPath, 'utf8'));
    delete index.weight_map['model.layers.1.mlp.up_proj.weight'];
    writeFileSync(indexPath, JSON.stringify(index));
    const c = Checkpoint.open(ckpt);
    try {
      expect(() => c.read('model.layers.1.mlp.up_proj.weight')).toThrow(MissingWeightError);
      expect(() => c.read('model.layers.1.mlp.up_proj.weight')).toThrow(/weight 'model\.layers\.1\.mlp\.up_proj\.weight' is missing from .*model-00001-of-00003\.safetensors/);
    } finally {
      c.close();
    }
  });

  it('an index pointing at a tensor the shard lacks fails on open', () => {
    const ckpt = copyFixture('llama_sharded');
    const indexPath = join(ckpt, 'model.safetensors.index.json');
    const index = JSON.parse(readFileSync(indexPath, 'utf8'));
    const [name, shard] = Object.entries(index.weight_map)[0] as [string, string];
    const other = ['model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors', 'model-00003-of-00003.safetensors'].find((s) => s !== shard)!;
    index.weight_map[name] = other;
    writeFileSync(indexPath, JSON.stringify(index));
    expect(() => Checkpoint.open(ckpt)).toThrow(new RegExp(`${other.replace(/\./g, '\\.')}: tensor '${name.replace(/\./g, '\\.')}': listed in .* but not in this shard`));
  });

  it('a wrong weight shape names the tensor and both shapes', () => {
    const ckpt = copyFixture('gpt2');
    const cfg = JSON.parse(readFileSync(join(ckpt, 'config.json'), 'utf8'));
    writeFileSync(join(ckpt, 'config.json'), JSON.stringify({ ...cfg, n_inner: 128 }));
    const c = Checkpoint.open(ckpt);
    try {
      expect(() => c.family.layer(c.arch, c, 0)).toThrow(/tensor 'transformer\.h\.0\.mlp\.c_fc\.weight' has shape \[64, 256\] but config\.json implies \[64, 128\]/);
    } finally {
      c.close();
    }
  });

  it('a folder without safetensors says what it found', () => {
    const ckpt = copyFixture('gpt2');
    rmSync(join(ckpt, 'model.safetensors'));
    writeFileSync(join(ckpt, 'pytorch_model.bin'), 'x');
    expect(() => Checkpoint.open(ckpt)).toThrow(/no model\.safetensors or model\.safetensors\.index\.json \(found .*pytorch_model\.bin; only safetensors checkpoints are read\)/);
  });
});
