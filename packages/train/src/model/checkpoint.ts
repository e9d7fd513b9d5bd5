import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors, type TensorToWrite } from '@sinkscope/model-io';
import { fromHfConfig, toHfConfig, type ModelConfig } from './config.js';
import { createParams, parameterSpecs, paramValues, QKV, type ModelParams } from './params.js';

/**
 * GPT-2 checkpoint tensors from our parameters: q/k/v fused into Conv1D `c_attn` [d, 3d] with
 * columns [q | k | v]; the tied lm_head is not stored (as `save_pretrained` does).
 */
export function toHfTensors(config: ModelConfig, values: ReadonlyMap<string, Float32Array>): TensorToWrite[] {
  const d = config.nEmbd;
  const out: TensorToWrite[] = [];
  const get = (name: string) => {
    const v = values.get(name);
    if (!v) throw new Error(`toHfTensors: missing parameter '${name}'`);
    return v;
  };
  for (const spec of parameterSpecs(config)) {
    const m = /^(transformer\.h\.\d+\.attn\.c_attn)\.([qkv])\.(weight|bias)$/.exec(spec.name);
    if (!m) {
      out.push({ name: spec.name, shape: spec.shape, data: get(spec.name) });
      continue;
    }
    if (m[2] !== 'q') continue; // fused once, at q
    const [prefix, , kind] = [m[1], m[2], m[3]];
    const parts = QKV.map((part) => get(`${prefix}.${part}.${kind}`));
    if (kind === 'bias') {
      const fused = new Float32Array(3 * d);
      parts.forEach((p, j) => fused.set(p, j * d));
      out.push({ name: `${prefix}.bias`, shape: [3 * d], data: fused });
    } else {
      const fused = new Float32Array(d * 3 * d);
      for (let r = 0; r < d; r++) parts.forEach((p, j) => fused.set(p.subarray(r * d, (r + 1) * d), r * 3 * d + j * d));
      out.push({ name: `${prefix}.weight`, shape: [d, 3 * d], data: fused });
    }
  }
  return out;
}

// Buffers older transformers versions saved with the weights; not parameters.
const IGNORED_KEY = /\.attn\.(bias|masked_bias)$/;

/**
 * Our parameter values from GPT-2 checkpoint tensors. Every expected key must be present with its
 * exact shape and no unknown key may remain (an `lm_head.weight` equal to wte is accepted).
 */
export function fromHfTensors(config: ModelConfig, tensors: ReadonlyMap<string, { readonly shape: readonly number[]; readonly data: ArrayLike<number> }>, where: string): Map<string, Float32Array> {
  const d = config.nEmbd;
  const values = new Map<string, Float32Array>();
  const used = new Set<string>();
  const take = (name: string, shape: readonly number[]): Float32Array => {
    const t = tensors.get(name);
    if (!t) throw new Error(`${where}: missing tensor '${name}'`);
    if (t.shape.length !== shape.length || t.shape.some((n, i) => n !== shape[i])) {
      throw new Error(`${where}: tensor '${name}' has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
    }
    if (!(t.data instanceof Float32Array)) throw new Error(`${where}: tensor '${name}' is not a float tensor`);
    used.add(name);
    return t.data;
  };
  for (const spec of parameterSpecs(config)) {
    const m = /^(transformer\.h\.\d+\.attn\.c_attn)\.([qkv])\.(weight|bias)$/.exec(spec.name);
    if (!m) {
      values.set(spec.name, take(spec.name, spec.shape));
      continue;
    }
    const j = QKV.indexOf(m[2] as (typeof QKV)[number]);
    if (m[3] === 'bias') {
      values.set(spec.name, take(`${m[1]}.bias`, [3 * d]).slice(j * d, (j + 1) * d));
    } else {
      const fused = take(`${m[1]}.weight`, [d, 3 * d]);
      const part = new Float32Array(d * d);
      for (let r = 0; r < d; r++) part.set(fused.subarray(r * 3 * d + j * d, r * 3 * d + (j + 1) * d), r * d);
      values.set(spec.name, part);
    }
  }
  const lmHead = config.tieEmbeddings ? tensors.get('lm_head.weight') : undefined;
  if (lmHead) {
    const wte = values.get('transformer.wte.weight')!;
    if (!(lmHead.data instanceof Float32Array) || lmHead.data.length !== wte.length || lmHead.data.some((x, i) => x !== wte[i])) throw new Error(`${where}: 'lm_head.weight' differs from wte; untied heads are not supported`);
    used.add('lm_head.weight');
  }
  const unknown = [...tensors.keys()].filter((k) => !used.has(k) && !IGNORED_KEY.test(k));
  if (unknown.length > 0) throw new Error(`${where}: unexpected tensors ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ` (+${unknown.length - 5} more)` : ''}`);
  return values;
}

export interface SaveModelOptions {
  /** Extra files written beside the weights (name -> JSON value), e.g. tokenizer.json. */
  readonly jsonFiles?: Readonly<Record<string, unknown>>;
  /** String metadata stored in the safetensors header. */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** Write a JSON file atomically (temp file + rename). */
export function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n');
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** Save a Hugging Face `gpt2` folder: config.json, model.safetensors (F32) and any extra JSON files. */
export function saveModelFolder(dir: string, config: ModelConfig, params: ModelParams, options: SaveModelOptions = {}): void {
  saveModelValues(dir, config, paramValues(params), options);
}

/** `saveModelFolder` from host values by parameter name (any engine). */
export function saveModelValues(dir: string, config: ModelConfig, values: ReadonlyMap<string, Float32Array>, options: SaveModelOptions = {}): void {
  mkdirSync(dir, { recursive: true });
  writeSafetensors(join(dir, 'model.safetensors'), toHfTensors(config, values), { format: 'pt', ...options.metadata });
  writeJsonAtomic(join(dir, 'config.json'), toHfConfig(config));
  for (const [name, value] of Object.entries(options.jsonFiles ?? {})) writeJsonAtomic(join(dir, name), value);
}

/** Load a Hugging Face `gpt2` folder (config.json + model.safetensors) into trainable variables. */
export function loadModelFolder(dir: string): { config: ModelConfig; params: ModelParams } {
  const { config, values } = loadModelValues(dir);
  return { config, params: createParams(parameterSpecs(config), values, join(dir, 'model.safetensors')) };
}

/** `loadModelFolder` as host values by parameter name (any engine), with the safetensors metadata. */
export function loadModelValues(dir: string): { config: ModelConfig; values: Map<string, Float32Array>; metadata: Record<string, string> } {
  const configPath = join(dir, 'config.json');
  const weightsPath = join(dir, 'model.safetensors');
  if (!existsSync(configPath)) throw new Error(`loadModelFolder: ${configPath} does not exist`);
  const config = fromHfConfig(JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>, configPath);
  const { tensors, metadata } = readSafetensors(weightsPath);
  return { config, values: fromHfTensors(config, tensors, weightsPath), metadata };
}
