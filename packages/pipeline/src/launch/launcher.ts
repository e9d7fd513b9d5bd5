import type { LauncherName, PipelineSpec } from '../schema/pipeline-schema.js';

export const LAUNCHERS: readonly LauncherName[] = ['local', 'slurm'];

/**
 * Where steps run: the command line's choice, else `$SINKSCOPE_LAUNCHER`, else the spec's `launcher`
 * (default local). Never part of a cache key (schema/cache-view.ts).
 */
export function resolveLauncher(spec: PipelineSpec, fromFlag?: string, env: NodeJS.ProcessEnv = process.env): LauncherName {
  const check = (value: string, where: string): LauncherName => {
    if ((LAUNCHERS as readonly string[]).includes(value)) return value as LauncherName;
    throw new Error(`${where}: '${value}' is not a launcher (${LAUNCHERS.join(', ')})`);
  };
  if (fromFlag !== undefined) return check(fromFlag, '--launcher');
  if (env.SINKSCOPE_LAUNCHER) return check(env.SINKSCOPE_LAUNCHER, 'SINKSCOPE_LAUNCHER');
  return spec.launcher;
}
