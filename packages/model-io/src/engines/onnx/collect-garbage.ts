import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined | null = null;

/**
 * Run a full V8 garbage collection now, if the runtime allows it. Host weight arrays handed to ORT
 * (which copies them) and each batch's captures once the caller is done with them are large external
 * buffers that V8 otherwise frees late: collecting after each session build and each batch keeps peak
 * RSS near what is live (hundreds of MB on GPT-2-sized models). A full collection of the small JS
 * heap costs milliseconds.
 */
export function collectGarbageNow(): void {
  if (gc === null) {
    try {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as () => void;
    } catch {
      gc = undefined;
    }
  }
  gc?.();
}

/**
 * A `collectGarbageNow` that collects only once `bytes` of ArrayBuffer memory appeared since the watch
 * began or last collected. For loops whose iterations may or may not leave large host arrays behind:
 * tracing through deferred weights leaves none, and a full collection per layer (5-15 ms each) was
 * 0.1 s of GPT-2 small's graph building and 0.3 s of Pythia-410M's, for nothing.
 */
export function garbageWatch(bytes: number): () => void {
  let base = process.memoryUsage().arrayBuffers;
  return () => {
    if (process.memoryUsage().arrayBuffers - base < bytes) return;
    collectGarbageNow();
    base = process.memoryUsage().arrayBuffers;
  };
}

/**
 * Full collection including ORT's output buffers: those are external buffers whose finalizers run
 * on a later tick, so collect, yield, collect, yield (measured: a synchronous collection alone
 * leaves the previous batch's captures alive).
 */
export async function collectGarbage(): Promise<void> {
  collectGarbageNow();
  if (!gc) return;
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  await new Promise((resolve) => setImmediate(resolve));
}
