import { argmax } from './select.js';

/**
 * lm-eval's multiple-choice scoring (`acc`, `acc_norm`): each choice's score is the sum of its
 * continuation tokens' log-probabilities given everything before them; `acc` takes the arg-max of
 * the sums, `acc_norm` of the sums divided by the choice's length (characters, as lm-eval). Ties go
 * to the first choice (numpy's argmax).
 */
export interface ChoiceScore {
  /** Sum of the continuation tokens' log-probabilities. */
  readonly logProb: number;
  /** Length used by acc_norm (characters of the choice text). */
  readonly length: number;
}

export function choiceCorrect(scores: readonly ChoiceScore[], gold: number): { acc: boolean; accNorm: boolean } {
  return {
    acc: argmax(scores.map((s) => s.logProb)) === gold,
    accNorm: argmax(scores.map((s) => s.logProb / s.length)) === gold,
  };
}
