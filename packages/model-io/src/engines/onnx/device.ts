import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parseChoice } from '../../choice.js';

export type OnnxDevice = 'cpu' | 'gpu';
export const ONNX_DEVICES: readonly OnnxDevice[] = ['cpu', 'gpu'];

export function parseDevice(value: string): OnnxDevice {
  return parseChoice(value, ONNX_DEVICES, 'device');
}

/** Where onnxruntime-node keeps its native files for this platform. */
function nativeDir(): string {
  const pkg = createRequire(import.meta.url).resolve('onnxruntime-node/package.json');
  return join(dirname(pkg), 'bin', 'napi-v6', process.platform, process.arch);
}

/**
 * ORT execution providers for a device. The CUDA provider is not in the npm tarball: its install
 * script downloads it, and the root package.json's `allowScripts` denies that script (offline installs);
 * a GPU user runs it by hand.
 */
export function executionProviders(device: OnnxDevice): string[] {
  if (device === 'cpu') return ['cpu'];
  const cudaLib = join(nativeDir(), 'libonnxruntime_providers_cuda.so');
  if (process.platform !== 'linux' || process.arch !== 'x64' || !existsSync(cudaLib)) {
    throw new Error(
      `--device gpu needs onnxruntime-node's CUDA 12 provider (${cudaLib} not found). Install it with ` +
        '`ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js` after `npm ci` (' +
        'needs internet access, Linux x64, CUDA 12 and cuDNN 9).',
    );
  }
  return ['cuda', 'cpu'];
}
