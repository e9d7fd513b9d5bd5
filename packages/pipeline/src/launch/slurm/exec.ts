import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** A Slurm command that failed: the message names the command line and carries its stderr. */
export class SlurmCommandError extends Error {
  constructor(
    readonly command: string,
    readonly args: string[],
    readonly stderr: string,
    readonly exitCode: number | string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'SlurmCommandError';
  }
}

export interface RunOptions {
  /** Kill the command after this long; a busy controller can stall a client for its MessageTimeout (10 s). */
  timeoutMs?: number;
}

/** Run a Slurm client command (argv, never a shell string) and return its stdout. */
export async function runSlurm(command: string, args: string[], opts: RunOptions = {}): Promise<string> {
  try {
    const { stdout } = await execFileAsync(command, args, {
      timeout: opts.timeoutMs ?? 30_000,
      maxBuffer: 64 * 1024 * 1024,
      encoding: 'utf8',
    });
    return stdout;
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string; killed?: boolean; signal?: string };
    const line = [command, ...args].join(' ');
    const stderr = (err.stderr ?? '').trim();
    let why: string;
    if (err.code === 'ENOENT') why = `${command} not found on PATH (is Slurm installed?)`;
    else if (err.killed) why = `timed out after ${opts.timeoutMs ?? 30_000} ms`;
    else why = `exit ${err.code ?? err.signal ?? '?'}`;
    // the reason first: an sbatch command line can run to hundreds of characters
    throw new SlurmCommandError(command, args, stderr, err.code ?? err.signal, `${command} failed: ${why}${stderr ? `: ${stderr}` : ''} (command: ${line})`);
  }
}
