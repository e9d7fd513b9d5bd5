import type { ArchSpec, HookName } from '@sinkscope/model-io';
import { INTERVENTION_KINDS, type InterventionKind } from '@sinkscope/model-io';

/**
 * Ablation specs as data: the declarative interventions of model-io (`zero`, `mean-of-others`,
 * `rescale-norm`, `set-dims`, `add-direction`) with a hook *kind* instead of a concrete hook, and
 * `layers` (explicit block indices, or `auto` = the block where the first token's massive
 * activation forms). Pipeline specs list these under `ablations`.
 */

/** Block hooks an ablation can target; `blocks.{layer}.` is prepended per layer. */
export type AblationHookKind = 'hook_resid_pre' | 'hook_resid_mid' | 'hook_resid_post' | 'hook_attn_out' | 'hook_mlp_out';
export const ABLATION_HOOK_KINDS: readonly AblationHookKind[] = ['hook_resid_pre', 'hook_resid_mid', 'hook_resid_post', 'hook_attn_out', 'hook_mlp_out'];

interface AblationCommon {
  /** Name in tables and figures; default generated from kind, norm, hook and layers (e.g. `zero hook_mlp_out L1`). */
  readonly name?: string;
  readonly hook: AblationHookKind;
  /** Blocks to apply it at (together, in one run), or `auto` = the emergence block (see `autoLayer`). */
  readonly layers: readonly number[] | 'auto';
  /** Token positions (0-based), default [0]: the first token. */
  readonly positions?: readonly number[];
  /** Generate the position and layer controls (default true). */
  readonly controls?: boolean;
  /** Seed of the random control position (default 0). */
  readonly seed?: number;
}

export type AblationSpec = AblationCommon &
  (
    | { readonly kind: 'zero' }
    | { readonly kind: 'mean-of-others' }
    | { readonly kind: 'rescale-norm'; readonly norm: number | 'median-of-others' }
    /**
     * `dims: 'massive'` = the first token's massive dims at the emergence hidden state (see `massiveDims`);
     * `value: 'baseline-mean'` = each dim's mean over the baseline's sequences at the same hook and
     * position (Sun et al. 2024 sec. 3's "set to mean" against "set to zero"; residual hooks only).
     */
    | { readonly kind: 'set-dims'; readonly dims: readonly number[] | 'massive'; readonly value: number | 'baseline-mean' }
    | { readonly kind: 'add-direction'; readonly direction: readonly number[]; readonly scale?: number }
  );

const COMMON_FIELDS = ['name', 'kind', 'hook', 'layers', 'positions', 'controls', 'seed'];
const KIND_FIELDS: Record<InterventionKind, string[]> = {
  zero: [],
  'mean-of-others': [],
  'rescale-norm': ['norm'],
  'set-dims': ['dims', 'value'],
  'add-direction': ['direction', 'scale'],
};

function isIntList(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((x) => Number.isInteger(x));
}

/**
 * Check one raw `ablations[i]` entry's shape (no model needed) and return it typed; every error names
 * `where` and the field. Model-dependent checks (hook present, layer in range) are in `checkAgainstModel`.
 */
