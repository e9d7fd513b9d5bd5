import type { AdamWConfig } from '../optim/adamw.js';
import type { GradContext } from './autodiff.js';

/** Graph values the update reads: flat [P] vectors and the per-step scalars the host computes. */
export interface AdamWInputs {
  readonly params: string;
  readonly grads: string;
  readonly m: string;
  readonly v: string;
  /** 1 - lr * weightDecay (in float64 on the host, as AdamW.step computes it, then float32). */
  readonly decayFactor: string;
  /** lr / (1 - beta1^t). */
  readonly stepSize: string;
  /** sqrt(1 - beta2^t). */
  readonly biasCorrection2: string;
  /** bool [P]: where weight decay applies (absent: everywhere). */
  readonly decayMask?: string;
}

/**
 * Gradient clipping and one AdamW update over the flat parameter vector, with the arithmetic of
 * `AdamW.step` (torch.optim.AdamW): g *= min(1, clip / (||g|| + 1e-6)); p *= 1 - lr wd (decayed
 * tensors); m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; p -= lr / (1 - b1^t) m / (sqrt(v) / sqrt(1 - b2^t) + eps).
 * Returns the new parameters and moments, and the gradient norm before clipping.
 */
export function appendAdamW(ctx: GradContext, config: AdamWConfig, x: AdamWInputs): { params: string; m: string; v: string; gradNorm: string } {
  const { beta1, beta2, eps, weightDecay, clipNorm } = config;
  const n = (op: string, ...inputs: string[]) => ctx.node(op, inputs);
  const c = (value: number) => ctx.scalar(value);
  const gradNorm = n('Sqrt', ctx.node('ReduceSumSquare', [x.grads], { keepdims: 0 })); // []
  const g = clipNorm > 0 ? n('Mul', x.grads, n('Min', c(1), n('Div', c(clipNorm), n('Add', gradNorm, c(1e-6))))) : x.grads;
  const m = n('Add', n('Mul', x.m, c(beta1)), n('Mul', g, c(1 - beta1)));
  const v = n('Add', n('Mul', x.v, c(beta2)), n('Mul', n('Mul', g, g), c(1 - beta2)));
  const update = n('Div', m, n('Add', n('Div', n('Sqrt', v), x.biasCorrection2), c(eps)));
  let decayed = x.params;
  if (weightDecay > 0) decayed = n('Mul', x.params, x.decayMask ? n('Where', x.decayMask, x.decayFactor, c(1)) : x.decayFactor);
  const params = n('Sub', decayed, n('Mul', update, x.stepSize));
  return { params, m, v, gradNorm };
}
