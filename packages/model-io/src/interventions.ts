import type { ArchSpec } from './arch-spec.js';
import { hookNames, type HookName } from './hooks.js';

/**
 * Declarative interventions: data, so pipeline specs can list them and every engine compiles the
 * same semantics (the onnx engine into graph nodes, tfjs into eager ops).
 *
 * Each acts on one hook whose activation is [B,T,width] (the residual stream, attention/MLP outputs,
 * embeddings, the final norm, logits) and only at `positions` (0-based token indices, default [0],
 * the BOS / first token where attention sinks and massive activations sit). Vectors at every other
 * position pass through bit-identically.
 *
 * "Others" = the real (non-padding) tokens of the same sequence that are not in `positions`.
 */
export type InterventionSpec =
  /** Set the chosen positions' vectors to 0. */
  | ({ readonly kind: 'zero' } & InterventionTarget)
  /** Replace each chosen vector by the mean of the others' vectors (per sequence). */
  | ({ readonly kind: 'mean-of-others' } & InterventionTarget)
  /**
   * Rescale each chosen vector x to L2 norm `norm`: x * norm / ||x||. `'median-of-others'` uses the
   * median L2 norm of the others (per sequence; the mean of the two middle values for an even count,
   * as numpy.median) — "make the BOS token's norm ordinary" (Queipo-de-Llano et al. 2025, Sec. 4).
   */
  | ({ readonly kind: 'rescale-norm'; readonly norm: number | 'median-of-others' } & InterventionTarget)
  /** Set the named dimensions of each chosen vector to `value` (e.g. zero the massive-activation dims). */
  | ({ readonly kind: 'set-dims'; readonly dims: readonly number[]; readonly value: number } & InterventionTarget)
  /** x + scale * direction at the chosen positions (negative scale subtracts; default scale 1). */
  | ({ readonly kind: 'add-direction'; readonly direction: readonly number[]; readonly scale?: number } & InterventionTarget);

/** Where an intervention acts, and how much of it is applied. */
export interface InterventionTarget {
  readonly hook: HookName;
  readonly positions?: readonly number[];
  /**
   * The dose: a chosen vector x becomes x + strength * (f(x) - x), f being the kind's change; 1 (the
   * default) applies it fully, 0 leaves x as it is, 0.5 goes halfway (dose-response curves).
   */
  readonly strength?: number;
}

export type InterventionKind = InterventionSpec['kind'];
export const INTERVENTION_KINDS: readonly InterventionKind[] = ['zero', 'mean-of-others', 'rescale-norm', 'set-dims', 'add-direction'];

export function isInterventionSpec(value: unknown): value is InterventionSpec {
  return typeof value === 'object' && value !== null && INTERVENTION_KINDS.includes((value as { kind: InterventionKind }).kind);
}

/** Hooks an intervention may target: those whose activation is [B,T,width] (not q/k/v/pattern, not the [1,T,d] position table). */
export function interventionHooks(arch: ArchSpec): HookName[] {
  return hookNames(arch).filter((h) => h !== 'hook_pos_embed' && !/\.attn\.hook_(q|k|v|pattern)$/.test(h));
}

/** Width of the last axis at a [B,T,width] hook. */
export function hookWidth(arch: ArchSpec, hook: HookName): number {
  if (hook.endsWith('.mlp.hook_router_probs')) return arch.moe?.experts ?? 0;
  return hook === 'logits' ? arch.vocabSize : arch.dModel;
}

/** The positions an intervention acts on (default [0]). */
export function interventionPositions(spec: InterventionSpec): readonly number[] {
  return spec.positions ?? [0];
}

/**
 * Check a spec against a model before any work; errors name the field and the valid choices.
 * Returns the spec with its defaults filled in.
 */
