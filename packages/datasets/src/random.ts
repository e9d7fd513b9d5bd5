/**
 * The project's one seeded generator. 32-bit integer arithmetic only (Math.imul, >>>, |0), so a seed
 * gives the same stream on every machine and JS engine. Its draws (integers, floats, normals,
 * shuffles, samples) are written once; underneath is one of three bit sources, each kept because
 * shipped results are seeded through it and must not change:
 * - xoshiro128** (Blackman & Vigna) with its state filled by splitmix32 from one or more seed words:
 *   `new SeededRandom(...words)`, the default. The back-copy task, the trainer's initialisation and
 *   its text windows (the embedded default model's training data and evaluation set) use it.
 * - sfc32 (Chris Doty-Humphrey's Small Fast Counting generator; passes PractRand), state from
 *   splitmix32: `SeededRandom.sfc32(seed)`. Every evaluation set built from a dataset spec.
 * - mulberry32: `SeededRandom.mulberry32(seed)`. The ablation step's random control positions.
 */
export class SeededRandom {
  /** The bit source: the next uint32. */
  private source: () => number;

  /** xoshiro128**, each seed word an integer in [0, 2^32), mixed in order. */
  constructor(...seedWords: number[]) {
    if (seedWords.length === 0) throw new Error('SeededRandom: at least one seed word is required');
    let x = 0x9e3779b9;
    for (const w of seedWords) {
      if (!isUint32(w)) throw new Error(`SeededRandom: seed word ${w} is not an integer in [0, 2^32)`);
      x = splitmix32(x ^ w);
    }
    const s0 = splitmix32(x);
    const s1 = splitmix32(s0);
    const s2 = splitmix32(s1);
    const s3 = splitmix32(s2);
    this.source = xoshiro128ss((s0 | s1 | s2 | s3) === 0 ? 1 : s0, s1, s2, s3);
  }

  private static over(source: () => number): SeededRandom {
    const rng = new SeededRandom(0);
    rng.source = source;
    return rng;
  }

  /** xoshiro128** from its raw state s0..s3 (not all zero); for reference checks. */
  static fromState(s0: number, s1: number, s2: number, s3: number): SeededRandom {
    if ((s0 | s1 | s2 | s3) === 0) throw new Error('SeededRandom.fromState: the state must not be all zero');
    return SeededRandom.over(xoshiro128ss(s0, s1, s2, s3));
  }

  /** sfc32 with its state filled from `seed` (an integer in [0, 2^32)) by splitmix32, after the recommended 12-draw warm-up. */
  static sfc32(seed: number): SeededRandom {
    if (!isUint32(seed)) throw new Error(`seed ${seed} must be an integer in [0, 2^32)`);
    let a = splitmix32(seed >>> 0);
    let b = splitmix32(a);
    let c = splitmix32(b);
    let d = 1;
    const rng = SeededRandom.over(() => {
      const t = (((a + b) | 0) + d) | 0;
      d = (d + 1) | 0;
      a = b ^ (b >>> 9);
      b = (c + (c << 3)) | 0;
      c = (c << 21) | (c >>> 11);
      c = (c + t) | 0;
      return t >>> 0;
    });
    for (let i = 0; i < 12; i++) rng.nextUint32();
    return rng;
  }

  /** mulberry32 from `seed` (taken modulo 2^32). */
  static mulberry32(seed: number): SeededRandom {
    let a = seed >>> 0;
    return SeededRandom.over(() => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return (t ^ (t >>> 14)) >>> 0;
    });
  }

  /** Next uint32. */
  nextUint32(): number {
    return this.source();
  }

  /** Uniform double in [0, 1) from one uint32 (32 random bits): u / 2^32. */
  nextUnit(): number {
    return this.source() / 4294967296;
  }

  /** Uniform double in [0, 1) with 53 random bits (two uint32s). */
  nextFloat(): number {
    const hi = this.source() >>> 5; // 27 bits
    const lo = this.source() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n), exactly uniform (rejection of the biased tail). */
  nextInt(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 0x100000000) throw new Error(`nextInt: n = ${n} must be an integer in [1, 2^32]`);
    const limit = 0x100000000 - (0x100000000 % n);
    for (;;) {
      const u = this.source();
      if (u < limit) return u % n;
    }
  }

  /** Standard normal draw (Box-Muller; two `nextFloat`s per draw, no caching). */
  nextNormal(): number {
    const u1 = 1 - this.nextFloat(); // (0, 1]
    const u2 = this.nextFloat();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** A uniformly shuffled copy of `items` (Fisher-Yates from the end). */
  shuffled<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }

  /** A uniformly random permutation of 0..n-1. */
  permutation(n: number): number[] {
    return this.shuffled(Array.from({ length: n }, (_, i) => i));
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

/** xoshiro128** (Blackman & Vigna 2018) over the state s0..s3. */
function xoshiro128ss(...state: [number, number, number, number]): () => number {
  let [s0, s1, s2, s3] = state.map((s) => s | 0);
  return () => {
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return result;
  };
}

function isUint32(x: number): boolean {
  return Number.isInteger(x) && x >= 0 && x <= 0xffffffff;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

function splitmix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}
