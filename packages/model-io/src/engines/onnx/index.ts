// The onnx engine only: importing this never loads tfjs (test/onnx/no-tfjs.test.ts).
export * from './device.js';
export * from './onnx-graph.js';
export * from './onnx-ops.js';
export * from './trace.js';
export * from './batch-size.js';
export * from './onnx-model.js';
export * from './function-intervention.js';
export * from './ort-profile.js';
