import { existsSync, readFileSync } from 'node:fs';
import { hasTokenizer, loadTokenizer, type ArchSpec, type BosPolicy } from '@sinkscope/model-io';
import { CliError } from './cli-error.js';

export interface TokenInput {
  readonly sequences: number[][];
  /** Whether each sequence starts with the model's BOS id. */
  readonly firstIsBos: boolean;
  readonly source: string;
}

/**
 * `--token-ids file.json` holding [[ids...], ...]; validated with the file named in every error.
 * `maxTokens`: the most tokens a sequence may hold (a model with learned positions has no more).
 */
export function readTokenIdsFile(file: string, vocabSize: number, maxTokens = Infinity): number[][] {
  if (!existsSync(file)) throw new CliError(`--token-ids: file not found: ${file}`);
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CliError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(value) || value.length === 0) throw new CliError(`${file}: expected a non-empty array of token-id arrays, [[ids...], ...]`);
  return value.map((seq, i) => {
    if (!Array.isArray(seq) || seq.length === 0) throw new CliError(`${file}: sequence ${i} is not a non-empty array`);
    if (seq.length > maxTokens) throw new CliError(`${file}: sequence ${i} has ${seq.length} tokens, more than the model's ${maxTokens} positions`);
    return seq.map((id, j) => {
      if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
        throw new CliError(`${file}: sequence ${i}, position ${j}: ${JSON.stringify(id)} is not a token id in [0, ${vocabSize})`);
      }
      return id as number;
    });
  });
}

export async function tokenInput(
  modelDir: string,
  opts: { text?: string; tokenIds?: string; bosPolicy: BosPolicy; bosTokenId: number | undefined; vocabSize: number; maxTokens?: number },
): Promise<TokenInput> {
  if ((opts.text === undefined) === (opts.tokenIds === undefined)) throw new CliError('give exactly one of --text or --token-ids');
  if (opts.tokenIds !== undefined) {
    const sequences = readTokenIdsFile(opts.tokenIds, opts.vocabSize, opts.maxTokens);
    const firstIsBos = opts.bosTokenId !== undefined && sequences.every((s) => s[0] === opts.bosTokenId);
    return { sequences, firstIsBos, source: opts.tokenIds };
  }
  if (!hasTokenizer(modelDir)) throw new CliError(`${modelDir} has no tokenizer.json: use --token-ids instead of --text`);
  const tokenizer = await loadTokenizer(modelDir);
  const { ids, firstIsBos } = tokenizer.encode(opts.text as string, { bosPolicy: opts.bosPolicy });
  if (ids.length === 0) throw new CliError('--text encodes to no tokens');
  if (opts.maxTokens !== undefined && ids.length > opts.maxTokens) throw new CliError(`--text encodes to ${ids.length} tokens, more than the model's ${opts.maxTokens} positions`);
  return { sequences: [ids], firstIsBos, source: '--text' };
}

/** The most tokens a sequence may hold: a learned position table's size; rotary and no positions have no limit. */
export function maxTokensOf(arch: ArchSpec): number | undefined {
  return arch.positional.kind === 'learned' ? arch.maxPositions : undefined;
}
