/**
 * A seeded, stratified k-fold assignment: the examples of each label are shuffled (mulberry32 on
 * the seed; the same assignment on every machine) and dealt to folds 0..k-1 in turn, so every fold
 * holds each label in proportion.
 */
export class SeededFolds {
  private readonly foldOf: Int32Array;

  constructor(
    labels: readonly number[],
    readonly k: number,
    seed: number,
  ) {
    if (!Number.isInteger(k) || k < 2) throw new RangeError(`folds must be an integer >= 2, got ${k}`);
    this.foldOf = new Int32Array(labels.length);
    let state = seed >>> 0;
    const next = () => {
      state = (state + 0x6d2b79f5) >>> 0; // mulberry32
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    let dealt = 0;
    for (const label of [...new Set(labels)].sort((a, b) => a - b)) {
      const members = labels.flatMap((l, i) => (l === label ? [i] : []));
      for (let i = members.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [members[i], members[j]] = [members[j], members[i]];
      }
      for (const m of members) this.foldOf[m] = dealt++ % k;
    }
  }

  /** Training and held-out example indices of fold f. */
  split(f: number): { train: number[]; test: number[] } {
    const train: number[] = [];
    const test: number[] = [];
    this.foldOf.forEach((fold, i) => (fold === f ? test : train).push(i));
    return { train, test };
  }
}
