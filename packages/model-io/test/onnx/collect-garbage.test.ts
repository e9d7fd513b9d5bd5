// garbageWatch (collect-garbage.ts): the trace's per-layer collection runs only once enough host array
// memory piled up, so a trace through deferred weights (which allocates none) pays no full collections.
import { describe, expect, it } from 'vitest';
import { garbageWatch } from '../../src/engines/onnx/collect-garbage.js';

const MiB = 2 ** 20;

describe('garbageWatch', () => {
  it('collects once the threshold of ArrayBuffer memory appeared since it began', () => {
    const watch = garbageWatch(32 * MiB);
    let junk: Uint8Array | undefined = new Uint8Array(64 * MiB).fill(1);
    expect(junk[1]).toBe(1);
    junk = undefined;
    const piled = process.memoryUsage().arrayBuffers;
    watch();
    expect(process.memoryUsage().arrayBuffers).toBeLessThan(piled - 32 * MiB);
  });
});
