// summary.md: the run metadata, the figures (linked and embedded) and the tables as Markdown.
import { formatCell, isNumericCell } from '../format.js';
import type { TableGrid } from './report-table.js';

/** Cell text safe inside a Markdown table row. */
function mdCell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function mdTable(columns: readonly string[], cells: readonly (readonly unknown[])[]): string {
  const numeric = columns.map((_, c) => cells.length > 0 && cells.every((row) => row[c] === null || row[c] === undefined || isNumericCell(row[c])));
  const header = `| ${columns.map(mdCell).join(' | ')} |`;
  const rule = `| ${numeric.map((n) => (n ? '---:' : '---')).join(' | ')} |`;
  const body = cells.map((row) => `| ${row.map((cell) => mdCell(formatCell(cell))).join(' | ')} |`);
  return [header, rule, ...body].join('\n');
}

export function reportMarkdown(page: {
  title: string;
  metadata: [string, string][];
  summary?: string;
  figures: readonly { id: string; title: string }[];
  tables: readonly TableGrid[];
}): string {
  const parts = [`# ${page.title.replace(/\r?\n/g, ' ')}`];
  if (page.summary) parts.push(page.summary.trim());
  parts.push('## Run metadata', page.metadata.length ? mdTable(['key', 'value'], page.metadata) : '_No metadata._');
  if (page.figures.length) {
    parts.push(
      '## Figures',
      page.figures
        .map(
          (f) =>
            `### ${f.title}\n\n![${f.title.replace(/[[\]]/g, '')}](figures/${f.id}.svg)\n\n` +
            `[SVG](figures/${f.id}.svg) · [PNG](figures/${f.id}.png) · [Vega-Lite JSON](figures/${f.id}.vl.json)`,
        )
        .join('\n\n'),
    );
  }
  if (page.tables.length) {
    parts.push('## Tables');
    for (const grid of page.tables) {
      parts.push(`### ${grid.title}`, mdTable(grid.columns, grid.cells));
      if (grid.cells.length < grid.totalRows) parts.push(`_First ${grid.cells.length} of ${grid.totalRows} rows shown._`);
    }
  }
  return parts.join('\n\n') + '\n';
}
