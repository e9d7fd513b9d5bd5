export * from './hf-fixtures.js';
export * from './parity-figures.js';
export * from './hub-cache.js';
