/** A progress line on stderr with rate and ETA; rewritten in place on a terminal. */
export function progressLine(label: string, done: number, total: number, startedMs: number): void {
  const seconds = (Date.now() - startedMs) / 1000;
  const rate = done / Math.max(seconds, 1e-9);
  const eta = rate > 0 ? (total - done) / rate : 0;
  const line = `${label}: ${done}/${total} (${((100 * done) / total).toFixed(0)}%) ${seconds.toFixed(1)} s, ETA ${eta.toFixed(1)} s`;
  if (process.stderr.isTTY) process.stderr.write(`\r${line}${done === total ? '\n' : ''}`);
  else if (done === total) process.stderr.write(`${line}\n`);
}
