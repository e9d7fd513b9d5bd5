// Test support shared with other packages' tests (the pipeline's ablate step): `@sinkscope/ablation/testing`.
export * from './planted-model.js';
