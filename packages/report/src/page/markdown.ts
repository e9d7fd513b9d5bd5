// summary.md: the run metadata, the figures (linked and embedded) and the tables as Markdown.
import { formatCell, isNumericCell } from '../format.js';
import { metadataText, type MetadataEntry } from './metadata.js';
import type { TableGrid } from './report-table.js';

/** Cell text safe inside a Markdown table row. */
function mdCell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/**
 * A GitHub-flavoured Markdown table: cells formatted as the page's (formatCell; strings as they are),
 * '|' and newlines escaped; columns right-aligned where `rightAligned` says, by default those whose
 * cells are all numbers.
 */
export function markdownTable(columns: readonly string[], cells: readonly (readonly unknown[])[], rightAligned?: readonly boolean[]): string {
  const numeric = columns.map(
    (_, c) => rightAligned?.[c] ?? (cells.length > 0 && cells.every((row) => row[c] === null || row[c] === undefined || isNumericCell(row[c]))),
  );
  const header = `| ${columns.map(mdCell).join(' | ')} |`;
  const rule = `| ${numeric.map((n) => (n ? '---:' : '---')).join(' | ')} |`;
  const body = cells.map((row) => `| ${row.map((cell) => mdCell(formatCell(cell))).join(' | ')} |`);
  return [header, rule, ...body].join('\n');
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to '-'. */
function anchor(title: string): string {
  return title
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .trim()
    .replace(/\s/g, '-');
}

export function reportMarkdown(page: {
  title: string;
  metadata: readonly MetadataEntry[];
  summary?: string;
  figures: readonly { id: string; title: string; paperFigure: string }[];
  tables: readonly TableGrid[];
}): string {
  const parts = [`# ${page.title.replace(/\r?\n/g, ' ')}`];
  if (page.summary) parts.push(page.summary.trim());
  if (page.figures.length) {
    parts.push(
      '## Figures in this report',
      markdownTable(
        ['no.', 'figure', 'paper figure'],
        page.figures.map((f, i) => [i + 1, `[${f.title.replace(/[[\]]/g, '')}](#${anchor(f.title)})`, f.paperFigure]),
      ),
    );
  }
  parts.push('## Run metadata', page.metadata.length ? markdownTable(['key', 'value'], page.metadata.map(([k, v]) => [k, metadataText(v)])) : '_No metadata._');
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
      parts.push(`### ${grid.title}`, markdownTable(grid.columns, grid.cells));
      if (grid.cells.length < grid.totalRows) parts.push(`_First ${grid.cells.length} of ${grid.totalRows} rows shown._`);
    }
  }
  return parts.join('\n\n') + '\n';
}
