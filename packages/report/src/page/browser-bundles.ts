// The browser builds of vega, vega-lite and vega-embed, read from node_modules so the report page
// can inline them and open from the file system with no network.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** UMD bundles in load order: vega-embed expects the globals `vega` and `vegaLite`. */
const BUNDLES = [
  { name: 'vega', file: 'build/vega.min.js' },
  { name: 'vega-lite', file: 'build/vega-lite.min.js' },
  { name: 'vega-embed', file: 'build/vega-embed.min.js' },
] as const;

export interface BrowserBundle {
  name: string;
  version: string;
  source: string;
}

/** A package's root folder: walk up from its resolved entry point to the package.json naming it. */
function packageRoot(name: string): string {
  let dir = dirname(require.resolve(name));
  for (;;) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (manifest.name === name) return dir;
    } catch {
      // no package.json at this level: keep walking up
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`@sinkscope/report: cannot find the package folder of '${name}'`);
    dir = parent;
  }
}

let cached: BrowserBundle[] | undefined;

/** The three bundles with their versions; read once per process. */
export function browserBundles(): BrowserBundle[] {
  cached ??= BUNDLES.map(({ name, file }) => {
    const root = packageRoot(name);
    const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
    return { name, version, source: readFileSync(join(root, file), 'utf8') };
  });
  return cached;
}
