import type { GradContext } from './autodiff.js';

/**
 * Mean next-token cross-entropy (nats) of int64 `targets` [B,T] under `logits` [B,T,V], and its
 * gradient with respect to the logits, softmax / (B T) - one_hot(target) / (B T), which seeds the backward
 * pass. The loss is what `languageModelLoss` computes: -mean(log_softmax(logits)[target]).
 */
export function appendCrossEntropy(ctx: GradContext, logits: string, targets: string): { loss: string; dLogits: string } {
  const shape = ctx.shape(logits);
  const vocab = shape[shape.length - 1];
  const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
  const logProbs = ctx.node('LogSoftmax', [ctx.reshape(logits, [rows, vocab])], { axis: -1 }); // [N,V]
  const picked = ctx.node('GatherElements', [logProbs, ctx.reshape(targets, [rows, 1])], { axis: 1 }); // [N,1]
  const loss = ctx.node('Neg', [ctx.node('ReduceMean', [picked], { keepdims: 0 })]); // []
  // softmax / N, then -1/N added at each row's target (ScatterElements: 10x cheaper than ORT's OneHot here)
  const probs = ctx.node('Div', [ctx.node('Exp', [logProbs]), ctx.scalar(rows)]); // [N,V]
  const minusOne = ctx.node('Expand', [ctx.scalar(-1 / rows), ctx.ints([rows, 1])]); // constant-folded by ORT
  const dRows = ctx.node('ScatterElements', [probs, ctx.reshape(targets, [rows, 1]), minusOne], { axis: 1, reduction: 'add' });
  return { loss, dLogits: ctx.reshape(dRows, shape) };
}
