import type { AblationEffectsRow } from './effects-rows.js';
import type { EffectQuantity } from './kinds.js';
import type { MassiveFinding } from './massive.js';

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

/** One reading of a row: the baseline alone, or after (change mean ± std); 'none downstream' when it was not measured. */
function cell(row: AblationEffectsRow, q: EffectQuantity, baselineOnly = false): string {
  const after = row[`${q}_after`];
  if (Number.isNaN(after)) return q === 'sink_rate' ? 'none downstream' : 'n/a';
  if (baselineOnly) return num(row[`${q}_baseline`]);
  return `${num(after)} (${signed(row[`${q}_delta_mean`])} ± ${num(row[`${q}_delta_std`], 2)})`;
}

const QUANTITIES: readonly EffectQuantity[] = ['norm_ratio', 'sink_rate', 'entropy', 'loss'];
const escape = (text: string) => text.replaceAll('|', '\\|');

/**
 * The before/after table as Markdown, from `ablation_effects` rows: one block per targeted ablation
 * (its baseline line, the targeted run, its controls). Values are means over sequences of
 * per-sequence readings (see `RunEffects`); in brackets the per-sequence change against the baseline,
 * mean ± std.
 */
export function effectsTable(rows: readonly AblationEffectsRow[], title = ''): string {
  const lines: string[] = [];
  if (title) lines.push(title, '');
  const ran = rows.filter((r) => r.role === 'targeted' || r.role === 'control');
  const n = ran[0]?.sequences ?? 0;
  lines.push(
    `Per-sequence readings, mean over ${n} sequences; in brackets: change vs the baseline, mean ± std over sequences. ` +
      'Read from hidden state h on (the first one the targeted ablation can change): norm ratio ||h_1|| / mean ||h_t>1|| at h; ' +
      'Sink_1 averaged over attention layers >= h ("none downstream": no attention layer comes after the ablated block); ' +
      'H / ln T averaged over hidden states >= h; loss = next-token cross-entropy (nats), last position ignored.',
    '',
    '| role | intervention | h | norm ratio at h | Sink_1 (layers >= h) | H / ln T (states >= h) | loss |',
    '| --- | --- | ---: | --- | --- | --- | --- |',
  );
  for (const group of [...new Set(ran.map((r) => r.ablation))]) {
    const members = ran.filter((r) => r.ablation === group).sort((a, b) => (a.role === b.role ? 0 : a.role === 'targeted' ? -1 : 1));
    const first = members[0];
    lines.push(`| baseline | (none) | ${first.window} | ${QUANTITIES.map((q) => cell(first, q, true)).join(' | ')} |`);
    for (const r of members) lines.push(`| ${r.role} | ${escape(r.intervention)} | ${r.window} | ${QUANTITIES.map((q) => cell(r, q)).join(' | ')} |`);
  }
  return `${lines.join('\n')}\n`;
}

/** Each dose-response as Markdown: per strength, each reading after the dose and its change against the baseline. */
export function doseTable(rows: readonly AblationEffectsRow[]): string {
  const lines: string[] = [];
  const doses = rows.filter((r) => r.role === 'dose');
  for (const group of [...new Set(doses.map((r) => r.ablation))]) {
    const points = doses.filter((r) => r.ablation === group).sort((a, b) => a.scale - b.scale);
    lines.push(
      `Dose-response of ${escape(group)} (strength s: x + s (f(x) - x); change vs the baseline, mean ± std over sequences, read from hidden state ${points[0].window} on):`,
      '',
      '| strength | norm ratio at h | Sink_1 (layers >= h) | H / ln T (states >= h) | loss |',
      '| ---: | --- | --- | --- | --- |',
      ...points.map((p) => `| ${p.scale} | ${QUANTITIES.map((q) => cell(p, q)).join(' | ')} |`),
      '',
    );
  }
  return lines.join('\n');
}

/**
 * One model's ablations in words first, from its `ablation_effects` rows and the finding: whether
 * there is a massive activation to ablate; each ablation that did not run and why; where those that
 * ran act and the notes on them (no attention layer downstream, the layer control's choice or why
 * there is none); then the before/after table and the dose-responses of what ran. The ablate step
 * prints it and the report shows it.
 */
export function ablationSummary(finding: Pick<MassiveFinding, 'found' | 'verdict'>, rows: readonly AblationEffectsRow[], title = ''): string {
  const lines: string[] = [];
  if (title) lines.push(title, '');
  lines.push(finding.found ? `${finding.verdict[0].toUpperCase()}${finding.verdict.slice(1)}.` : `Nothing to ablate: ${finding.verdict}.`, '');
  const bullets = [
    ...rows.filter((r) => r.role === 'skipped').map((r) => `- ${escape(r.ablation)} did not run: ${r.note}.`),
    ...rows.filter((r) => r.role === 'targeted' || (r.role === 'control' && r.intervention.includes('[control: layer'))).map((r) => `- ${escape(r.intervention)}: ${r.note}.`),
  ];
  if (bullets.length) lines.push(...bullets, '');
  if (rows.some((r) => r.role === 'targeted')) lines.push(effectsTable(rows));
  if (rows.some((r) => r.role === 'dose')) lines.push(doseTable(rows));
  return `${lines.join('\n').trimEnd()}\n`;
}
