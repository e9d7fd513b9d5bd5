// The report page: one self-contained HTML file with vega, vega-lite and vega-embed inlined, the
// figures' specs embedded as JSON, the run metadata and the tables. Opens from file:// offline.
import type { TopLevelSpec } from '../vl-types.js';
import { browserBundles } from './browser-bundles.js';
import { formatCell, isNumericCell } from '../format.js';
import { escapeHtml } from './escape.js';
import { markdownToHtml } from './markdown-html.js';
import type { MetadataEntry } from './metadata.js';
import type { TableGrid } from './report-table.js';

export { escapeHtml };

export interface PageFigure {
  id: string;
  title: string;
  paperFigure: string;
  spec: TopLevelSpec;
}

export interface PageContent {
  title: string;
  metadata: readonly MetadataEntry[];
  /** Markdown (as in summary.md), rendered to HTML. */
  summary?: string;
  figures: readonly PageFigure[];
  tables: readonly TableGrid[];
}

/** JSON safe inside <script type="application/json">: no '<' can close the element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

/** JavaScript safe inside <script>: a literal '</script' would end the element early. */
function scriptSource(source: string): string {
  return source.replace(/<\/(script)/gi, '<\\/$1');
}

const STYLE = `
:root { --fg: #1d1d1f; --muted: #5a5a5f; --rule: #d9d9de; --bg-alt: #f6f6f8; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); font: 14px/1.5 "Helvetica Neue", Helvetica, Arial, "DejaVu Sans", sans-serif; }
main { max-width: 1200px; margin: 0 auto; padding: 24px 28px 64px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 36px 0 10px; padding-top: 8px; border-top: 1px solid var(--rule); }
h3 { font-size: 15px; margin: 22px 0 8px; }
nav { color: var(--muted); font-size: 13px; margin-bottom: 8px; }
nav a { margin-right: 12px; }
a { color: #0b5cad; }
.summary p { margin: 6px 0; max-width: 80ch; }
.summary table { margin: 8px 0 14px; }
.summary th { position: static; }
.summary [align="right"] { text-align: right; }
.summary [align="center"] { text-align: center; }
table.figure-index td { white-space: normal; }
table.figure-index td.files { white-space: nowrap; }
table.metadata table { font-size: 12px; }
table.metadata table tr td, table.metadata table tr th { padding: 1px 8px; border-bottom: none; background: none; }
.paper { color: var(--muted); }
figure { margin: 18px 0 28px; }
figcaption { font-size: 13px; color: var(--muted); margin-top: 4px; }
.figure-view { overflow-x: auto; min-height: 60px; }
.figure-error { color: #b00020; white-space: pre-wrap; }
.table-wrap { display: inline-block; max-width: 100%; overflow: auto; max-height: 560px; border: 1px solid var(--rule); vertical-align: top; }
table { border-collapse: collapse; font-size: 12.5px; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 10px; border-bottom: 1px solid var(--rule); text-align: left; white-space: nowrap; }
th { position: sticky; top: 0; background: #fff; font-weight: 600; }
td.num { text-align: right; }
tbody tr:nth-child(even) td { background: var(--bg-alt); }
table.metadata td:first-child { font-weight: 600; }
table.metadata td { white-space: pre-wrap; }
.note { color: var(--muted); font-size: 12.5px; }
`;

/** Renders figures with vega-embed; marks each container when done (data-rendered) or failed (data-error). */
const BOOT = `
(function () {
  var options = { renderer: 'svg', actions: { export: true, source: true, compiled: true, editor: false } };
  document.querySelectorAll('[data-figure-id]').forEach(function (container) {
    var spec = JSON.parse(document.getElementById('spec-' + container.getAttribute('data-figure-id')).textContent);
    vegaEmbed(container, spec, options).then(function () {
      container.setAttribute('data-rendered', 'true');
    }).catch(function (error) {
      container.setAttribute('data-error', String(error));
      container.innerHTML = '<p class="figure-error"></p>';
      container.firstChild.textContent = 'This figure failed to render: ' + error;
      console.error(error);
    });
  });
})();
`;

