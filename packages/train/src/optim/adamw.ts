import * as tf from '@tensorflow/tfjs';
import type { ModelParams } from '../model/params.js';

/**
 * The parameter groups weight decay can tell apart (torch's param_groups as nanoGPT-style recipes
 * build them): `embeddings` = token and position tables and an untied LM head; `matrices` = every
 * other tensor with >= 2 dims; `vectors` = biases, norm gains, a sink token and key/value slot vectors.
 */
export type ParamGroupName = 'embeddings' | 'matrices' | 'vectors';
export const PARAM_GROUPS: readonly ParamGroupName[] = ['embeddings', 'matrices', 'vectors'];

export interface AdamWConfig {
  readonly beta1: number;
  readonly beta2: number;
  /** Added to sqrt(v-hat); any positive float32 (1e-15 and below are representable). */
  readonly eps: number;
  /** Decoupled weight decay coefficient (Loshchilov & Hutter 2019): p <- p (1 - lr wd). */
  readonly weightDecay: number;
  /** `matrices`: decay tensors with >= 2 dims only (recipe); `all`: norms and biases too. */
  readonly decayOn: 'matrices' | 'all';
  /** Per-group coefficients over `weightDecay` / `decayOn`, e.g. `{ embeddings: 0 }`. */
  readonly weightDecayByGroup: Readonly<Partial<Record<ParamGroupName, number>>>;
  /** Global gradient-norm clip (torch clip_grad_norm_); 0 disables. */
  readonly clipNorm: number;
}

export const DEFAULT_ADAMW: AdamWConfig = { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.5, decayOn: 'matrices', weightDecayByGroup: {}, clipNorm: 1 };

const EMBEDDING = /^(transformer\.(wte|wpe)|lm_head)\.weight$/;

/** The weight-decay group of a parameter, from its name and shape. */
export function paramGroup(name: string, shape: readonly number[]): ParamGroupName {
  if (EMBEDDING.test(name)) return 'embeddings';
  return shape.length >= 2 ? 'matrices' : 'vectors';
}

/** The decoupled weight-decay coefficient of one parameter under `config`. */
export function weightDecayOf(name: string, shape: readonly number[], config: Pick<AdamWConfig, 'weightDecay' | 'decayOn' | 'weightDecayByGroup'>): number {
  const group = paramGroup(name, shape);
  return config.weightDecayByGroup[group] ?? (group !== 'vectors' || config.decayOn === 'all' ? config.weightDecay : 0);
}

/** Host copy of the optimizer state, for checkpoints. */
export interface AdamWState {
  readonly step: number;
  readonly m: Map<string, Float32Array>;
  readonly v: Map<string, Float32Array>;
}

/**
 * AdamW with the arithmetic of torch.optim.AdamW: decay first, then
 * m = b1 m + (1-b1) g, v = b2 v + (1-b2) g^2, p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps),
 * after scaling all gradients by min(1, clip / (||g|| + 1e-6)).
 */
export class AdamW {
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  private t = 0;

  constructor(
    private readonly params: ModelParams,
    readonly config: AdamWConfig,
  ) {
    for (const [name, p] of params) {
      // tidy disposes the initial-value handles; the variables keep the data.
      this.m.set(name, tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
      this.v.set(name, tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
    }
  }

  get stepCount(): number {
    return this.t;
  }

  private weightDecay(name: string): number {
    return weightDecayOf(name, this.params.get(name)!.shape, this.config);
  }

  /** One update with learning rate `lr`; returns the gradient norm before clipping. Does not dispose `grads`. */
  step(grads: tf.NamedTensorMap, lr: number): number {
    const { beta1, beta2, eps, clipNorm } = this.config;
    this.t += 1;
    const bc1 = 1 - beta1 ** this.t;
    const bc2Sqrt = Math.sqrt(1 - beta2 ** this.t);
    const names = [...this.params.keys()];
    for (const name of names) if (!grads[name]) throw new Error(`AdamW.step: no gradient for '${name}'`);
    let gradNorm = 0;
    tf.tidy(() => {
      const norm = tf.sqrt(tf.addN(names.map((n) => tf.sum(tf.square(grads[n])))));
      gradNorm = norm.dataSync()[0];
      const coef = clipNorm > 0 ? Math.min(1, clipNorm / (gradNorm + 1e-6)) : 1;
      for (const name of names) {
        const p = this.params.get(name)!;
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        const g = coef === 1 ? grads[name] : tf.mul(grads[name], coef);
        m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
        v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
        const update = tf.div(m, tf.add(tf.div(tf.sqrt(v), bc2Sqrt), eps));
        const weightDecay = this.weightDecay(name);
        const decayed = weightDecay > 0 ? tf.mul(p, 1 - lr * weightDecay) : p;
        p.assign(tf.sub(decayed, tf.mul(update, lr / bc1)));
      }
    });
    return gradNorm;
  }

  exportState(): AdamWState {
    const read = (vars: Map<string, tf.Variable>) => new Map([...vars].map(([n, x]) => [n, new Float32Array(x.dataSync())]));
    return { step: this.t, m: read(this.m), v: read(this.v) };
  }

  importState(state: AdamWState, where = 'optimizer state'): void {
    for (const [name, p] of this.params) {
      const n = p.size;
      for (const [kind, src, dst] of [['m', state.m, this.m], ['v', state.v, this.v]] as const) {
        const data = src.get(name);
        if (!data || data.length !== n) throw new Error(`${where}: ${kind} of '${name}' is ${data ? `${data.length} values, expected ${n}` : 'missing'}`);
        tf.tidy(() => dst.get(name)!.assign(tf.tensor(data, p.shape, 'float32')));
      }
    }
    this.t = state.step;
  }

  dispose(): void {
    for (const x of [...this.m.values(), ...this.v.values()]) x.dispose();
    this.m.clear();
    this.v.clear();
  }
}
