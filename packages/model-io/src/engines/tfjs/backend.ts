import * as tf from '@tensorflow/tfjs';
import { parseChoice } from '../../choice.js';

export type BackendName = 'wasm' | 'cpu' | 'tensorflow';
export const BACKENDS: readonly BackendName[] = ['wasm', 'cpu', 'tensorflow'];

export function parseBackend(value: string): BackendName {
  return parseChoice(value, BACKENDS, 'backend');
}

/** The native TensorFlow binding (GPU build first) when it can be imported; never required. */
export async function nativeTensorflowPackage(): Promise<string | undefined> {
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      await import(/* @vite-ignore */ pkg);
      return pkg;
    } catch {
      /* not installed: fine */
    }
  }
  return undefined;
}

let active: { backend: BackendName; detail: string } | undefined;

/**
 * Choose and initialise the tfjs backend: explicit choice, else `SINKSCOPE_BACKEND`, else the
 * native `tensorflow` binding when installed, else `wasm` (SIMD, XNNPACK), with `cpu` as fallback.
 */
export async function initBackend(requested?: BackendName): Promise<{ backend: BackendName; detail: string }> {
  const wanted = requested ?? (process.env.SINKSCOPE_BACKEND ? parseBackend(process.env.SINKSCOPE_BACKEND) : undefined);
  if (active && (wanted === undefined || wanted === active.backend)) return active;
  if (wanted === 'tensorflow' || wanted === undefined) {
    const pkg = await nativeTensorflowPackage();
    if (pkg && (await tf.setBackend('tensorflow'))) {
      await tf.ready();
      return (active = { backend: 'tensorflow', detail: pkg });
    }
    if (wanted === 'tensorflow') {
      throw new Error('backend tensorflow needs @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node installed (npm i @tensorflow/tfjs-node)');
    }
  }
  if (wanted === 'wasm' || wanted === undefined) {
    await import('@tensorflow/tfjs-backend-wasm');
    if (await tf.setBackend('wasm')) {
      await tf.ready();
      return (active = { backend: 'wasm', detail: '@tensorflow/tfjs-backend-wasm (SIMD, 1 thread)' });
    }
    if (wanted === 'wasm') throw new Error('the wasm backend failed to initialise');
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return (active = { backend: 'cpu', detail: '@tensorflow/tfjs cpu (pure JS, slow)' });
}