export function parseAblationSpec(raw: unknown, where: string): AblationSpec {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${where}: expected an object with 'kind', 'hook' and 'layers'`);
  const r = raw as Record<string, unknown>;
  const kind = r.kind as InterventionKind;
  if (!INTERVENTION_KINDS.includes(kind)) throw new Error(`${where}: field 'kind' is ${JSON.stringify(r.kind)} (valid: ${INTERVENTION_KINDS.join(', ')})`);
  const allowed = new Set([...COMMON_FIELDS, ...KIND_FIELDS[kind]]);
  for (const key of Object.keys(r)) if (!allowed.has(key)) throw new Error(`${where}: unknown field '${key}' for kind '${kind}' (fields: ${[...allowed].join(', ')})`);
  if (r.name !== undefined && (typeof r.name !== 'string' || r.name.trim() === '')) throw new Error(`${where}: field 'name' must be a non-empty string`);
  if (!ABLATION_HOOK_KINDS.includes(r.hook as AblationHookKind)) {
    throw new Error(`${where}: field 'hook' is ${JSON.stringify(r.hook)}; give a hook kind (valid: ${ABLATION_HOOK_KINDS.join(', ')}) and the blocks in 'layers'`);
  }
  if (r.layers !== 'auto' && !(isIntList(r.layers) && r.layers.length > 0 && r.layers.every((l) => l >= 0))) {
    throw new Error(`${where}: field 'layers' must be 'auto' or a non-empty list of block indices >= 0, got ${JSON.stringify(r.layers)}`);
  }
  if (r.layers !== 'auto' && new Set(r.layers as number[]).size !== (r.layers as number[]).length) throw new Error(`${where}: field 'layers' has duplicates`);
  if (r.positions !== undefined) {
    if (!(isIntList(r.positions) && r.positions.length > 0 && r.positions.every((p) => p >= 0))) {
      throw new Error(`${where}: field 'positions' must be a non-empty list of token positions >= 0, got ${JSON.stringify(r.positions)}`);
    }
    if (new Set(r.positions).size !== r.positions.length) throw new Error(`${where}: field 'positions' has duplicates`);
  }
  if (r.controls !== undefined && typeof r.controls !== 'boolean') throw new Error(`${where}: field 'controls' must be true or false`);
  if (r.seed !== undefined && !(Number.isInteger(r.seed) && (r.seed as number) >= 0)) throw new Error(`${where}: field 'seed' must be an integer >= 0`);
  switch (kind) {
    case 'rescale-norm':
      if (r.norm !== 'median-of-others' && !(typeof r.norm === 'number' && Number.isFinite(r.norm) && r.norm >= 0)) {
        throw new Error(`${where}: field 'norm' must be a finite number >= 0 or 'median-of-others', got ${JSON.stringify(r.norm)}`);
      }
      break;
    case 'set-dims':
      if (r.dims !== 'massive' && !(isIntList(r.dims) && r.dims.length > 0 && r.dims.every((d) => d >= 0))) {
        throw new Error(`${where}: field 'dims' must be 'massive' or a non-empty list of dims >= 0, got ${JSON.stringify(r.dims)}`);
      }
      if (r.value !== 'baseline-mean' && !(typeof r.value === 'number' && Number.isFinite(r.value))) {
        throw new Error(`${where}: field 'value' must be a finite number or 'baseline-mean', got ${JSON.stringify(r.value)}`);
      }
      if (r.value === 'baseline-mean' && r.hook !== 'hook_resid_post' && r.hook !== 'hook_resid_pre') {
        throw new Error(`${where}: value 'baseline-mean' needs a residual-stream hook (hook_resid_pre or hook_resid_post), got ${r.hook}`);
      }
      break;
    case 'add-direction':
      if (!(Array.isArray(r.direction) && r.direction.length > 0 && r.direction.every((v) => typeof v === 'number' && Number.isFinite(v)))) {
        throw new Error(`${where}: field 'direction' must be a non-empty list of finite numbers`);
      }
      if (r.scale !== undefined && !(typeof r.scale === 'number' && Number.isFinite(r.scale))) throw new Error(`${where}: field 'scale' must be a finite number`);
      break;
  }
  return r as unknown as AblationSpec;
}

/** Parse the pipeline spec's `ablations` list; names must be unique (they key the tables). */
export function parseAblationSpecs(raw: readonly unknown[], where = 'ablations'): AblationSpec[] {
  const specs = raw.map((r, i) => parseAblationSpec(r, `${where}[${i}]`));
  const seen = new Map<string, number>();
  specs.forEach((s, i) => {
    const name = ablationName(s);
    const prev = seen.get(name);
    if (prev !== undefined) throw new Error(`${where}[${i}]: name '${name}' is already used by ${where}[${prev}]; give one of them a 'name'`);
    seen.set(name, i);
  });
  return specs;
}

/** The name in tables: the spec's `name`, else e.g. `rescale-norm(median-of-others) hook_resid_post L auto`. */
export function ablationName(spec: AblationSpec): string {
  if (spec.name) return spec.name;
  const detail =
    spec.kind === 'rescale-norm' ? `(${spec.norm})` : spec.kind === 'set-dims' ? `(${spec.dims === 'massive' ? 'massive' : spec.dims.join(',')}=${spec.value})` : '';
  const layers = spec.layers === 'auto' ? 'auto' : spec.layers.join(',');
  const positions = spec.positions && !(spec.positions.length === 1 && spec.positions[0] === 0) ? ` pos ${spec.positions.join(',')}` : '';
  return `${spec.kind}${detail} ${spec.hook} L=${layers}${positions}`;
}

/** Hook kinds this architecture has (`hook_resid_mid` exists only with a sequential residual). */
export function hookKindsOf(arch: ArchSpec): AblationHookKind[] {
  return ABLATION_HOOK_KINDS.filter((k) => k !== 'hook_resid_mid' || arch.residual === 'sequential');
}

/**
 * Model-dependent checks before any work: the hook kind exists in this architecture, explicit layers
 * are blocks of the model, set-dims dims and add-direction widths fit d_model.
 */
export function checkAgainstModel(spec: AblationSpec, arch: ArchSpec, where: string): void {
  const kinds = hookKindsOf(arch);
  if (!kinds.includes(spec.hook)) {
    throw new Error(`${where}: hook '${spec.hook}' does not exist in this ${arch.modelType} model (${arch.residual} residual; valid: ${kinds.join(', ')})`);
  }
  if (spec.layers !== 'auto') {
    for (const l of spec.layers) {
      if (l >= arch.nLayers) throw new Error(`${where}: field 'layers' names block ${l}, but this ${arch.modelType} model has blocks 0..${arch.nLayers - 1}`);
    }
  }
  if (spec.kind === 'set-dims' && spec.dims !== 'massive') {
    spec.dims.forEach((d, i) => {
      if (d >= arch.dModel) throw new Error(`${where}: field 'dims[${i}]' = ${d} is outside 0..${arch.dModel - 1} (d_model ${arch.dModel})`);
    });
  }
  if (spec.kind === 'add-direction' && spec.direction.length !== arch.dModel) {
    throw new Error(`${where}: field 'direction' has ${spec.direction.length} values but d_model is ${arch.dModel}`);
  }
}

/** The concrete hook of a hook kind at a block. */
export function blockHook(kind: AblationHookKind, layer: number): HookName {
  return `blocks.${layer}.${kind}`;
}

/**
 * First hidden-state index (transformers convention) an intervention at (kind, layer) can change:
 * `hook_resid_pre` of block l is hidden state l; every other kind acts inside block l, whose output
 * is hidden state l + 1. Attention layers a >= this index are the downstream ones.
 */
export function firstAffectedHiddenIndex(kind: AblationHookKind, layer: number): number {
  return kind === 'hook_resid_pre' ? layer : layer + 1;
}
