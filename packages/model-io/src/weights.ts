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

export interface LayerWeights<W> {
  readonly ln1: Norm<W>;
  /** Absent when the residual layout shares one norm (Phi). */
  readonly ln2?: Norm<W>;
  readonly q: Linear<W>;
  readonly k: Linear<W>;
  readonly v: Linear<W>;
  readonly o: Linear<W>;
  /** Gated MLPs only. */
  readonly gate?: Linear<W>;
  readonly up: Linear<W>;
  readonly down: Linear<W>;
}

export interface ModelWeights<W> {
  /** [vocab, d_model] */
  readonly embed: W;
  /** [positions, d_model], learned absolute positions only. */
  readonly posEmbed?: W;
  /** The norm on the embeddings (ArchSpec.embeddingNorm: Bloom). */
  readonly embedNorm?: Norm<W>;
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

/** Apply `f` to one layer's weights; names are `${prefix}q.w`, `${prefix}ln1.g`, ... */
export function mapLayer<A, B>(l: LayerWeights<A>, f: (w: A, name: string) => B, prefix: string): LayerWeights<B> {
  return {
    ln1: mapNorm(l.ln1, f, `${prefix}ln1`),
    ...(l.ln2 ? { ln2: mapNorm(l.ln2, f, `${prefix}ln2`) } : {}),
    q: mapLinear(l.q, f, `${prefix}q`),
    k: mapLinear(l.k, f, `${prefix}k`),
    v: mapLinear(l.v, f, `${prefix}v`),
    o: mapLinear(l.o, f, `${prefix}o`),
    ...(l.gate ? { gate: mapLinear(l.gate, f, `${prefix}gate`) } : {}),
    up: mapLinear(l.up, f, `${prefix}up`),
    down: mapLinear(l.down, f, `${prefix}down`),
  };
}

/** The weights before block 0: token table, learned positions, embedding norm. */
export type EmbeddingWeights<W> = Pick<ModelWeights<W>, 'embed' | 'posEmbed' | 'embedNorm'>;

/** Apply `f` to the embedding weights; names are `embed`, `posEmbed`, `embedNorm.g`, ... */
export function mapEmbeddings<A, B>(m: EmbeddingWeights<A>, f: (w: A, name: string) => B): EmbeddingWeights<B> {
  return {
    embed: f(m.embed, 'embed'),
    ...(m.posEmbed !== undefined ? { posEmbed: f(m.posEmbed, 'posEmbed') } : {}),
    ...(m.embedNorm !== undefined ? { embedNorm: mapNorm(m.embedNorm, f, 'embedNorm') } : {}),
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
