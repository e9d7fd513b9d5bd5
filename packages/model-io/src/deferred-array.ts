import type { HostArray } from './host-array.js';

/** Where one checkpoint tensor's bytes lie: a safetensors file, the absolute byte range, the stored dtype. */
export interface StoredTensor {
  /** Absolute path of the safetensors file. */
  readonly file: string;
  /** The tensor's name in that file (for error messages). */
  readonly name: string;
  readonly dtype: 'F32' | 'F16' | 'BF16' | 'F64';
  readonly shape: readonly number[];
  /** Absolute offset of the first byte in the file, and the byte count. */
  readonly offset: number;
  readonly byteLength: number;
}

/**
 * How a weight array is derived from stored tensors: a chain of the host-array.ts operations over one
 * stored tensor (upcast to float32). A graph engine replays it as graph nodes over the file's bytes
 * (the ONNX engine: external data pointing into the safetensors, then Cast / Transpose / Slice /
 * Gather / Add), so the weight is never copied on the host.
 */
export type WeightRecipe =
  | { readonly op: 'stored'; readonly tensor: StoredTensor }
  | { readonly op: 'transpose'; readonly of: WeightRecipe }
  | { readonly op: 'sliceColumns'; readonly of: WeightRecipe; readonly start: number; readonly count: number }
  | { readonly op: 'slice1d'; readonly of: WeightRecipe; readonly start: number; readonly count: number }
  | { readonly op: 'gatherRows'; readonly of: WeightRecipe; readonly rows: readonly number[] }
  | { readonly op: 'addScalar'; readonly of: WeightRecipe; readonly value: number };

type StepOf<R> = R extends { readonly of: WeightRecipe } ? Omit<R, 'of'> : never;
/** A derivation step: a recipe without its operand. */
export type RecipeStep = StepOf<WeightRecipe>;

/**
 * A host array that knows its recipe and computes its values only when `data` is read (then keeps
 * them). What a deferred weight reader hands to the family adapters: their transposes and slices
 * (host-array.ts) extend the recipe instead of copying, and an engine that understands recipes never
 * reads `data`.
 */
export class DeferredArray implements HostArray {
  private values: Float32Array | undefined;

  constructor(
    readonly shape: readonly number[],
    readonly recipe: WeightRecipe,
    private readonly compute: () => Float32Array,
  ) {}

  get data(): Float32Array {
    this.values ??= this.compute();
    return this.values;
  }
}

export function recipeOf(a: HostArray): WeightRecipe | undefined {
  return a instanceof DeferredArray ? a.recipe : undefined;
}

/**
 * The array `compute(a.data)` of shape `shape`: computed now for a plain array, deferred (with `step`
 * appended to the recipe) for a deferred one.
 */
export function derive(a: HostArray, shape: readonly number[], step: RecipeStep, compute: (src: Float32Array) => Float32Array): HostArray {
  if (a instanceof DeferredArray) return new DeferredArray(shape, { ...step, of: a.recipe } as WeightRecipe, () => compute(a.data));
  return { shape, data: compute(a.data) };
}
