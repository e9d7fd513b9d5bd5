import type { GradContext } from './autodiff.js';

/**
 * Mean next-token cross-entropy (nats) of int64 `targets` [B,T] under `logits` [B,T,V], and its
 * gradient with respect to the logits, (softmax - one_hot(target)) / (B T), which seeds the backward
 * pass. The loss is what `languageModelLoss` computes: -mean(log_softmax(logits)[target]).
 */
export function appendCrossEntropy(ctx: GradContext, logits: string, targets: string): { loss: string; dLogits: string } {
  const shape = ctx.shape(logits);
  const vocab = shape[shape.length - 1];
  const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
  const logProbs = ctx.node('LogSoftmax', [ctx.reshape(logits, [rows, vocab])], { axis: -1 }); // [N,V]
  const picked = ctx.node('GatherElements', [logProbs, ctx.reshape(targets, [rows, 1])], { axis: 1 }); // [N,1]
  const loss = ctx.node('Neg', [ctx.node('ReduceMean', [picked], { keepdims: 0 })]); // []
  const oneHot = ctx.node('OneHot', [ctx.reshape(targets, [rows]), ctx.ints([vocab]), ctx.g.floats([0, 1])], { axis: -1 }); // [N,V]
  const dRows = ctx.node('Div', [ctx.node('Sub', [ctx.node('Exp', [logProbs]), oneHot]), ctx.scalar(rows)]);
  return { loss, dLogits: ctx.reshape(dRows, shape) };
}
