import type { Effect, RunEffects } from './effects.js';

/** Significant digits that keep small deltas readable next to large levels. */
function num(x: number, digits = 4): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const abs = Math.abs(x);
  if (abs >= 1e5 || abs < 1e-3) return x.toExponential(digits - 1);
  return Number(x.toPrecision(digits)).toString();
}

function signed(x: number): string {
  const s = num(x);
  return x > 0 ? `+${s}` : s;
}

function cell(e: Effect | null, role: RunEffects['role']): string {
  if (!e) return 'n/a';
  if (role === 'baseline') return num(e.baseline);
  return `${num(e.after)} (${signed(e.deltaMean)} ± ${num(e.deltaStd, 2)})`;
}

/**
 * The before/after table as Markdown: one block per targeted ablation (its baseline line, the
 * targeted run, its controls). Values are means over sequences of per-sequence readings (see
 * `RunEffects`); in brackets the per-sequence change against the baseline, mean ± std.
 */
export function effectsTable(effects: readonly RunEffects[], title = ''): string {
  const lines: string[] = [];
  if (title) lines.push(title, '');
  const n = effects[0]?.sequences ?? 0;
  lines.push(
    `Per-sequence readings, mean over ${n} sequences; in brackets: change vs the baseline, mean ± std over sequences. ` +
      'Read from hidden state h on (the first one the targeted ablation can change): norm ratio ||h_1|| / mean ||h_t>1|| at h; ' +
      'Sink_1 averaged over attention layers >= h; H / ln T averaged over hidden states >= h; loss = next-token cross-entropy (nats), last position ignored.',
    '',
    '| role | intervention | h | norm ratio at h | Sink_1 (layers >= h) | H / ln T (states >= h) | loss |',
    '| --- | --- | ---: | --- | --- | --- | --- |',
  );
  const groups = [...new Set(effects.filter((e) => e.role !== 'baseline').map((e) => e.group))];
  for (const g of groups) {
    const members = effects.filter((e) => e.group === g).sort((a, b) => (a.role === b.role ? 0 : a.role === 'targeted' ? -1 : 1));
    const first = members[0];
    const row = (role: RunEffects['role'], name: string, e: RunEffects) =>
      `| ${role} | ${name.replaceAll('|', '\\|')} | ${e.window} | ${cell(e.normRatio, role)} | ${cell(e.sinkRate, role)} | ${cell(e.entropy, role)} | ${cell(e.loss, role)} |`;
    lines.push(row('baseline', '(none)', first));
    for (const e of members) lines.push(row(e.role, e.name, e));
  }
  return `${lines.join('\n')}\n`;
}