export function validateIntervention(arch: ArchSpec, spec: InterventionSpec, where = 'intervention'): InterventionSpec {
  if (!isInterventionSpec(spec)) {
    throw new Error(`${where}: unknown kind ${JSON.stringify((spec as { kind?: unknown })?.kind)} (valid: ${INTERVENTION_KINDS.join(', ')})`);
  }
  const valid = interventionHooks(arch);
  if (!valid.includes(spec.hook)) {
    const kinds = [...new Set(valid.map((n) => n.replace(/^blocks\.\d+\./, 'blocks.{l}.')))];
    throw new Error(
      `${where}: hook '${spec.hook}' is not an intervention point of this ${arch.modelType} model with ${arch.nLayers} layers ` +
        `(valid: ${kinds.join(', ')}; attention q/k/v/pattern are not [B,T,width] activations)`,
    );
  }
  const positions = interventionPositions(spec);
  if (positions.length === 0) throw new Error(`${where}: field 'positions' is empty`);
  positions.forEach((p, i) => {
    if (!Number.isInteger(p) || p < 0) throw new Error(`${where}: field 'positions[${i}]' = ${p} is not a non-negative integer`);
  });
  if (new Set(positions).size !== positions.length) throw new Error(`${where}: field 'positions' has duplicates [${positions.join(', ')}]`);
  if (spec.strength !== undefined && !Number.isFinite(spec.strength)) throw new Error(`${where}: field 'strength' must be a finite number, got ${spec.strength}`);
  const width = hookWidth(arch, spec.hook);
  switch (spec.kind) {
    case 'zero':
    case 'mean-of-others':
      break;
    case 'rescale-norm':
      if (spec.norm !== 'median-of-others' && !(typeof spec.norm === 'number' && Number.isFinite(spec.norm) && spec.norm >= 0)) {
        throw new Error(`${where}: field 'norm' must be a finite number >= 0 or 'median-of-others', got ${JSON.stringify(spec.norm)}`);
      }
      break;
    case 'set-dims':
      if (spec.dims.length === 0) throw new Error(`${where}: field 'dims' is empty`);
      spec.dims.forEach((d, i) => {
        if (!Number.isInteger(d) || d < 0 || d >= width) throw new Error(`${where}: field 'dims[${i}]' = ${d} is outside 0..${width - 1} of ${spec.hook}`);
      });
      if (!Number.isFinite(spec.value)) throw new Error(`${where}: field 'value' must be a finite number, got ${spec.value}`);
      break;
    case 'add-direction':
      if (spec.direction.length !== width) {
        throw new Error(`${where}: field 'direction' has ${spec.direction.length} values but ${spec.hook} is ${width} wide`);
      }
      if (spec.direction.some((v) => !Number.isFinite(v))) throw new Error(`${where}: field 'direction' holds a non-finite value`);
      if (spec.scale !== undefined && !Number.isFinite(spec.scale)) throw new Error(`${where}: field 'scale' must be finite, got ${spec.scale}`);
      break;
  }
  return { ...spec, positions };
}

/** The batch an intervention's masks are built for: B sequences right-padded to T (lengths undefined = all T). */
export interface BatchShape {
  readonly batch: number;
  readonly seqLen: number;
  readonly lengths?: readonly number[];
}

/**
 * Host-side masks of one position set over one batch; both engines feed these, so "which tokens are
 * chosen / which are the others" is decided in one place.
 */
export interface PositionMasks {
  /** [T] 1 at the chosen positions. */
  readonly select: Uint8Array;
  /** [B*T] 1 at each sequence's others (real tokens not chosen), else 0. */
  readonly others: Float32Array;
  /** [B] how many others each sequence has. */
  readonly otherCount: Float32Array;
  /** [B] indices into the ascending-sorted others of the two middle values (equal for an odd count). */
  readonly medianLo: Int32Array;
  readonly medianHi: Int32Array;
}

export function positionMasks(positions: readonly number[], shape: BatchShape, hook: HookName, needsOthers: boolean): PositionMasks {
  const { batch, seqLen, lengths } = shape;
  const select = new Uint8Array(seqLen);
  for (const p of positions) {
    if (p >= seqLen) throw new Error(`intervention at ${hook}: position ${p} is outside this batch's positions 0..${seqLen - 1}`);
    select[p] = 1;
  }
  const others = new Float32Array(batch * seqLen);
  const otherCount = new Float32Array(batch);
  const medianLo = new Int32Array(batch);
  const medianHi = new Int32Array(batch);
  for (let b = 0; b < batch; b++) {
    const len = lengths ? lengths[b] : seqLen;
    let count = 0;
    for (let t = 0; t < len; t++) {
      if (!select[t]) {
        others[b * seqLen + t] = 1;
        count++;
      }
    }
    if (needsOthers && count === 0) {
      throw new Error(`intervention at ${hook}: sequence ${b} (length ${len}) has no tokens besides positions [${positions.join(', ')}] to take a mean or median over`);
    }
    otherCount[b] = count;
    medianLo[b] = Math.floor((count - 1) / 2);
    medianHi[b] = Math.floor(count / 2);
  }
  return { select, others, otherCount, medianLo, medianHi };
}

/** Whether a spec reads the other tokens (mean / median). */
export function needsOthers(spec: InterventionSpec): boolean {
  return spec.kind === 'mean-of-others' || (spec.kind === 'rescale-norm' && spec.norm === 'median-of-others');
}

/** scale * direction rounded to float32, as both engines add it. */
export function scaledDirection(spec: Extract<InterventionSpec, { kind: 'add-direction' }>): Float32Array {
  const scale = spec.scale ?? 1;
  return Float32Array.from(spec.direction, (v) => v * scale);
}

/** True when the spec applies less or more than its full change (a `strength` other than 1). */
export function isPartial(spec: InterventionSpec): boolean {
  return spec.strength !== undefined && spec.strength !== 1;
}
