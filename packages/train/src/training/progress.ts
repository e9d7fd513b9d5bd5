/** Human-readable duration: 42s, 3m07s, 1h02m. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** One progress line: step, loss, lr, grad norm, throughput, ETA. */
export function progressLine(p: { step: number; steps: number; loss: number; lr: number; gradNorm: number; tokensPerSecond: number; etaSeconds: number }): string {
  const width = String(p.steps).length;
  return (
    `step ${String(p.step).padStart(width)}/${p.steps}  loss ${p.loss.toFixed(4)}  lr ${p.lr.toExponential(2)}  |g| ${p.gradNorm.toFixed(3)}  ` +
    `${Math.round(p.tokensPerSecond).toLocaleString('en-US')} tok/s  ETA ${formatDuration(p.etaSeconds)}`
  );
}
