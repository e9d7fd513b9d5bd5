import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultRunsRoot, defaultStore, type StepReceipt } from '@sinkscope/pipeline';
import { CliError } from '../cli-error.js';

export const exportUsage =
  'sinkscope export <kind>[/<key or key prefix>] --format parquet --out <file.parquet> [--pipeline <name>] [--model <name>] [--compression zstd|snappy|uncompressed]';

/** Find the artifact: an explicit key (prefix) in the store, or the one a pipeline's last run produced. */
async function resolveArtifact(kind: string, keyPrefix: string | undefined, pipeline: string | undefined, model: string | undefined): Promise<string> {
  const candidates = new Set<string>();
  if (pipeline) {
    const dir = join(defaultRunsRoot(), pipeline);
    if (!existsSync(dir)) throw new CliError(`pipeline '${pipeline}' has no recorded run (${dir}); run it first`);
    // runs/<pipeline>/<step>.json, and runs/<pipeline>/<model>/<step>.json from the Nx model projects
    const receiptFiles = readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? readdirSync(join(dir, e.name)).map((f) => join(dir, e.name, f)) : [join(dir, e.name)],
    );
    for (const f of receiptFiles.filter((x) => x.endsWith('.json'))) {
      const receipt = JSON.parse(readFileSync(f, 'utf8')) as StepReceipt;
      for (const a of receipt.artifacts) if (a.kind === kind && (!model || a.model === model)) candidates.add(a.key);
    }
  } else {
    for (const m of await defaultStore().list(kind)) candidates.add(m.key);
  }
  const matches = [...candidates].filter((k) => !keyPrefix || k.startsWith(keyPrefix));
  if (matches.length === 0) throw new CliError(`no ${kind} artifact${keyPrefix ? ` with key ${keyPrefix}...` : ''}${pipeline ? ` in pipeline ${pipeline}` : ''}${model ? ` for model ${model}` : ''}`);
  if (matches.length > 1) throw new CliError(`${matches.length} ${kind} artifacts match (${matches.map((k) => k.slice(0, 12)).join(', ')}): give a key prefix or --model`);
  return matches[0];
}

/** Any artifact as Parquet (readable by pandas, polars, DuckDB), schema metadata kept. */
export async function exportArtifact(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { format: { type: 'string', default: 'parquet' }, out: { type: 'string' }, pipeline: { type: 'string' }, model: { type: 'string' }, compression: { type: 'string', default: 'zstd' } },
  });
  if (values.format !== 'parquet') throw new CliError(`--format ${values.format} is not supported (supported: parquet)`);
  if (!values.out) throw new CliError('--out <file.parquet> is required');
  const [kind, keyPrefix] = (positionals[0] ?? '').split('/');
  if (!kind) throw new CliError('name the artifact: <kind>[/<key prefix>], e.g. layers or activations/3f2a');
  const compression = values.compression as 'zstd' | 'snappy' | 'uncompressed';
  if (!['zstd', 'snappy', 'uncompressed'].includes(compression)) throw new CliError(`--compression must be zstd, snappy or uncompressed, got ${values.compression}`);
  const key = await resolveArtifact(kind, keyPrefix, values.pipeline, values.model);
  const result = await defaultStore().exportParquet(kind, key, values.out, { compression });
  if (!result) throw new CliError(`${kind} artifact ${key.slice(0, 12)} is missing or failed verification`);
  process.stdout.write(`wrote ${result.path} (${result.rowCount} rows, ${result.byteSize} bytes) from ${kind}/${key.slice(0, 12)}\n`);
  return 0;
}
