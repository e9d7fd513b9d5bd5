import type { GradContext } from './autodiff.js';

/**
 * Mean next-token cross-entropy (nats) of int64 `targets` [B,T] under `logits` [B,T,V], and its
 * gradient with respect to the logits, softmax / N - one_hot(target) / N, which seeds the backward
 * pass. The loss is what `languageModelLoss` computes: -mean(log_softmax(logits)[target]), over the
 * positions `positionWeights` [T] marks with 1 when given (N = B x their count; a prefix-LM's prefix is 0).
 */
export function appendCrossEntropy(ctx: GradContext, logits: string, targets: string, positionWeights?: Float32Array): { loss: string; dLogits: string } {
  const shape = ctx.shape(logits);
  const vocab = shape[shape.length - 1];
  const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
  const logProbs = ctx.node('LogSoftmax', [ctx.reshape(logits, [rows, vocab])], { axis: -1 }); // [N,V]
  const picked = ctx.node('GatherElements', [logProbs, ctx.reshape(targets, [rows, 1])], { axis: 1 }); // [N,1]
  if (positionWeights) return weightedCrossEntropy(ctx, shape, logProbs, picked, targets, positionWeights);
  const loss = ctx.node('Neg', [ctx.node('ReduceMean', [picked], { keepdims: 0 })]); // []
  // softmax / N, then -1/N added at each row's target (ScatterElements: 10x cheaper than ORT's OneHot here)
  const probs = ctx.node('Div', [ctx.node('Exp', [logProbs]), ctx.scalar(rows)]); // [N,V]
  const minusOne = ctx.node('Expand', [ctx.scalar(-1 / rows), ctx.ints([rows, 1])]); // constant-folded by ORT
  const dRows = ctx.node('ScatterElements', [probs, ctx.reshape(targets, [rows, 1]), minusOne], { axis: 1, reduction: 'add' });
  return { loss, dLogits: ctx.reshape(dRows, shape) };
}

/** The same over the weighted positions: loss = -sum(w picked) / N_w, dLogits = w (softmax - one_hot) / N_w. */
function weightedCrossEntropy(ctx: GradContext, shape: readonly number[], logProbs: string, picked: string, targets: string, positionWeights: Float32Array): { loss: string; dLogits: string } {
  const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
  const T = shape[shape.length - 2];
  if (positionWeights.length !== T) throw new Error(`cross-entropy: ${positionWeights.length} position weights for ${T} positions`);
  const counted = (rows / T) * positionWeights.reduce((a, b) => a + b, 0);
  const weights = Array.from({ length: rows }, (_, i) => positionWeights[i % T] / counted);
  const w = ctx.floatType === 'float32' ? ctx.g.floats(weights, [rows, 1]) : ctx.node('Cast', [ctx.g.floats(weights, [rows, 1])], { to: 11 }); // [N,1]
  const loss = ctx.node('Neg', [ctx.node('ReduceSum', [ctx.node('Mul', [picked, w])], { keepdims: 0 })]); // []
  const dRows = ctx.node('Mul', [ctx.node('ScatterElements', [ctx.node('Exp', [logProbs]), ctx.reshape(targets, [rows, 1]), ctx.node('Expand', [ctx.scalar(-1), ctx.ints([rows, 1])])], { axis: 1, reduction: 'add' }), w]);
  return { loss, dLogits: ctx.reshape(dRows, shape) };
}
