import type { ModelConfig } from '../src/model/config.js';

/** Every variant the trainer offers (model-io's forward on tfjs with the training kernels). */
export const TRAINER_VARIANTS: [string, Partial<ModelConfig>][] = [
  ['softmax (GPT-2)', {}],
  ['sigmoid, no normalisation', { attention: 'sigmoid' }],
  ['sigmoid, normalised', { attention: 'sigmoid_norm' }],
  ['elu + 1 kernel', { attention: 'elu1' }],
  ['key/value bias', { kvBias: 'kv' }],
  ['key-only bias, sigmoid', { kvBias: 'k', attention: 'sigmoid' }],
  ['value-only bias', { kvBias: 'v' }],
  ['learnable sink token', { sinkToken: true }],
  ['RoPE', { positionEncoding: 'rope' }],
  ['ALiBi', { positionEncoding: 'alibi' }],
  ['ALiBi, normalised sigmoid, key/value bias', { positionEncoding: 'alibi', attention: 'sigmoid_norm', kvBias: 'kv' }],
  ['sinusoidal', { positionEncoding: 'sinusoidal' }],
  ['no positions', { positionEncoding: 'none' }],
  ['post-norm, RMSNorm', { normPlacement: 'post', norm: 'rmsnorm' }],
  ['prefix-LM', { prefixLength: 3 }],
  ['sliding window', { slidingWindow: 2 }],
  ['block 0 without attention, RMSNorm + SwiGLU, untied, no biases', { attentionFreeLayers: [0], norm: 'rmsnorm', gatedMlp: true, activation: 'silu', tieEmbeddings: false, linearBias: false }],
  ['block 1 without MLP, gelu_new', { mlpFreeLayers: [1], activation: 'gelu_new' }],
];
