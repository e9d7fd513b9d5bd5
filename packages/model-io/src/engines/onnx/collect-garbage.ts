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
