// @ts-check
/**
 * Runs one step through the `sinkscope step` command in a child process (the steps are TypeScript,
 * run by tsx; the executor stays plain JS so Nx loads it without a transpiler).
 */
const { spawn } = require('node:child_process');
const { join } = require('node:path');

/** @param {{ step: string, spec: string, model?: string }} options @param {{ root: string }} context */
module.exports = async function stepExecutor(options, context) {
  const bin = join(context.root, 'packages/cli/bin/sinkscope.mjs');
  const code = await new Promise((resolve) => {
    const args = [bin, 'step', options.step, '--spec', options.spec, ...(options.model ? ['--model', options.model] : [])];
    const child = spawn(process.execPath, args, { cwd: context.root, stdio: 'inherit' });
    // Nx stops a task with SIGTERM or SIGINT: pass it on, so a Slurm launcher cancels its jobs
    const forward = (/** @type {NodeJS.Signals} */ signal) => child.kill(signal);
    process.once('SIGINT', forward);
    process.once('SIGTERM', forward);
    child.on('exit', () => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
    });
    child.on('exit', (c) => resolve(c ?? 1));
    child.on('error', () => resolve(1));
  });
  return { success: code === 0 };
};
