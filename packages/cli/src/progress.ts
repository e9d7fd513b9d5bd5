/** Progress on stderr (stdout stays machine-readable): a rewritten line on a TTY, plain lines otherwise. */
export function progress(label: string, done: number, total: number, extra = ''): void {
  const pct = total > 0 ? Math.round((100 * done) / total) : 100;
  const line = `${label} ${done}/${total} (${pct}%)${extra ? ` ${extra}` : ''}`;
  if (process.stderr.isTTY) process.stderr.write(`\r${line}${done === total ? '\n' : ''}`);
  else if (done === total || done === 1 || done % Math.max(1, Math.floor(total / 10)) === 0) process.stderr.write(`${line}\n`);
}

export function info(message: string): void {
  process.stderr.write(`${message}\n`);
}
