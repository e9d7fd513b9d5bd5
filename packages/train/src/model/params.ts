import * as tf from '@tensorflow/tfjs';
import { SeededRandom } from '../data/backcopy-source.js';
import { innerWidth, type ModelConfig } from './config.js';

/**
 * The trainable tensors, keyed by GPT-2 names. The fused `c_attn` is kept as three [d, d] matrices
 * (`attn.c_attn.q.weight`, ...) so the forward pass needs no slicing (a 5-D `tf.slice` of the fused
 * [B,T,3,H,hd] cost 1.6 s per step of a 3-layer model on tfjs-wasm); checkpoint.ts fuses them back into GPT-2's [d, 3d] `[q|k|v]`.
 */
export interface ParamSpec {
  readonly name: string;
  readonly shape: readonly number[];
  /** Standard deviation of the normal init; 0 = constant `fill`. */
  readonly std: number;
  readonly fill: number;
}

export type ModelParams = Map<string, tf.Variable>;

export const QKV = ['q', 'k', 'v'] as const;

/**
 * Every parameter in a fixed order, with the recipe's init: N(0, 0.02) for matrices and
 * embeddings, N(0, 0.02 / sqrt(2 n_layer)) for the two residual out-projections (GPT-2 paper,
 * sec. 2.3), biases 0, LayerNorm gains 1. Variants add their tensors in place (a gate before c_fc, an
 * untied head last) and blocks without attention or MLP lack that sublayer's, so every earlier
 * variant keeps its init draws.
 */
export function parameterSpecs(config: ModelConfig, initStd = 0.02): ParamSpec[] {
  const d = config.nEmbd;
  const inner = innerWidth(config);
  const residualStd = initStd / Math.sqrt(2 * config.nLayer);
  const specs: ParamSpec[] = [];
  const matrix = (name: string, shape: number[], std = initStd) => specs.push({ name, shape, std, fill: 0 });
  const constant = (name: string, shape: number[], fill: number) => specs.push({ name, shape, std: 0, fill });
  const bias = (name: string, size: number) => {
    if (config.linearBias) constant(name, [size], 0);
  };
  // RMSNorm has a gain only; LayerNorm a gain and a bias.
  const norm = (name: string) => {
    constant(`${name}.weight`, [d], 1);
    if (config.norm === 'layernorm') constant(`${name}.bias`, [d], 0);
  };
  matrix('transformer.wte.weight', [config.vocabSize, d]);
  if (config.positionEncoding === 'learned') matrix('transformer.wpe.weight', [config.nPositions, d]);
  if (config.sinkToken) matrix('transformer.sink_token', [d]);
  for (let i = 0; i < config.nLayer; i++) {
    const h = `transformer.h.${i}`;
    if (!config.attentionFreeLayers.includes(i)) {
      norm(`${h}.ln_1`);
      for (const part of QKV) matrix(`${h}.attn.c_attn.${part}.weight`, [d, d]);
      for (const part of QKV) bias(`${h}.attn.c_attn.${part}.bias`, d);
      if (config.kvBias === 'kv' || config.kvBias === 'k') matrix(`${h}.attn.sink_k`, [d]);
      if (config.kvBias === 'kv' || config.kvBias === 'v') matrix(`${h}.attn.sink_v`, [d]);
      matrix(`${h}.attn.c_proj.weight`, [d, d], residualStd);
      bias(`${h}.attn.c_proj.bias`, d);
    }
    if (!config.mlpFreeLayers.includes(i)) {
      norm(`${h}.ln_2`);
      if (config.gatedMlp) {
        matrix(`${h}.mlp.c_gate.weight`, [d, inner]);
        bias(`${h}.mlp.c_gate.bias`, inner);
      }
      matrix(`${h}.mlp.c_fc.weight`, [d, inner]);
      bias(`${h}.mlp.c_fc.bias`, inner);
      matrix(`${h}.mlp.c_proj.weight`, [inner, d], residualStd);
      bias(`${h}.mlp.c_proj.bias`, d);
    }
  }
  norm('transformer.ln_f');
  if (!config.tieEmbeddings) matrix('lm_head.weight', [config.vocabSize, d]);
  return specs;
}

/** Host values of a fresh init; draws come from SeededRandom(seed) in spec order. */
export function initialValues(specs: readonly ParamSpec[], seed: number): Map<string, Float32Array> {
  const rng = new SeededRandom(0x1a17, seed);
  const out = new Map<string, Float32Array>();
  for (const spec of specs) {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    if (spec.std === 0) data.fill(spec.fill);
    else for (let i = 0; i < n; i++) data[i] = spec.std * rng.nextNormal();
    out.set(spec.name, data);
  }
  return out;
}

/** Create tf.Variables from host values; every spec must have a value of the right size. */
export function createParams(specs: readonly ParamSpec[], values: ReadonlyMap<string, Float32Array>, where = 'parameters'): ModelParams {
  const params: ModelParams = new Map();
  try {
    for (const spec of specs) {
      const data = values.get(spec.name);
      const n = spec.shape.reduce((a, b) => a * b, 1);
      if (!data) throw new Error(`${where}: missing tensor '${spec.name}'`);
      if (data.length !== n) throw new Error(`${where}: tensor '${spec.name}' has ${data.length} values, expected shape [${spec.shape.join(', ')}]`);
      const name = `${spec.name}#${uniqueSuffix()}`; // tfjs variable names are global
      params.set(spec.name, tf.tidy(() => tf.variable(tf.tensor(data, [...spec.shape], 'float32'), true, name)));
    }
  } catch (err) {
    disposeParams(params);
    throw err;
  }
  return params;
}

let variableCounter = 0;
function uniqueSuffix(): number {
  return variableCounter++;
}

/** Fresh parameters for a config (recipe init). */
export function initParams(config: ModelConfig, seed: number, initStd = 0.02): ModelParams {
  const specs = parameterSpecs(config, initStd);
  return createParams(specs, initialValues(specs, seed));
}

export function disposeParams(params: ModelParams): void {
  for (const v of params.values()) v.dispose();
  params.clear();
}

/** Read every parameter back to host memory. */
export function paramValues(params: ModelParams): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [name, v] of params) out.set(name, new Float32Array(v.dataSync()));
  return out;
}

/** Weight decay applies to tensors with >= 2 dims (weights, embeddings), not to biases and norm gains. */
export function isDecayed(spec: Pick<ParamSpec, 'shape'>): boolean {
  return spec.shape.length >= 2;
}

export function numParameters(config: ModelConfig): number {
  return parameterSpecs(config).reduce((sum, s) => sum + s.shape.reduce((a, b) => a * b, 1), 0);
}
