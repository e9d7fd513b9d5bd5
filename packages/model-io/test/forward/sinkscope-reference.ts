import type { SinkscopeTestConfig as Config } from '../../src/testing/index.js';


/**
 * An independent float64 reference of the `model_type: "sinkscope"` forward pass, written from the
 * config.json fields' documented meaning (packages/model-io/src/families/sinkscope-trainer.ts and
 * packages/train/README.md, "Variants") with plain loops over one sequence: no code shared with
 * forward.ts or either engine. Activations: gelu_new, relu, silu (no erf in JS's Math).
 */

type Vec = number[];
type Tensors = ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>;

export interface ReferenceOutput {
  /** [T][V] */
  readonly logits: Vec[];
  /** L + 1 hidden states [R][d] (R = T + 1 with a sink token): embeddings, after each block but the last, the final norm's output. */
  readonly hidden: Vec[][];
  /** Per block with attention: [H][R][R] weights on the real keys. */
  readonly patterns: Map<number, Vec[][]>;
  /** Per block with attention, with a slot: [H][R] the slot's weight. */
  readonly slots: Map<number, Vec[]>;
}

const dot = (a: Vec, b: Vec) => a.reduce((s, x, i) => s + x * b[i], 0);
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const elu1 = (x: number) => (x > 0 ? x : Math.exp(x) - 1) + 1;

function activation(name: string, x: number): number {
  switch (name) {
    case 'relu':
      return Math.max(0, x);
    case 'silu':
      return x * sigmoid(x);
    case 'gelu_new':
      return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
    default:
      throw new Error(`reference: activation ${name} is not implemented`);
  }
}

/** Sinusoidal position table row t (Vaswani et al. 2017 sec. 3.5: sin at even dims, cos at odd). */
function sinusoid(t: number, d: number): Vec {
  return Array.from({ length: d }, (_, i) => (i % 2 === 0 ? Math.sin(t / 10000 ** (i / d)) : Math.cos(t / 10000 ** ((i - 1) / d))));
}

/**
 * ALiBi slopes (Press et al. 2022, as bloom builds them): for the largest power of two n <= H,
 * 2^(-8i/n), i = 1..n; then the odd powers of 2^(-4/n) for the rest.
 */
function alibiSlopes(H: number): number[] {
  const n = 2 ** Math.floor(Math.log2(H));
  const slopes = Array.from({ length: n }, (_, i) => 2 ** ((-8 * (i + 1)) / n));
  for (let i = 0; slopes.length < H; i++) slopes.push(2 ** ((-4 * (2 * i + 1)) / n));
  return slopes;
}

