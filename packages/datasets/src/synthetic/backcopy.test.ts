import { describe, expect, it } from 'vitest';
import {
  BACKCOPY_SEQUENCE_LENGTH,
  backcopyHeldOutSet,
  backcopyTrainingBatch,
  createBackcopyWorld,
  type BackcopyBatch,
  type BackcopyWorld,
} from './backcopy.js';

const world = createBackcopyWorld({ taskSeed: 0 });

describe('createBackcopyWorld', () => {
  it('draws 4 groups of 3 triggers with offsets 1..4 and 52 non-triggers', () => {
    expect(world.vocabSize).toBe(65);
    expect(world.bosId).toBe(64);
    expect(world.triggerGroups.map((g) => g.length)).toEqual([3, 3, 3, 3]);
    expect(world.offsets).toEqual([1, 2, 3, 4]);
    expect(new Set(world.triggers).size).toBe(12);
    expect(world.nonTriggers).toHaveLength(52);
    expect([...world.triggers, ...world.nonTriggers].sort((a, b) => a - b)).toEqual(Array.from({ length: 64 }, (_, i) => i));
  });

  it('gives every token 4 distinct non-trigger successors with weights summing to 1', () => {
    for (let id = 0; id < 64; id++) {
      const succ = [...world.successors[id]];
      expect(new Set(succ).size).toBe(4);
      for (const s of succ) expect(world.groupOf[s]).toBe(-1);
      expect(world.successorWeights[id].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 14);
    }
  });

  it('depends only on the task seed', () => {
    const again = createBackcopyWorld({ taskSeed: 0 });
    expect(again.triggers).toEqual(world.triggers);
    expect([...again.successors[5]]).toEqual([...world.successors[5]]);
    expect(createBackcopyWorld({ taskSeed: 1 }).triggers).not.toEqual(world.triggers);
  });

  it('rejects impossible shapes with the field name', () => {
    expect(() => createBackcopyWorld({ taskSeed: 0, numOrdinary: 12 })).toThrow(/numOrdinary/);
    expect(() => createBackcopyWorld({ taskSeed: -1 })).toThrow(/taskSeed/);
    expect(() => createBackcopyWorld({ taskSeed: 0, successorsPerToken: 60 })).toThrow(/successorsPerToken/);
  });
});

/**
 * Check every rule of the language at every position of a batch (violations are collected, not
 * asserted one by one, to keep the test fast); returns the shares of copy targets and triggers.
 */
function checkRules(w: BackcopyWorld, batch: BackcopyBatch) {
  const violations: string[] = [];
  const fail = (s: number, t: number, rule: string) => violations.length < 10 && violations.push(`sequence ${s} position ${t}: ${rule}`);
  let copies = 0;
  let freshCopies = 0;
  let triggers = 0;
  let positions = 0;
  for (let s = 0; s < batch.count; s++) {
    const x = batch.ids.subarray(s * batch.length, (s + 1) * batch.length);
    const copy = batch.isCopyTarget.subarray(s * batch.length, (s + 1) * batch.length);
    if (x[0] !== w.bosId) fail(s, 0, 'x_0 is not BOS');
    if (copy[0] || copy[1]) fail(s, 0, 'x_0 or x_1 marked as copy target');
    if (w.groupOf[x[1]] !== -1) fail(s, 1, 'x_1 is not a non-trigger');
    for (let t = 1; t < batch.length; t++) if (x[t] === w.bosId) fail(s, t, 'BOS after position 0');
    for (let t = 1; t + 1 < batch.length; t++) {
      const g = w.groupOf[x[t]];
      const next = x[t + 1];
      positions++;
      if (g >= 0) triggers++;
      if (g >= 0 && t - w.offsets[g] >= 1) {
        if (!copy[t + 1]) fail(s, t + 1, 'copy target not marked');
        if (next !== x[t - w.offsets[g]]) fail(s, t + 1, `not a copy of x_{t - ${w.offsets[g]}}`);
        copies++;
        if (!copy[t]) freshCopies++; // the trigger was inserted, not itself copied
      } else {
        if (copy[t + 1]) fail(s, t + 1, 'marked as copy target without a copy rule');
        // a bigram successor, or (after a non-trigger) a trigger inserted with probability 0.15
        const fromTable = w.successors[x[t]].includes(next);
        const inserted = g < 0 && w.groupOf[next] >= 0;
        if (!fromTable && !inserted) fail(s, t + 1, `${next} is neither a successor of ${x[t]} nor an inserted trigger`);
      }
    }
  }
  expect(violations).toEqual([]);
  return { copyShare: copies / positions, freshCopyShare: freshCopies / positions, triggerShare: triggers / positions };
}

