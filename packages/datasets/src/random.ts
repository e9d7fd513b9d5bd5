/**
 * The eval sets' PRNG: sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, 32-bit; passes
 * PractRand) with its state filled from the seed by splitmix32. Integer arithmetic only
 * (Math.imul, >>>, |0), so a seed gives the same stream on every machine and JS engine.
 */
export class EvalRandom {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** `seed` must be an integer in [0, 2^32). */
  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`seed ${seed} must be an integer in [0, 2^32)`);
    let x = seed >>> 0;
    x = splitmix32(x);
    this.a = x;
    x = splitmix32(x);
    this.b = x;
    x = splitmix32(x);
    this.c = x;
    this.d = 1;
    for (let i = 0; i < 12; i++) this.nextUint32(); // sfc32's recommended warm-up
  }

  /** Next uint32. */
  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform integer in [0, n), exactly uniform (rejection of the biased tail). */
  nextInt(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 0x100000000) throw new Error(`nextInt: n = ${n} must be an integer in [1, 2^32]`);
    const limit = 0x100000000 - (0x100000000 % n);
    for (;;) {
      const u = this.nextUint32();
      if (u < limit) return u % n;
    }
  }

  /** A uniformly random permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): number[] {
    const out = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }

  /** `k` distinct items of `items`, uniformly (partial Fisher-Yates on a copy), in draw order. */
  sample<T>(items: readonly T[], k: number): T[] {
    if (!Number.isInteger(k) || k < 0 || k > items.length) throw new Error(`sample: k = ${k} must be in [0, ${items.length}]`);
    const pool = [...items];
    for (let i = 0; i < k; i++) {
      const j = i + this.nextInt(pool.length - i);
      [pool[i], pool[j]] = [pool[j], pool[i]];
    }
    return pool.slice(0, k);
  }
}

function splitmix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}
