import type { InterventionKind } from '@sinkscope/model-io';
import { z } from 'zod';

/**
 * Ablation specs as data, the one schema of them (pipeline specs embed it under `ablations`): the
 * declarative interventions of model-io (`zero`, `mean-of-others`, `rescale-norm`, `set-dims`,
 * `add-direction`) with a hook *kind* instead of a concrete hook, and `layers` (explicit block
 * indices, or `auto` = the block where the first token's massive activation forms). `planAblations`
 * turns each into model-io `InterventionSpec`s; the kinds here are exactly model-io's (checked by the
 * compiler through `KIND_FIELDS`).
 */

/** Block hooks an ablation can target; `blocks.{layer}.` is prepended per layer. */
export const ABLATION_HOOK_KINDS = ['hook_resid_pre', 'hook_resid_mid', 'hook_resid_post', 'hook_attn_out', 'hook_mlp_out'] as const;
export type AblationHookKind = (typeof ABLATION_HOOK_KINDS)[number];

const RESIDUAL_HOOKS: readonly AblationHookKind[] = ['hook_resid_pre', 'hook_resid_post'];

const distinct = (xs: readonly unknown[]) => new Set(xs).size === xs.length;
const indexList = z.array(z.number().int().nonnegative()).min(1);
/** Dose-response: the strengths to run (0 = the baseline, 1 = the targeted run, each other value one run). */
const doses = z
  .array(z.number().refine(Number.isFinite, 'must be finite'))
  .min(2)
  .refine(distinct, 'has duplicates')
  .describe('dose-response: run the intervention at these strengths, x + s (f(x) - x); e.g. [0, 0.25, 0.5, 0.75, 1]');

const common = {
  name: z.string().min(1).refine((s) => s.trim() !== '', 'must not be blank').optional(),
  hook: z
    .enum(ABLATION_HOOK_KINDS, { error: (issue) => `${JSON.stringify(issue.input)} is not a hook kind (valid: ${ABLATION_HOOK_KINDS.join(', ')}); the blocks go in 'layers'` })
    .describe('hook kind; the block comes from layers'),
  layers: z
    .union([z.literal('auto'), indexList.refine(distinct, 'has duplicates')])
    .describe("'auto' = the emergence layer (largest jump of the first-token norm ratio), or blocks applied together"),
  positions: indexList.refine(distinct, 'has duplicates').optional().describe('token positions (default [0], the first token)'),
  controls: z.boolean().default(true).describe('also run the random-position and no-massive-layer controls'),
  seed: z.number().int().nonnegative().default(0),
  scale: doses.optional(),
};

/** The fields of each kind beside the common ones; one entry per model-io intervention kind. */
const KIND_FIELDS = {
  zero: {},
  'mean-of-others': {},
  'rescale-norm': { norm: z.union([z.number().nonnegative(), z.literal('median-of-others')]) },
  'set-dims': {
    dims: z.union([z.literal('massive'), indexList]),
    value: z.union([z.number(), z.literal('baseline-mean')]),
  },
  // a number multiplies the direction (model-io's `scale`); a list is a dose-response as for the other kinds
  'add-direction': { direction: z.array(z.number()).min(1), scale: z.union([z.number(), doses]).optional() },
} satisfies Record<InterventionKind, z.ZodRawShape>;

const kindSchema = <K extends InterventionKind>(kind: K) => z.object({ kind: z.literal(kind), ...common, ...KIND_FIELDS[kind] }).strict();

/** One ablation of the bos-ablation experiments (Queipo-de-Llano et al. 2025). */
export const ablationSpecSchema = z
  .discriminatedUnion(
    'kind',
    [
      kindSchema('zero'),
      kindSchema('mean-of-others'),
      kindSchema('rescale-norm'),
      // `value: baseline-mean` reads the baseline's means at the same hook: the residual stream only
      kindSchema('set-dims').refine((s) => s.value !== 'baseline-mean' || RESIDUAL_HOOKS.includes(s.hook), {
        message: `value 'baseline-mean' needs a residual-stream hook (${RESIDUAL_HOOKS.join(' or ')})`,
        path: ['value'],
      }),
      kindSchema('add-direction'),
    ],
    { error: (issue) => (issue.code === 'invalid_union' ? `kind ${JSON.stringify((issue.input as { kind?: unknown })?.kind)} is not an ablation kind (valid: ${Object.keys(KIND_FIELDS).join(', ')})` : undefined) },
  );

/** The `ablations` list: names key the tables, so they must be unique. */
export const ablationSpecsSchema = z.array(ablationSpecSchema).superRefine((specs, ctx) => {
  const seen = new Map<string, number>();
  specs.forEach((s, i) => {
    const name = ablationName(s);
    const prev = seen.get(name);
    if (prev !== undefined) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `'${name}' is already the name of ablations[${prev}]; give one of them a 'name'` });
    seen.set(name, i);
  });
});

export type AblationSpecInput = z.input<typeof ablationSpecSchema>;
export type AblationSpec = z.output<typeof ablationSpecSchema>;

/**
 * Validate a raw `ablations` list (the pipeline does so when it loads a spec); every error names
 * `where[i]` and the field.
 */
export function parseAblationSpecs(raw: unknown, where = 'ablations'): AblationSpec[] {
  const result = ablationSpecsSchema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const [index, ...rest] = issue.path;
    const at = typeof index === 'number' ? `${where}[${index}]` : where;
    if (issue.code === 'unrecognized_keys') return `${at}: unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
    return rest.length ? `${at}: field '${rest.join('.')}': ${issue.message}` : `${at}: ${issue.message}`;
  });
  throw new Error(problems.join('; '));
}

/** The name in tables: the spec's `name`, else e.g. `rescale-norm(median-of-others) hook_resid_post L=auto`. */
export function ablationName(spec: AblationSpecInput): string {
  if (spec.name) return spec.name;
  const detail =
    spec.kind === 'rescale-norm' ? `(${spec.norm})` : spec.kind === 'set-dims' ? `(${spec.dims === 'massive' ? 'massive' : spec.dims.join(',')}=${spec.value})` : '';
  const layers = spec.layers === 'auto' ? 'auto' : spec.layers.join(',');
  const positions = spec.positions && !(spec.positions.length === 1 && spec.positions[0] === 0) ? ` pos ${spec.positions.join(',')}` : '';
  return `${spec.kind}${detail} ${spec.hook} L=${layers}${positions}`;
}
