#!/usr/bin/env node
// Prints a content hash of every checkpoint folder a pipeline spec names (or of one model's, when a
// model name follows the spec file), for Nx's `runtime` input.
// Files are hashed with sha256 once and remembered by (path, size, mtime) in .sinkscope/nx-checkpoint-hashes.json,
// so a multi-GB checkpoint is read only when it changes.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readRawSpec } from './read-spec.mjs';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const specFile = resolve(repoRoot, process.argv[2]);
const onlyModel = process.argv[3];
const spec = readRawSpec(specFile) ?? {};
// its own file: the artifact store's file-hash cache (src/run/context.ts) has another format
const cacheFile = join(repoRoot, '.sinkscope', 'nx-checkpoint-hashes.json');
/** The remembered hashes; a file another hash run is replacing, or a damaged one, just means rehashing. */
function readCache() {
  try {
    return existsSync(cacheFile) ? JSON.parse(readFileSync(cacheFile, 'utf8')) : {};
  } catch {
    return {};
  }
}
const cache = readCache();

async function hashFile(path) {
  const st = statSync(path);
  const key = `${path}|${st.size}|${st.mtimeMs}`;
  if (cache[key]) return cache[key];
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk);
  return (cache[key] = h.digest('hex'));
}

const lines = [];
for (const model of (spec.models ?? []).filter((m) => onlyModel === undefined || m?.name === onlyModel)) {
  const dir = model.path === 'default' ? join(repoRoot, 'packages/train/default-model') : resolve(repoRoot, model.path);
  if (!existsSync(dir)) {
    lines.push(`${model.name}: missing ${dir}`);
    continue;
  }
  for (const f of readdirSync(dir).sort()) {
    const p = join(dir, f);
    if (statSync(p).isFile() && /\.(json|safetensors)$/.test(f)) lines.push(`${model.name}/${f}: ${await hashFile(p)}`);
  }
}
mkdirSync(dirname(cacheFile), { recursive: true });
// temp + rename: Nx runs one of these per task, several at once
const tmp = `${cacheFile}.tmp-${process.pid}`;
writeFileSync(tmp, JSON.stringify(cache));
renameSync(tmp, cacheFile);
process.stdout.write(createHash('sha256').update(lines.join('\n')).digest('hex'));
