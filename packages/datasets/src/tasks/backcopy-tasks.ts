/**
 * Small generated tasks with known answers from the back-copy grammar (backcopy.ts), for the depth
 * analyses' tests and the sink-valley pipeline's defaults (datasets/backcopy-*.jsonl, written in the
 * embedded default model's task world by tools/write-backcopy-tasks.ts):
 * - multiple choice: a context that ends on a trigger whose copy rule applies; the gold choice is
 *   the token the rule copies, the three others distinct non-trigger tokens;
 * - labelled: a prefix ending on a token whose next one the copy rule decides ("copy") or the
 *   bigram table decides ("bigram"), half and half.
 * Texts are in the back-copy models' word-level vocabulary ("t0".."t63"; BOS, if any, is added by the
 * policy). Any task world and a random first word instead of BOS (`BackcopyTaskOptions`) give the same
 * tasks for models trained on other worlds, the embedded default among them.
 */
import { SeededRandom } from '../random.js';
import { backcopyHeldOutSet, createBackcopyWorld, type BackcopyWorld, type BackcopyWorldOptions } from '../synthetic/backcopy.js';

const word = (id: number) => `t${id}`;

/**
 * Which back-copy world the tasks come from (default: task seed 0 with the world's default rules, as the
 * embedded default model), and what stands at position 0: `bos` (default; the tokenizer's BOS policy
 * adds it) or `random`, a uniformly random ordinary word, for a model trained with a random first
 * token instead of BOS (Gu et al. sec. 6; @sinkscope/train's `firstToken: "random"`).
 */
export interface BackcopyTaskOptions extends Partial<BackcopyWorldOptions> {
  readonly seed?: number;
  readonly firstToken?: 'bos' | 'random';
}

function taskWorld(options: BackcopyTaskOptions): BackcopyWorld {
  const { seed: _seed, firstToken: _first, ...world } = options;
  return createBackcopyWorld({ ...world, taskSeed: world.taskSeed ?? 0 });
}

/** The words of `body` (a row's ids after its BOS), after a random first word under `firstToken: "random"`. */
function contextWords(body: Int32Array, world: BackcopyWorld, firstWords: SeededRandom | null): string {
  const words = Array.from(body, word);
  return (firstWords ? [word(firstWords.nextInt(world.numOrdinary)), ...words] : words).join(' ');
}

/** Copy positions of a sampled sequence: t with x_t a trigger of group g and t - o_g >= 1. */
function copyPositions(world: BackcopyWorld, ids: Int32Array, at: number, length: number): number[] {
  const out: number[] = [];
  for (let t = 1; t + 1 < length; t++) {
    const g = world.groupOf[ids[at + t]];
    if (g >= 0 && t - world.offsets[g] >= 1) out.push(t);
  }
  return out;
}

export function backcopyChoiceItems(count: number, options: BackcopyTaskOptions = {}): { context: string; choices: string[]; gold: number }[] {
  const world = taskWorld(options);
  const rng = new SeededRandom(0xc401ce, options.seed ?? 1);
  // a stream of its own, so the default ('bos') items stay what they were
  const firstWords = options.firstToken === 'random' ? new SeededRandom(0xc401ce, options.seed ?? 1, 0xf1257) : null;
  const length = 48;
  const set = backcopyHeldOutSet(world, count * 2, length, 0x7a5c0 + (options.seed ?? 1));
  const items: { context: string; choices: string[]; gold: number }[] = [];
  for (let s = 0; s < set.count && items.length < count; s++) {
    const at = s * length;
    const positions = copyPositions(world, set.ids, at, length).filter((t) => t >= 8);
    if (positions.length === 0) continue;
    const t = positions[rng.nextInt(positions.length)];
    const answer = set.ids[at + t + 1];
    const distractors = rng.shuffled(world.nonTriggers.filter((id) => id !== answer)).slice(0, 3);
    const gold = rng.nextInt(4);
    const choices = [...distractors];
    choices.splice(gold, 0, answer);
    items.push({ context: contextWords(set.ids.subarray(at + 1, at + t + 1), world, firstWords), choices: choices.map((id) => ` ${word(id)}`), gold });
  }
  if (items.length < count) throw new Error(`backcopyChoiceItems: only ${items.length} of ${count} items found`);
  return items;
}

export function backcopyLabelledExamples(count: number, options: BackcopyTaskOptions = {}): { text: string; label: string }[] {
  const world = taskWorld(options);
  const rng = new SeededRandom(0x1abe1, options.seed ?? 1);
  const firstWords = options.firstToken === 'random' ? new SeededRandom(0x1abe1, options.seed ?? 1, 0xf1257) : null;
  const length = 40;
  const set = backcopyHeldOutSet(world, count * 2, length, 0x1abe1 + (options.seed ?? 1));
  const out: { text: string; label: string }[] = [];
  for (let s = 0; s < set.count && out.length < count; s++) {
    const at = s * length;
    const copy = new Set(copyPositions(world, set.ids, at, length));
    const wantCopy = out.length % 2 === 0;
    const candidates = Array.from({ length: length - 10 }, (_, i) => i + 8).filter((t) => copy.has(t) === wantCopy);
    if (candidates.length === 0) continue;
    const t = candidates[rng.nextInt(candidates.length)];
    out.push({ text: contextWords(set.ids.subarray(at + 1, at + t + 1), world, firstWords), label: wantCopy ? 'copy' : 'bigram' });
  }
  if (out.length < count) throw new Error(`backcopyLabelledExamples: only ${out.length} of ${count} examples found`);
  return out;
}
