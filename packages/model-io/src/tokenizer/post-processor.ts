import { TokenizerError } from './errors.js';
import type { JsonObject } from './checkpoint-files.js';

/** The special tokens a post-processor puts before and after a single text (token strings). */
export interface SpecialTokensAround {
  readonly prefix: readonly string[];
  readonly suffix: readonly string[];
}

type TemplateItem = { SpecialToken: { id: string; type_id: number } } | { Sequence: { id: 'A' | 'B'; type_id: number } };

/**
 * The TemplateProcessing that transformers' `update_post_processor()` builds (LlamaTokenizerFast
 * and the classes that copy it): single `[bos:0] $A:0 [eos:0]`, pair `single [bos:1] $B:1 [eos:1]`.
 */
export function rebuiltTemplate(
  bos: { token: string; id: number } | null,
  eos: { token: string; id: number } | null,
): JsonObject {
  const special = (token: string, typeId: number): TemplateItem => ({ SpecialToken: { id: token, type_id: typeId } });
  const single: TemplateItem[] = [...(bos ? [special(bos.token, 0)] : []), { Sequence: { id: 'A', type_id: 0 } }, ...(eos ? [special(eos.token, 0)] : [])];
  const pair: TemplateItem[] = [...single, ...(bos ? [special(bos.token, 1)] : []), { Sequence: { id: 'B', type_id: 1 } }, ...(eos ? [special(eos.token, 1)] : [])];
  const specialTokens: Record<string, { id: string; ids: number[]; tokens: string[] }> = {};
  for (const t of [bos, eos]) if (t) specialTokens[t.token] = { id: t.token, ids: [t.id], tokens: [t.token] };
  return { type: 'TemplateProcessing', single, pair, special_tokens: specialTokens };
}

function asObject(value: unknown, file: string, field: string): JsonObject {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TokenizerError(file, field, `expected an object, got ${JSON.stringify(value)}`);
  return value as JsonObject;
}

/** Static reading of a tokenizer.json `post_processor`: which special tokens wrap a single text. */
export function specialTokensAround(postProcessor: unknown, file: string, field = 'post_processor'): SpecialTokensAround {
  if (postProcessor === null || postProcessor === undefined) return { prefix: [], suffix: [] };
  const pp = asObject(postProcessor, file, field);
  switch (pp.type) {
    case 'ByteLevel':
      return { prefix: [], suffix: [] };
    case 'BertProcessing':
    case 'RobertaProcessing': {
      const cls = pp.cls as [string, number] | undefined;
      const sep = pp.sep as [string, number] | undefined;
      if (!Array.isArray(cls) || !Array.isArray(sep)) throw new TokenizerError(file, field, `${pp.type} needs 'cls' and 'sep' pairs`);
      return { prefix: [cls[0]], suffix: [sep[0]] };
    }
    case 'TemplateProcessing': {
      if (!Array.isArray(pp.single)) throw new TokenizerError(file, `${field}.single`, 'TemplateProcessing needs a "single" template list');
      const prefix: string[] = [];
      const suffix: string[] = [];
      let seenSequence = false;
      for (const item of pp.single as TemplateItem[]) {
        if ('Sequence' in item) seenSequence = true;
        else if ('SpecialToken' in item) (seenSequence ? suffix : prefix).push(item.SpecialToken.id);
        else throw new TokenizerError(file, `${field}.single`, `unknown template item ${JSON.stringify(item)}`);
      }
      return { prefix, suffix };
    }
    case 'Sequence': {
      if (!Array.isArray(pp.processors)) throw new TokenizerError(file, `${field}.processors`, 'Sequence needs a "processors" list');
      // Each processor wraps the previous output, so later prefixes go in front.
      let prefix: string[] = [];
      let suffix: string[] = [];
      (pp.processors as unknown[]).forEach((inner, i) => {
        const around = specialTokensAround(inner, file, `${field}.processors[${i}]`);
        prefix = [...around.prefix, ...prefix];
        suffix = [...suffix, ...around.suffix];
      });
      return { prefix, suffix };
    }
    default:
      throw new TokenizerError(file, `${field}.type`, `post-processor ${JSON.stringify(pp.type)} is not supported (ByteLevel, TemplateProcessing, BertProcessing, RobertaProcessing, Sequence)`);
  }
}
