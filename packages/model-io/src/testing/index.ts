export * from './hf-fixtures.js';