/** One sequence through the reference. */
export function referenceForward(c: Config, w: Tensors, ids: readonly number[]): ReferenceOutput {
  const d = c.n_embd;
  const H = c.n_head;
  const hd = d / H;
  const eps = 1e-5;
  const get = (name: string) => w.get(name);
  const row = (name: string, r: number) => Array.from(get(name)!.data.subarray(r * d, (r + 1) * d));
  const linear = (x: Vec, p: string, outDim: number): Vec => {
    const W = get(`${p}.weight`)!.data;
    const b = get(`${p}.bias`)?.data;
    return Array.from({ length: outDim }, (_, o) => x.reduce((s, xi, i) => s + xi * W[i * outDim + o], b ? b[o] : 0));
  };
  const norm = (x: Vec, p: string): Vec => {
    const g = get(`${p}.weight`)!.data;
    const b = get(`${p}.bias`)?.data;
    if (c.norm_type === 'rmsnorm') {
      const rms = Math.sqrt(x.reduce((s, v) => s + v * v, 0) / d + eps);
      return x.map((v, i) => (v / rms) * g[i]);
    }
    const mean = x.reduce((s, v) => s + v, 0) / d;
    const variance = x.reduce((s, v) => s + (v - mean) ** 2, 0) / d;
    return x.map((v, i) => ((v - mean) / Math.sqrt(variance + eps)) * g[i] + b![i]);
  };
  const sink = c.learnable_sink_token ? 1 : 0;
  const pos = (c.position_encoding as string | undefined) ?? 'learned';
  let x: Vec[] = ids.map((id, t) => {
    const e = row('transformer.wte.weight', id);
    const p = pos === 'learned' ? row('transformer.wpe.weight', t) : pos === 'sinusoidal' ? sinusoid(t, d) : undefined;
    return p ? e.map((v, i) => v + p[i]) : e;
  });
  if (sink) x = [Array.from(get('transformer.sink_token')!.data), ...x];
  const R = x.length;
  const post = c.norm_placement === 'post';
  const op = (c.attention_op as string | undefined) ?? 'softmax';
  const prefixEnd = sink + ((c.prefix_length as number | undefined) ?? 0);
  const window = c.sliding_window as number | undefined;
  const visible = (t: number, s: number) => s < sink || (s <= t && (window === undefined || t - s < window)) || (t >= sink && t < prefixEnd && s < prefixEnd);
  const rope = (v: Vec, r: number): Vec => {
    if (pos !== 'rope') return v;
    const theta = (c.rope_theta as number | undefined) ?? 10000;
    const out = [...v];
    const half = hd / 2;
    for (let h = 0; h < H; h++) {
      for (let j = 0; j < half; j++) {
        const angle = r / theta ** ((2 * j) / hd);
        const [a, b] = [v[h * hd + j], v[h * hd + j + half]];
        out[h * hd + j] = a * Math.cos(angle) - b * Math.sin(angle);
        out[h * hd + j + half] = b * Math.cos(angle) + a * Math.sin(angle);
      }
    }
    return out;
  };
  const hidden: Vec[][] = [x];
  const patterns = new Map<number, Vec[][]>();
  const slots = new Map<number, Vec[]>();
  const sublayer = (xs: Vec[], p: string, f: (hs: Vec[]) => Vec[]): Vec[] => {
    if (post) {
      const out = f(xs);
      return xs.map((v, r) => norm(v.map((a, i) => a + out[r][i]), p));
    }
    const out = f(xs.map((v) => norm(v, p)));
    return xs.map((v, r) => v.map((a, i) => a + out[r][i]));
  };
  for (let l = 0; l < c.n_layer; l++) {
    const p = `transformer.h.${l}`;
    if (!((c.attention_free_layers as number[] | undefined) ?? []).includes(l)) {
      x = sublayer(x, `${p}.ln_1`, (hs) => {
        const qkv = hs.map((h) => linear(h, `${p}.attn.c_attn`, 3 * d));
        const feature = (v: Vec) => (op === 'elu1' ? v.map(elu1) : v);
        const q = qkv.map((u, r) => feature(rope(u.slice(0, d), r)));
        const k = qkv.map((u, r) => feature(rope(u.slice(d, 2 * d), r)));
        const v = qkv.map((u) => u.slice(2 * d));
        const kStar = feature(get(`${p}.attn.sink_k`) ? Array.from(get(`${p}.attn.sink_k`)!.data) : new Array<number>(d).fill(0));
        const vStar = get(`${p}.attn.sink_v`) ? Array.from(get(`${p}.attn.sink_v`)!.data) : new Array<number>(d).fill(0);
        const slot = c.kv_bias !== undefined && c.kv_bias !== 'none';
        const scale = op === 'elu1' ? 1 : 1 / Math.sqrt(hd);
        const pattern: Vec[][] = [];
        const slotWeights: Vec[] = [];
        const out: Vec[] = Array.from({ length: R }, () => new Array<number>(d).fill(0));
        for (let h = 0; h < H; h++) {
          const head = (u: Vec) => u.slice(h * hd, (h + 1) * hd);
          pattern.push([]);
          slotWeights.push([]);
          for (let t = 0; t < R; t++) {
            // ALiBi: -m_h (t - s) on every real key (the slot has no position)
            const alibi = (s: number) => (pos === 'alibi' ? -alibiSlopes(H)[h] * (t - s) : 0);
            const scores = Array.from({ length: R }, (_, s) => (visible(t, s) ? dot(head(q[t]), head(k[s])) * scale + alibi(s) : -Infinity));
            const slotScore = slot ? dot(head(q[t]), head(kStar)) * scale : -Infinity;
            let weights: Vec;
            let slotWeight: number;
            if (op === 'softmax') {
              const max = Math.max(slotScore, ...scores);
              const e = scores.map((s) => Math.exp(s - max));
              const es = Math.exp(slotScore - max);
              const total = e.reduce((a, b) => a + b, 0) + es;
              weights = e.map((z) => z / total);
              slotWeight = es / total;
            } else {
              const raw = scores.map((s) => (s === -Infinity ? 0 : op === 'elu1' ? s : sigmoid(s)));
              const rawSlot = slot ? (op === 'elu1' ? slotScore : sigmoid(slotScore)) : 0;
              const total = op === 'sigmoid' ? 1 : raw.reduce((a, b) => a + b, 0) + rawSlot;
              weights = raw.map((z) => z / total);
              slotWeight = rawSlot / total;
            }
            pattern[h].push(weights);
            slotWeights[h].push(slotWeight);
            for (let i = 0; i < hd; i++) {
              let z = c.kv_bias === 'kv' || c.kv_bias === 'v' ? slotWeight * vStar[h * hd + i] : 0;
              for (let s = 0; s < R; s++) z += weights[s] * v[s][h * hd + i];
              out[t][h * hd + i] = z;
            }
          }
        }
        patterns.set(l, pattern);
        if (slot) slots.set(l, slotWeights);
        return out.map((z) => linear(z, `${p}.attn.c_proj`, d));
      });
    }
    if (!((c.mlp_free_layers as number[] | undefined) ?? []).includes(l)) {
      const act = (c.activation_function as string | undefined) ?? 'gelu_new';
      x = sublayer(x, `${p}.ln_2`, (hs) =>
        hs.map((h) => {
          const up = linear(h, `${p}.mlp.c_fc`, c.n_inner);
          const hiddenUnits = c.gated_mlp ? linear(h, `${p}.mlp.c_gate`, c.n_inner).map((g, i) => activation(act, g) * up[i]) : up.map((u) => activation(act, u));
          return linear(hiddenUnits, `${p}.mlp.c_proj`, d);
        }),
      );
    }
    if (l < c.n_layer - 1) hidden.push(x);
  }
  const final = x.map((v) => norm(v, 'transformer.ln_f'));
  hidden.push(final);
  const head = get(c.tie_word_embeddings === false ? 'lm_head.weight' : 'transformer.wte.weight')!.data;
  const logits = final.slice(sink).map((v) => Array.from({ length: c.vocab_size }, (_, o) => dot(v, Array.from(head.subarray(o * d, (o + 1) * d)))));
  return { logits, hidden, patterns, slots };
}
