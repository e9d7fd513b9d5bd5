import type { BosPolicy } from './bos-policy.js';
import { BOS_POLICIES, isBosPolicy } from './bos-policy.js';
import type { TokenizerFiles } from './checkpoint-files.js';
import { TokenizerError } from './errors.js';
import type { ResolvedTokenizer } from './resolve-tokenizer.js';
import { resolveTokenizer } from './resolve-tokenizer.js';
import type { TokenizerModelType } from './tokenizer-json.js';

/** One encoded text and the BOS facts a metric needs to interpret position 0. */
export interface EncodedText {
  /** Token ids, special tokens included as the policy decides. */
  readonly ids: number[];
  /** True when ids[0] is the BOS id. */
  readonly firstIsBos: boolean;
  /** The policy that produced `ids`. */
  readonly bosPolicy: BosPolicy;
}

export interface EncodeOptions {
  /** Required on purpose: Sink_1 means different things with and without BOS. */
  readonly bosPolicy: BosPolicy;
}

export interface DecodeOptions {
  /** Drop special tokens (BOS, EOS, ...) from the text; default false, as transformers. */
  readonly skipSpecialTokens?: boolean;
  /** transformers' `clean_up_tokenization_spaces` (" ," -> ","); default: tokenizer_config, else the class default. */
  readonly cleanUpTokenizationSpaces?: boolean;
}

/**
 * A checkpoint's tokenizer: `tokenizer.json` run by `@huggingface/tokenizers` (pure JS), with the
 * special-token behaviour transformers v4.44.2 puts on top (fast-tokenizer-classes.ts) and an
 * explicit BOS policy on every encode.
 */
export class CheckpointTokenizer {
  /** The checkpoint folder (or label) this tokenizer came from. */
  readonly source: string;
  /** BPE, WordPiece, Unigram or WordLevel. */
  readonly modelType: TokenizerModelType;
  /** The transformers fast class whose behaviour `auto` reproduces, e.g. `LlamaTokenizerFast`. */
  readonly tokenizerClass: string;
  /** Number of ids the tokenizer knows: highest id (model vocab and added tokens) + 1. */
  readonly vocabSize: number;
  readonly bosTokenId: number | null;
  readonly bosToken: string | null;
  readonly eosTokenId: number | null;
  readonly eosToken: string | null;
  /** Whether `auto` puts the BOS id first. */
  readonly addsBosByDefault: boolean;
  /** Ids of the added tokens marked special, ascending. */
  readonly specialTokenIds: readonly number[];
  /** Inconsistencies found at load (e.g. config.json and tokenizer disagree on the BOS id). */
  readonly warnings: readonly string[];

  private readonly resolved: ResolvedTokenizer;

  private constructor(resolved: ResolvedTokenizer) {
    this.resolved = resolved;
    const model = resolved.hf.model!;
    this.source = resolved.label;
    this.modelType = resolved.modelType;
    this.tokenizerClass = resolved.tokenizerClass.name;
    this.vocabSize = model.vocab.length;
    this.bosTokenId = resolved.bos.id;
    this.bosToken = resolved.bos.token;
    this.eosTokenId = resolved.eos.id;
    this.eosToken = resolved.eos.token;
    this.addsBosByDefault = resolved.bos.id !== null && resolved.autoPrefix[0] === resolved.bos.id;
    this.specialTokenIds = [...resolved.hf.get_added_tokens_decoder().values()]
      .filter((t) => t.special)
      .map((t) => t.id)
      .sort((a, b) => a - b);
    this.warnings = resolved.warnings;
  }

  /** Build from the files of a checkpoint folder (see readTokenizerFiles). */
  static fromFiles(files: TokenizerFiles): CheckpointTokenizer {
    return new CheckpointTokenizer(resolveTokenizer(files));
  }

  /** Encode a text as transformers would with add_special_tokens=True, then apply the BOS policy. */
  encode(text: string, options: EncodeOptions): EncodedText {
    const bosPolicy = checkPolicy(options?.bosPolicy);
    if (typeof text !== 'string') throw new Error(`${this.source}: encode expects a string, got ${typeof text}`);
    const ids = this.idsOf(text, true);
    const bos = this.bosTokenId;
    let out = ids;
    if (bosPolicy === 'never') {
      if (this.addsBosByDefault && ids[0] === bos) out = ids.slice(1);
    } else if (bosPolicy === 'always') {
      const required = this.requireBos();
      if (ids[0] !== required) out = [required, ...ids];
    }
    return { ids: out, firstIsBos: bos !== null && out.length > 0 && out[0] === bos, bosPolicy };
  }

