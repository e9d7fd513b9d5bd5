import type { AdamWConfig } from '../optim/adamw.js';
import type { GradContext } from './autodiff.js';

const ONNX_FLOAT = 1;
const ONNX_DOUBLE = 11;

/** One parameter group's flat [n] vectors in the graph. */
export interface AdamWGroup {
  readonly params: string;
  readonly grads: string;
  readonly m: string;
  readonly v: string;
  /** The group's 1 - lr * weightDecay input, fed per step; absent for a group without weight decay. */
  readonly decayFactor?: string;
}

/** The per-step scalars the host computes in float64 (as `AdamW.step` does), fed as float32. */
export interface AdamWScalars {
  /** lr / (1 - beta1^t). */
  readonly stepSize: string;
  /** sqrt(1 - beta2^t). */
  readonly biasCorrection2: string;
}

/**
 * Gradient clipping and one AdamW update, group by group over flat vectors, with the arithmetic of
 * `AdamW.step` (torch.optim.AdamW): g *= min(1, clip / (||g|| + 1e-6)) with ||g|| over all groups;
 * p *= 1 - lr wd (the group's own wd); m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
 * p -= lr / (1 - b1^t) m / (sqrt(v) / sqrt(1 - b2^t) + eps).
 * Returns each group's new parameters and moments, and the gradient norm before clipping.
 */
export function appendAdamW(ctx: GradContext, config: AdamWConfig, groups: readonly AdamWGroup[], s: AdamWScalars) {
  const { beta1, beta2, eps, clipNorm } = config;
  const n = (op: string, ...inputs: string[]) => ctx.node(op, inputs);
  const c = (value: number) => ctx.scalar(value);
  // the squares summed in float64: one float32 ReduceSumSquare over a group's flat vector (all the
  // matrices of a model in one) lost 1.6e-3 of the default recipe's norm, and so of its clipping
  const wide = ctx.floatType === 'float32';
  const squares = groups.map((grp) => ctx.node('ReduceSumSquare', [wide ? ctx.node('Cast', [grp.grads], { to: ONNX_DOUBLE }) : grp.grads], { keepdims: 0 })); // [] each
  const norm = n('Sqrt', squares.length === 1 ? squares[0] : n('Sum', ...squares));
  const gradNorm = wide ? ctx.node('Cast', [norm], { to: ONNX_FLOAT }) : norm;
  const coef = clipNorm > 0 ? n('Min', c(1), n('Div', c(clipNorm), n('Add', gradNorm, c(1e-6)))) : undefined;
  const updated = groups.map((grp) => {
    const g = coef ? n('Mul', grp.grads, coef) : grp.grads;
    const m = n('Add', n('Mul', grp.m, c(beta1)), n('Mul', g, c(1 - beta1)));
    const v = n('Add', n('Mul', grp.v, c(beta2)), n('Mul', n('Mul', g, g), c(1 - beta2)));
    const update = n('Div', m, n('Add', n('Div', n('Sqrt', v), s.biasCorrection2), c(eps)));
    const decayed = grp.decayFactor ? n('Mul', grp.params, grp.decayFactor) : grp.params;
    return { params: n('Sub', decayed, n('Mul', update, s.stepSize)), m, v };
  });
  return { groups: updated, gradNorm };
}
