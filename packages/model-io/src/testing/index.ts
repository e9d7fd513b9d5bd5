export * from './hf-fixtures.js';
export * from './parity-figures.js';
export * from './sinkscope-checkpoint.js';
export * from './hub-cache.js';
