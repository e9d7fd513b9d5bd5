/**
 * The canonical weight set every family adapter fills, in the layout the forward pass wants:
 * every linear weight is [in, out] (y = x W + b), so engines multiply untransposed (tfjs 4.22's wasm
 * backend, measured on 2 AVX2 cores: matMul with transposeA 0.2-0.3 GFLOP/s, transposeB about 1.3,
 * untransposed 20-25). Fused qkv weights are split at load.
 * `W` is the engine's handle for a weight (a host array at load, a tf.Tensor in the tfjs engine,
 * an initializer name in a traced graph).
 */
export interface Linear<W> {
  readonly w: W;
  readonly b?: W;
}

export interface Norm<W> {
  /** Gain; Gemma's zero-centred `(1 + w)` is folded in at load, so it is always a plain gain. */
  readonly g: W;
  /** LayerNorm bias (absent for RMSNorm). */
  readonly b?: W;
}

/** One MLP (a dense block's, or one expert of an MoE block). */
export interface MlpWeights<W> {
  /** Gated MLPs only. */
  readonly gate?: Linear<W>;
  readonly up: Linear<W>;
  readonly down: Linear<W>;
}

export interface LayerWeights<W> {
  /** The norm before attention; absent when the family norms only sublayer outputs (OLMo 2), and in a block without attention (ArchSpec.attentionFreeLayers), as q, k, v and o. */
  readonly ln1?: Norm<W>;
  /** The norm before the MLP; absent when the residual layout shares one norm (Phi) or norms only outputs (OLMo 2), and in a block without MLP. */
  readonly ln2?: Norm<W>;
  readonly q?: Linear<W>;
  readonly k?: Linear<W>;
  readonly v?: Linear<W>;
  readonly o?: Linear<W>;
  /** The extra slot's key k* and value v* [nHeads * headDim] (ArchSpec.attentionSlot; a zero one is absent). */
  readonly slotKey?: W;
  readonly slotValue?: W;
  /** q/k norms (ArchSpec.qkNorm): gains over head_dim, or over the whole q / k projection. */
  readonly qNorm?: Norm<W>;
  readonly kNorm?: Norm<W>;
  /** Norms on the attention and MLP outputs before the residual add (ArchSpec.sublayerNorms.output). */
  readonly postAttnNorm?: Norm<W>;
  readonly postMlpNorm?: Norm<W>;
  /** Gated MLPs only. */
  readonly gate?: Linear<W>;
  /** The dense MLP: absent in MoE blocks and in a block without MLP (ArchSpec.mlpFreeLayers). */
  readonly up?: Linear<W>;
  readonly down?: Linear<W>;
  /** A sparse MoE block (ArchSpec.moe): the router [d, experts] and each expert's MLP. */
  readonly moe?: { readonly router: Linear<W>; readonly experts: readonly MlpWeights<W>[] };
}

export interface ModelWeights<W> {
  /** [vocab, d_model] */
  readonly embed: W;
  /** [positions, d_model], learned absolute positions only. */
  readonly posEmbed?: W;
  /** The norm on the embeddings (ArchSpec.embeddingNorm: Bloom). */
  readonly embedNorm?: Norm<W>;
  /** [d_model], the learnable sink token (ArchSpec.sinkToken). */
  readonly sinkToken?: W;
  readonly layers: readonly LayerWeights<W>[];
  readonly lnFinal: Norm<W>;
  /** [d_model, vocab]; for tied embeddings the transposed embedding. */
  readonly lmHead: Linear<W>;
}

export function mapLinear<A, B>(l: Linear<A>, f: (w: A, name: string) => B, name: string): Linear<B> {
  return l.b === undefined ? { w: f(l.w, `${name}.w`) } : { w: f(l.w, `${name}.w`), b: f(l.b, `${name}.b`) };
}

export function mapNorm<A, B>(n: Norm<A>, f: (w: A, name: string) => B, name: string): Norm<B> {
  return n.b === undefined ? { g: f(n.g, `${name}.g`) } : { g: f(n.g, `${name}.g`), b: f(n.b, `${name}.b`) };
}

