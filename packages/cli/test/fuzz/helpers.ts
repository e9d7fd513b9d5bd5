// Running `sinkscope` in-process for the bad-input fuzz tests: exit code, what it printed, and the
// checks every case must pass (one error line naming the file and the field, no stack trace).
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { main } from '../../src/main.js';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * `sinkscope <args>` in this process, stdout and stderr captured. Every call also checks that the
 * command left no SIGINT/SIGTERM handler behind (`run` and `step` install one while they work, to
 * cancel Slurm jobs on Ctrl-C), so a thousand in-process runs do not pile up listeners.
 */
export async function runCli(args: readonly string[]): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const write = { out: process.stdout.write, err: process.stderr.write };
  const listeners = { SIGINT: process.listeners('SIGINT'), SIGTERM: process.listeners('SIGTERM') };
  process.stdout.write = ((chunk: string | Uint8Array) => (out.push(String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => (err.push(String(chunk)), true)) as typeof process.stderr.write;
  try {
    const code = await main([...args]);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      expect(process.listeners(signal), `sinkscope ${args.join(' ')} left a ${signal} listener behind`).toEqual(listeners[signal]);
    }
  }
}

/**
 * A bad-input case as the user sees it: a non-zero exit, stderr ending in one `sinkscope <command>:`
 * line that names `file` and one of `names`, and no stack trace anywhere.
 */
export function expectCleanFailure(r: CliResult, command: string, file: string, names: readonly string[], label: string): void {
  expect(r.code, `${label}: exit code (stderr: ${r.stderr})`).not.toBe(0);
  expect(r.stderr, `${label}: a stack trace was printed`).not.toMatch(/^\s+at .+(:\d+:\d+\)?|native)$/m);
  const lines = r.stderr.trimEnd().split('\n');
  const last = lines[lines.length - 1];
  expect(last.startsWith(`sinkscope ${command}: `), `${label}: the last line is not the error: ${r.stderr}`).toBe(true);
  expect(last, `${label}: the file is not named`).toContain(file);
  expect(names.some((n) => last.includes(n)), `${label}: none of ${JSON.stringify(names)} in: ${last}`).toBe(true);
}

/** Artifacts in a store folder: anything but the file-hash cache (which holds no results). */
export function storedArtifacts(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name !== 'file-hashes.json')
    .map((e) => join(e.parentPath, e.name));
}