function tableHtml(grid: TableGrid, className = ''): string {
  const head = grid.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const body = grid.cells
    .map(
      (row) =>
        `<tr>${row.map((cell) => `<td${isNumericCell(cell) ? ' class="num"' : ''}>${escapeHtml(formatCell(cell))}</td>`).join('')}</tr>`,
    )
    .join('\n');
  return `<div class="table-wrap"><table${className ? ` class="${className}"` : ''}><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

const FILE_LINKS = [
  { ext: 'svg', label: 'SVG' },
  { ext: 'png', label: 'PNG' },
  { ext: 'vl.json', label: 'Vega-Lite JSON' },
] as const;

function fileLinks(id: string): string {
  return FILE_LINKS.map(({ ext, label }) => `<a href="figures/${id}.${ext}">${label}</a>`).join(' · ');
}

/** The list at the top of the page: each figure's title (a link to it), its paper figure and files. */
function figureIndex(figures: readonly PageFigure[]): string {
  const rows = figures
    .map((figure, i) => {
      const id = escapeHtml(figure.id);
      return `<tr><td class="num">${i + 1}</td><td><a href="#figure-${id}">${escapeHtml(figure.title)}</a></td><td>${escapeHtml(figure.paperFigure)}</td><td class="files">${fileLinks(id)}</td></tr>`;
    })
    .join('\n');
  return `<section id="figure-index"><h2>Figures in this report</h2>
<div class="table-wrap"><table class="figure-index"><thead><tr><th>no.</th><th>figure</th><th>paper figure</th><th>files</th></tr></thead><tbody>
${rows}
</tbody></table></div></section>`;
}

/** The run metadata: one row per key; a value that is itself a table (e.g. versions) as a small nested table. */
function metadataTable(entries: readonly MetadataEntry[]): string {
  const body = entries
    .map(([key, value]) => {
      const cell =
        typeof value === 'string'
          ? escapeHtml(value)
          : `<table><tbody>${value.map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${escapeHtml(v)}</td></tr>`).join('')}</tbody></table>`;
      return `<tr><td>${escapeHtml(key)}</td><td>${cell}</td></tr>`;
    })
    .join('\n');
  return `<div class="table-wrap"><table class="metadata"><thead><tr><th>key</th><th>value</th></tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

export function reportHtml(page: PageContent): string {
  const bundles = browserBundles();
  const figureSections = page.figures
    .map((figure) => {
      const id = escapeHtml(figure.id);
      return `<figure id="figure-${id}">
<h3>${escapeHtml(figure.title)}</h3>
<div class="figure-view" data-figure-id="${id}"></div>
<noscript><img src="figures/${id}.svg" alt="${escapeHtml(figure.title)}"></noscript>
<figcaption><span class="paper">Paper figure: ${escapeHtml(figure.paperFigure)}.</span> ${fileLinks(id)}</figcaption>
<script type="application/json" id="spec-${id}">${scriptJson(figure.spec)}</script>
</figure>`;
    })
    .join('\n');
  const tableSections = page.tables
    .map((grid) => {
      const note =
        grid.cells.length < grid.totalRows ? `<p class="note">First ${grid.cells.length} of ${grid.totalRows} rows shown.</p>` : '';
      return `<section class="report-table"><h3>${escapeHtml(grid.title)}</h3>${tableHtml(grid)}${note}</section>`;
    })
    .join('\n');
  const versions = bundles.map((b) => `${b.name} ${b.version}`).join(', ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.title)}</title>
<style>${STYLE}</style>
${bundles.map((b) => `<script data-bundle="${b.name}@${b.version}">${scriptSource(b.source)}</script>`).join('\n')}
</head>
<body>
<main>
<h1>${escapeHtml(page.title)}</h1>
<nav>${page.summary ? '<a href="#summary">Summary</a>' : ''}<a href="#metadata">Run metadata</a>${page.figures.length ? '<a href="#figures">Figures</a>' : ''}${page.tables.length ? '<a href="#tables">Tables</a>' : ''}<a href="summary.md">summary.md</a></nav>
${page.figures.length ? figureIndex(page.figures) : ''}
${page.summary ? `<section class="summary" id="summary"><h2>Summary</h2>\n${markdownToHtml(page.summary, 1)}</section>` : ''}
<h2 id="metadata">Run metadata</h2>
${page.metadata.length ? metadataTable(page.metadata) : '<p class="note">No metadata.</p>'}
${page.figures.length ? `<h2 id="figures">Figures</h2>\n${figureSections}` : ''}
${page.tables.length ? `<h2 id="tables">Tables</h2>\n${tableSections}` : ''}
<p class="note">Figures drawn with ${escapeHtml(versions)}, inlined in this file.</p>
</main>
<script>${BOOT}</script>
</body>
</html>
`;
}
