import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ArtifactInputError } from '../errors.js';

/**
 * Versions of installed packages for `sinkscope.versions`, plus `node` (the runtime). Each package's
 * package.json is found by walking up from `fromDir` through `node_modules` folders, as Node resolves
 * packages (read directly, so packages whose `exports` hide package.json work too). A package that is
 * not installed is an error naming it.
 */
export function packageVersions(names: readonly string[], fromDir: string = process.cwd()): Record<string, string> {
  const versions: Record<string, string> = { node: process.version };
  for (const name of names) versions[name] = installedVersion(name, resolve(fromDir));
  return versions;
}

function installedVersion(name: string, fromDir: string): string {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const manifest = join(dir, 'node_modules', name, 'package.json');
    try {
      const version = (JSON.parse(readFileSync(manifest, 'utf8')) as { version?: unknown }).version;
      if (typeof version === 'string') return version;
    } catch {
      // not here; keep walking up
    }
    if (dirname(dir) === dir) break;
  }
  throw new ArtifactInputError(`packageVersions: package '${name}' is not installed under ${fromDir} or any parent`);
}
