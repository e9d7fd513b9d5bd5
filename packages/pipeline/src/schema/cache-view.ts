/**
 * Which spec fields enter which hash. Launch fields say how or where steps run, never what they
 * compute: they are left out of every hash (artifact keys, the spec hash in artifact metadata, Nx's
 * inputs), so a result computed on a Slurm cluster is a hit on a laptop and back.
 */
export const LAUNCH_FIELDS = ['launcher', 'slurm'] as const;

/** Fields only the report reads: left out of a model's tasks' inputs. */
export const REPORT_ONLY_FIELDS = ['description', 'figures'] as const;

type LaunchField = (typeof LAUNCH_FIELDS)[number];

/** The spec as the cache sees it: without the launch fields. */
export function cacheView<S extends object>(spec: S): Omit<S, LaunchField> {
  const view = { ...spec } as Record<string, unknown>;
  for (const f of LAUNCH_FIELDS) delete view[f];
  return view as Omit<S, LaunchField>;
}

/**
 * What the Nx tasks of a spec file depend on (nx/task-inputs.ts), from the file as written: its cache
 * view without `$schema`; for one model's tasks also without the report-only fields and the other
 * models, so adding a model to a sweep recomputes only that model's tasks.
 */
export function taskView(raw: Record<string, unknown>, model?: string): Record<string, unknown> {
  const { $schema: _schema, ...view } = cacheView(raw) as Record<string, unknown>;
  if (model === undefined) return view;
  for (const f of REPORT_ONLY_FIELDS) delete view[f];
  return { ...view, models: (Array.isArray(raw.models) ? raw.models : []).filter((m) => (m as { name?: unknown } | null)?.name === model) };
}