/** Apply `f` to one MLP's weights; names are `${prefix}up.w`, ... */
export function mapMlp<A, B>(m: MlpWeights<A>, f: (w: A, name: string) => B, prefix: string): MlpWeights<B> {
  return {
    ...(m.gate ? { gate: mapLinear(m.gate, f, `${prefix}gate`) } : {}),
    up: mapLinear(m.up, f, `${prefix}up`),
    down: mapLinear(m.down, f, `${prefix}down`),
  };
}

/** Apply `f` to one layer's weights; names are `${prefix}q.w`, `${prefix}ln1.g`, `${prefix}moe.experts.3.up.w`, ... */
export function mapLayer<A, B>(l: LayerWeights<A>, f: (w: A, name: string) => B, prefix: string): LayerWeights<B> {
  const norm = (n: Norm<A> | undefined, name: string) => (n ? { [name]: mapNorm(n, f, `${prefix}${name}`) } : {});
  const linear = (x: Linear<A> | undefined, name: string) => (x ? { [name]: mapLinear(x, f, `${prefix}${name}`) } : {});
  const vector = (x: A | undefined, name: string) => (x !== undefined ? { [name]: f(x, `${prefix}${name}`) } : {});
  return {
    ...norm(l.ln1, 'ln1'),
    ...norm(l.ln2, 'ln2'),
    ...linear(l.q, 'q'),
    ...linear(l.k, 'k'),
    ...linear(l.v, 'v'),
    ...linear(l.o, 'o'),
    ...vector(l.slotKey, 'slotKey'),
    ...vector(l.slotValue, 'slotValue'),
    ...norm(l.qNorm, 'qNorm'),
    ...norm(l.kNorm, 'kNorm'),
    ...norm(l.postAttnNorm, 'postAttnNorm'),
    ...norm(l.postMlpNorm, 'postMlpNorm'),
    ...linear(l.gate, 'gate'),
    ...linear(l.up, 'up'),
    ...linear(l.down, 'down'),
    ...(l.moe
      ? { moe: { router: mapLinear(l.moe.router, f, `${prefix}moe.router`), experts: l.moe.experts.map((e, i) => mapMlp(e, f, `${prefix}moe.experts.${i}.`)) } }
      : {}),
  };
}

/** The weights before block 0: token table, learned positions, embedding norm, a learnable sink token. */
export type EmbeddingWeights<W> = Pick<ModelWeights<W>, 'embed' | 'posEmbed' | 'embedNorm' | 'sinkToken'>;

/** Apply `f` to the embedding weights; names are `embed`, `posEmbed`, `embedNorm.g`, `sinkToken`, ... */
export function mapEmbeddings<A, B>(m: EmbeddingWeights<A>, f: (w: A, name: string) => B): EmbeddingWeights<B> {
  return {
    embed: f(m.embed, 'embed'),
    ...(m.posEmbed !== undefined ? { posEmbed: f(m.posEmbed, 'posEmbed') } : {}),
    ...(m.embedNorm !== undefined ? { embedNorm: mapNorm(m.embedNorm, f, 'embedNorm') } : {}),
    ...(m.sinkToken !== undefined ? { sinkToken: f(m.sinkToken, 'sinkToken') } : {}),
  };
}

/** Apply `f` to every weight, keeping the structure (used to upload host weights to an engine). */
export function mapWeights<A, B>(m: ModelWeights<A>, f: (w: A, name: string) => B): ModelWeights<B> {
  return {
    ...mapEmbeddings(m, f),
    layers: m.layers.map((l, i) => mapLayer(l, f, `layers.${i}.`)),
    lnFinal: mapNorm(m.lnFinal, f, 'lnFinal'),
    lmHead: mapLinear(m.lmHead, f, 'lmHead'),
  };
}

/** Every weight of the set, flattened (for disposal and byte counts). */
export function listWeights<W>(m: ModelWeights<W>): W[] {
  const out: W[] = [];
  mapWeights(m, (w) => {
    out.push(w);
    return w;
  });
  return out;
}
