export * from './dtypes.js';
export * from './errors.js';
export * from './header.js';
export * from './tensor-data.js';
export * from './file.js';
export * from './writer.js';