describe('back-copy sequences', () => {
  it('obey the rules; about 13 % of positions copy after an inserted trigger', () => {
    const batch = backcopyTrainingBatch(world, 1, 0, 400);
    expect(batch.length).toBe(BACKCOPY_SEQUENCE_LENGTH);
    const { copyShare, freshCopyShare, triggerShare } = checkRules(world, batch);
    // Inserted triggers: 0.15 x the non-trigger share (~0.83) = ~0.125 of positions (the recipe's
    // "about 13 %"). A copied token that is itself a trigger copies again, which adds ~4 points:
    // the rules as written give 16-18 % copy targets in total.
    expect(freshCopyShare).toBeGreaterThan(0.11);
    expect(freshCopyShare).toBeLessThan(0.14);
    expect(copyShare).toBeGreaterThan(0.15);
    expect(copyShare).toBeLessThan(0.19);
    expect(triggerShare).toBeGreaterThan(copyShare); // early triggers (t <= o_g) do not copy
  });

  it('training batches depend on (seed, step) only; the held-out set is fixed and separate', () => {
    const a = backcopyTrainingBatch(world, 1, 7, 8);
    expect(backcopyTrainingBatch(world, 1, 7, 8).ids).toEqual(a.ids);
    expect(backcopyTrainingBatch(world, 2, 7, 8).ids).not.toEqual(a.ids);
    expect(backcopyTrainingBatch(world, 1, 8, 8).ids).not.toEqual(a.ids);
    const heldOut = backcopyHeldOutSet(world);
    expect(heldOut.count).toBe(100);
    expect(backcopyHeldOutSet(world).ids).toEqual(heldOut.ids);
    checkRules(world, heldOut);
    const firstTrain = backcopyTrainingBatch(world, 1, 0, 100);
    expect(firstTrain.ids).not.toEqual(heldOut.ids);
  });

  it('bigram draws follow the Dirichlet weights', () => {
    // Empirical successor frequencies of one frequent non-trigger vs its table weights.
    const batch = backcopyTrainingBatch(world, 3, 0, 2000);
    const counts = new Map<number, Map<number, number>>();
    for (let s = 0; s < batch.count; s++) {
      for (let t = 1; t + 1 < batch.length; t++) {
        const x = batch.ids[s * batch.length + t];
        const next = batch.ids[s * batch.length + t + 1];
        if (world.groupOf[x] >= 0 || world.groupOf[next] >= 0) continue;
        const row = counts.get(x) ?? new Map<number, number>();
        row.set(next, (row.get(next) ?? 0) + 1);
        counts.set(x, row);
      }
    }
    const [token, row] = [...counts].sort((a, b) => [...b[1].values()].reduce((p, q) => p + q) - [...a[1].values()].reduce((p, q) => p + q))[0];
    const total = [...row.values()].reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(1000);
    world.successors[token].forEach((succ, j) => {
      const p = world.successorWeights[token][j];
      const sd = Math.sqrt((p * (1 - p)) / total);
      expect(Math.abs((row.get(succ) ?? 0) / total - p)).toBeLessThan(5 * sd + 1e-9);
    });
  });
});