  encodeBatch(texts: readonly string[], options: EncodeOptions): EncodedText[] {
    if (!Array.isArray(texts)) throw new Error(`${this.source}: encodeBatch expects an array of strings`);
    return texts.map((text) => this.encode(text, options));
  }

  /** The text's own ids, no special tokens at all (transformers' add_special_tokens=False). */
  encodeRaw(text: string): number[] {
    if (typeof text !== 'string') throw new Error(`${this.source}: encodeRaw expects a string, got ${typeof text}`);
    return this.idsOf(text, false);
  }

  /**
   * The special ids `encode` puts before the text under a policy: `encode(t, p).ids` equals
   * `[...prefixIds(p), ...encodeRaw(t), ...(EOS etc. the post-processor appends)]`.
   */
  prefixIds(bosPolicy: BosPolicy): number[] {
    const policy = checkPolicy(bosPolicy);
    const auto = [...this.resolved.autoPrefix];
    if (policy === 'auto') return auto;
    if (policy === 'never') return this.addsBosByDefault ? auto.slice(1) : auto;
    const bos = this.requireBos();
    return auto[0] === bos ? auto : [bos, ...auto];
  }

  /** Ids back to text (empty list -> ""). */
  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    if (!Array.isArray(ids)) throw new Error(`${this.source}: decode expects an array of token ids`);
    if (ids.length === 0) return '';
    const vocab = this.resolved.hf.model!.vocab;
    ids.forEach((id, i) => {
      if (!Number.isSafeInteger(id) || id < 0 || id >= this.vocabSize || vocab[id] === undefined) {
        throw new Error(`${this.source}: decode: ids[${i}] = ${id} is not a token id of this tokenizer (vocab ${this.vocabSize})`);
      }
    });
    return this.resolved.hf.decode([...ids], {
      skip_special_tokens: options.skipSpecialTokens ?? false,
      clean_up_tokenization_spaces: options.cleanUpTokenizationSpaces ?? this.resolved.cleanUpTokenizationSpaces,
    });
  }

  tokenToId(token: string): number | undefined {
    return this.resolved.hf.token_to_id(token);
  }

  idToToken(id: number): string | undefined {
    return this.resolved.hf.id_to_token(id);
  }

  /** One line: model type, class, vocab size, BOS id/token and its source, what `auto` does. */
  describe(): string {
    const { bos, autoRule } = this.resolved;
    const bosText = bos.id === null ? 'no BOS' : `BOS ${bos.id} ${JSON.stringify(bos.token)} (${bos.source})`;
    return `${this.modelType} tokenizer (${this.tokenizerClass}), vocab ${this.vocabSize}, ${bosText}; auto ${this.describeAuto()} (${autoRule})`;
  }

  private describeAuto(): string {
    const name = (id: number) => `${JSON.stringify(this.idToToken(id) ?? '?')} (${id})`;
    const { autoPrefix, autoSuffix } = this.resolved;
    const parts: string[] = [];
    if (autoPrefix.length > 0) parts.push(`prepends ${autoPrefix.map(name).join(' ')}`);
    if (autoSuffix.length > 0) parts.push(`appends ${autoSuffix.map(name).join(' ')}`);
    return parts.length === 0 ? 'adds nothing' : parts.join(' and ');
  }

  private requireBos(): number {
    if (this.bosTokenId === null) throw new TokenizerError(this.source, undefined, this.resolved.missingBosMessage);
    return this.bosTokenId;
  }

  private idsOf(text: string, addSpecialTokens: boolean): number[] {
    const encoding = this.resolved.hf.encode(text, { add_special_tokens: addSpecialTokens });
    const ids = encoding.ids;
    for (let i = 0; i < ids.length; i++) {
      if (!Number.isSafeInteger(ids[i])) {
        throw new TokenizerError(
          this.resolved.tokenizerFile,
          'model.unk_token',
          `text piece ${JSON.stringify(encoding.tokens[i])} has no id (not in the vocabulary, and the model defines no unk_token)`,
        );
      }
    }
    return ids;
  }
}

function checkPolicy(policy: unknown): BosPolicy {
  if (isBosPolicy(policy)) return policy;
  throw new Error(`bosPolicy ${JSON.stringify(policy)} is not one of ${BOS_POLICIES.map((p) => `'${p}'`).join(', ')} (it is required: Sink_1 depends on it)`);
}
