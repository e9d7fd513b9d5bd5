// NaN and infinities: in stored weights they are refused at load (naming the file, tensor and element);
// appearing in activations (a float32 overflow) they stop the run at the first captured hook, in
// forward order, that holds one, naming the hook and layer, on both engines.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  assertFiniteActivations,
  Checkpoint,
  hookNames,
  loadExtractionModel,
  NonFiniteActivationError,
  readSafetensors,
  SafetensorsError,
  writeRawSafetensors,
  writeSafetensors,
  type ArchSpec,
  type EngineChoice,
  type HookName,
  type HostArray,
} from '../../src/index.js';
import { fixtureDir } from '../fixtures.js';

const tmp = mkdtempSync(join(tmpdir(), 'sinkscope-nonfinite-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The gpt2 fixture with `edit` applied to its weights (everything else copied). */
function editedGpt2(name: string, edit: (tensor: string, data: Float32Array) => void): string {
  const dir = join(tmp, name);
  mkdirSync(dir);
  for (const f of readdirSync(fixtureDir('gpt2'))) if (f !== 'model.safetensors' && f !== 'expected.safetensors') copyFileSync(join(fixtureDir('gpt2'), f), join(dir, f));
  const { tensors } = readSafetensors(join(fixtureDir('gpt2'), 'model.safetensors'));
  writeSafetensors(
    join(dir, 'model.safetensors'),
    [...tensors].map(([tensor, t]) => {
      const data = Float32Array.from(t.data as Float32Array);
      edit(tensor, data);
      return { name: tensor, shape: t.shape, data };
    }),
  );
  return dir;
}

// Layer 1's MLP scaled by 1e20 twice: its output is ~1e40, past float32's 3.4e38, while every weight
// stays finite and every earlier activation is untouched.
const overflow = editedGpt2('overflow', (tensor, data) => {
  if (tensor === 'transformer.h.1.mlp.c_fc.weight' || tensor === 'transformer.h.1.mlp.c_proj.weight') for (let i = 0; i < data.length; i++) data[i] *= 1e20;
});
const sequences = [
  [511, 5, 9, 200, 17, 3],
  [511, 40, 2],
];

describe('non-finite activations', () => {
  it.each<[EngineChoice]>([['tfjs'], ['onnx']])('%s: every hook captured, the error names blocks.1.hook_mlp_out in layer 1', async (engine) => {
    const model = await loadExtractionModel(overflow, { engine, ...(engine === 'tfjs' ? { backend: 'cpu' } : { onnx: { threads: 1 } }) });
    try {
      const all = hookNames(model.arch);
      const err = await model.run(sequences, { capture: all }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(NonFiniteActivationError);
      const e = err as NonFiniteActivationError;
      expect([e.hook, e.layer, e.sequence, e.position]).toEqual(['blocks.1.hook_mlp_out', 1, 0, 0]);
      expect(Number.isFinite(e.value)).toBe(false);
      expect(e.message).toMatch(new RegExp(`^${overflow}: non-finite activation -?Infinity in blocks\\.1\\.hook_mlp_out \\(layer 1\\) at sequence 0, position 0, element \\d+: the first captured hook`));
      expect(e.message).not.toContain('\n');
      // Captured later hooks only: the first of them is named (resid_post of the same layer).
      const late = await model.run(sequences, { capture: ['blocks.1.hook_resid_post', 'blocks.2.hook_resid_post', 'logits'] }).catch((x: unknown) => x);
      expect((late as NonFiniteActivationError).hook).toBe('blocks.1.hook_resid_post');
      // Hooks before the overflow are finite and come back as usual.
      const early = await model.run(sequences, { capture: ['blocks.0.hook_resid_post', 'blocks.1.hook_resid_mid', 'blocks.1.attn.hook_pattern'] });
      expect([...early.keys()].sort()).toEqual(['blocks.0.hook_resid_post', 'blocks.1.attn.hook_pattern', 'blocks.1.hook_resid_mid']);
    } finally {
      model.dispose();
    }
  });

  it('the unedited fixture passes the check on every hook (the check is not a false alarm)', async () => {
    const model = await loadExtractionModel(fixtureDir('gpt2'), { engine: 'onnx', onnx: { threads: 1 } });
    try {
      const out = await model.run(sequences, { capture: hookNames(model.arch) });
      expect(out.size).toBe(hookNames(model.arch).length);
    } finally {
      model.dispose();
    }
  });

  const arch = { nLayers: 2, positional: { kind: 'none' }, residual: 'sequential' } as unknown as ArchSpec;
  const hostArray = (shape: number[], fill: (i: number) => number): HostArray => ({ shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => fill(i)) });

  it('ignores padding: a NaN past a sequence\'s length is not an activation', () => {
    // [B=2, T=3, d=2]; sequence 1 has 2 tokens, so its position 2 (elements 10, 11) is padding
    const resid = hostArray([2, 3, 2], (i) => (i === 10 ? NaN : 1));
    expect(() => assertFiniteActivations(arch, new Map<HookName, HostArray>([['blocks.0.hook_resid_post', resid]]), [3, 2], 'm')).not.toThrow();
    const full = hostArray([2, 3, 2], (i) => (i === 9 ? -Infinity : 1));
    expect(() => assertFiniteActivations(arch, new Map<HookName, HostArray>([['blocks.0.hook_resid_post', full]]), [3, 2], 'm')).toThrow(
      'm: non-finite activation -Infinity in blocks.0.hook_resid_post (layer 0) at sequence 1, position 1, element 1:',
    );
  });

  it('patterns: names the head, query and key; padded keys and queries are skipped', () => {
    // [B=1, H=2, T=3, T=3], length 2: entry (h=1, q=1, k=2) is padding, (h=1, q=1, k=0) is not
    const at = (h: number, q: number, k: number) => (h * 3 + q) * 3 + k;
    const padded = hostArray([1, 2, 3, 3], (i) => (i === at(1, 1, 2) ? NaN : 0.5));
    const pattern = (t: HostArray) => new Map<HookName, HostArray>([['blocks.1.attn.hook_pattern', t]]);
    expect(() => assertFiniteActivations(arch, pattern(padded), [2], 'm')).not.toThrow();
    const bad = hostArray([1, 2, 3, 3], (i) => (i === at(1, 1, 0) ? NaN : 0.5));
    expect(() => assertFiniteActivations(arch, pattern(bad), [2], 'm')).toThrow('m: non-finite activation NaN in blocks.1.attn.hook_pattern (layer 1) at sequence 0, position 1, head 1, key 0:');
    // forward order decides, not the map's order: embeddings before the pattern
    const both = new Map<HookName, HostArray>([['blocks.1.attn.hook_pattern', bad], ['hook_embed', hostArray([1, 2, 2], () => Infinity)]]);
    expect(() => assertFiniteActivations(arch, both, [2], 'm')).toThrow('m: non-finite activation Infinity in hook_embed (the embeddings)');
  });
});

describe('non-finite weights are refused at load', () => {
  it.each([
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
  ])('%s in a weight: the file, the tensor and the first element are named', (label, value) => {
    const dir = editedGpt2(`weights-${label}`, (tensor, data) => {
      if (tensor === 'transformer.h.2.attn.c_proj.weight') {
        data[77] = value;
        data[900] = value;
      }
    });
    const ckpt = Checkpoint.open(dir); // the header is fine: only reading the tensor finds it
    try {
      expect(() => ckpt.read('transformer.h.2.attn.c_proj.weight')).toThrow(SafetensorsError);
      expect(() => ckpt.read('transformer.h.2.attn.c_proj.weight')).toThrow(
        `${join(dir, 'model.safetensors')}: tensor 'transformer.h.2.attn.c_proj.weight': holds ${label} at element 77 (2 non-finite values of 4096); refusing to load NaN/Inf weights`,
      );
    } finally {
      ckpt.close();
    }
  });

  // the onnx engine never reads weights as float32: Checkpoint.checkFinite scans the stored bytes, 32 bits
  // at a time, and must refuse exactly what `read` refuses, with the same message
  it.each([
    ['BF16', (v: number) => new Uint32Array(new Float32Array([v]).buffer)[0] >>> 16, 2],
    ['F16', (v: number) => (Number.isNaN(v) ? 0x7e00 : v === Infinity ? 0x7c00 : v === -Infinity ? 0xfc00 : v === 65504 ? 0x7bff : v === 1 ? 0x3c00 : 0), 2],
    ['F32', (v: number) => new Uint32Array(new Float32Array([v]).buffer)[0], 4],
    ['F64', undefined, 8],
  ] as const)('%s: the scan of the stored bytes refuses what read refuses, with the same message', (dtype, encode, size) => {
    const cases: [string, number[]][] = [
      ['finite', [1, 65504, 0, 1, 1]], // odd count: the last 16-bit value has no partner in its word
      ['nan-last', [1, 1, 0, 1, 1, NaN]], // even count: found by the 32-bit pass
      ['inf-first', [Infinity, 1, -Infinity, 1, 1]],
    ];
    if (dtype === 'F64') cases.push(['overflows-float32', [1, 1e300, 1, 1, 1]]);
    const file = join(tmp, `scan-${dtype}.safetensors`);
    writeRawSafetensors(
      file,
      cases.map(([name, values]) => ({
        name,
        shape: [values.length],
        dtype,
        chunks: () => {
          const bytes = new Uint8Array(values.length * size);
          const view = new DataView(bytes.buffer);
          values.forEach((v, i) => (size === 8 ? view.setFloat64(8 * i, v, true) : size === 4 ? view.setUint32(4 * i, encode!(v), true) : view.setUint16(2 * i, encode!(v), true)));
          return [bytes];
        },
      })),
    );
    const dir = join(tmp, `scan-${dtype}`);
    mkdirSync(dir);
    copyFileSync(file, join(dir, 'model.safetensors'));
    copyFileSync(join(fixtureDir('gpt2'), 'config.json'), join(dir, 'config.json'));
    const ckpt = Checkpoint.open(dir);
    try {
      for (const [name] of cases) {
        let readError = '';
        let scanError = '';
        try {
          ckpt.read(name);
        } catch (err) {
          readError = (err as Error).message;
        }
        try {
          ckpt.checkFinite(name);
        } catch (err) {
          scanError = (err as Error).message;
        }
        expect(scanError, name).toBe(readError);
        expect(readError === '', name).toBe(name === 'finite');
      }
    } finally {
      ckpt.close();
    }
  });

  it('tfjs fails at load, onnx when it builds its graph (before the first batch runs)', async () => {
    const dir = join(tmp, 'weights-NaN');
    const named = /tensor 'transformer\.h\.2\.attn\.c_proj\.weight': holds NaN at element 77/;
    await expect(loadExtractionModel(dir, { engine: 'tfjs', backend: 'cpu' })).rejects.toThrow(named);
    const onnx = await loadExtractionModel(dir, { engine: 'onnx', onnx: { threads: 1 } });
    try {
      await expect(onnx.run(sequences, { capture: ['logits'] })).rejects.toThrow(named);
    } finally {
      onnx.dispose();
    }
  });
});
