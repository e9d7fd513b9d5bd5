import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

export type BackendName = 'wasm' | 'cpu';

/**
 * Select the tfjs backend once per process. `wasm` (SIMD + XNNPACK, one thread) is 20-50x faster
 * than the pure-JS `cpu` backend for training (a 3-layer x 128 step, batch 32 x 64: 0.82 s against 19.6 s);
 * `cpu` is the fallback.
 */
export async function useBackend(name: BackendName = 'wasm'): Promise<void> {
  if (tf.getBackend() === name) return;
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`tfjs backend '${name}' failed to initialise (try 'cpu')`);
  await tf.ready();
}
