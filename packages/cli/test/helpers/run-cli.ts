import { execFile } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The `sinkscope` executable the tests run. */
export const BIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/sinkscope.mjs');

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * `sinkscope <args>` in a child process, asynchronously: a synchronous spawn blocks the test worker,
 * and on a loaded machine a child that outlives Vitest's 60 s RPC timeout makes the worker report an
 * unhandled `Timeout calling "onTaskUpdate"` error.
 */
export function runCli(args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 64 << 20, ...(options.cwd ? { cwd: options.cwd } : {}), env: { ...process.env, ...options.env } }, (err, stdout, stderr) =>
      done({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }),
    );
  });
}
