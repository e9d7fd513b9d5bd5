// The report page: one self-contained HTML file with vega, vega-lite and vega-embed inlined, the
// figures' specs embedded as JSON, the run metadata and the tables. Opens from file:// offline.
import type { TopLevelSpec } from '../vl-types.js';
import { browserBundles } from './browser-bundles.js';
import { formatCell, isNumericCell } from '../format.js';
import type { TableGrid } from './report-table.js';

export interface PageFigure {
  id: string;
  title: string;
  paperFigure: string;
  spec: TopLevelSpec;
}

export interface PageContent {
  title: string;
  metadata: [string, string][];
  summary?: string;
  figures: readonly PageFigure[];
  tables: readonly TableGrid[];
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
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

function paragraphs(text: string): string {
  return text
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((p) => `<p>${escapeHtml(p)}</p>`)
    .join('\n');
}

export function reportHtml(page: PageContent): string {
  const bundles = browserBundles();
  const figureSections = page.figures
    .map((figure) => {
      const id = escapeHtml(figure.id);
      const links = ['svg', 'png', 'vl.json']
        .map((ext) => `<a href="figures/${id}.${ext}">${ext === 'vl.json' ? 'Vega-Lite JSON' : ext.toUpperCase()}</a>`)
        .join(' · ');
      return `<figure id="figure-${id}">
<h3>${escapeHtml(figure.title)}</h3>
<div class="figure-view" data-figure-id="${id}"></div>
<noscript><img src="figures/${id}.svg" alt="${escapeHtml(figure.title)}"></noscript>
<figcaption>${links}</figcaption>
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
  const metadata = tableHtml(
    { title: 'metadata', columns: ['key', 'value'], cells: page.metadata, totalRows: page.metadata.length },
    'metadata',
  );
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
<nav><a href="#metadata">Run metadata</a>${page.figures.length ? '<a href="#figures">Figures</a>' : ''}${page.tables.length ? '<a href="#tables">Tables</a>' : ''}<a href="summary.md">summary.md</a></nav>
${page.summary ? `<section class="summary">${paragraphs(page.summary)}</section>` : ''}
<h2 id="metadata">Run metadata</h2>
${page.metadata.length ? metadata : '<p class="note">No metadata.</p>'}
${page.figures.length ? `<h2 id="figures">Figures</h2>\n${figureSections}` : ''}
${page.tables.length ? `<h2 id="tables">Tables</h2>\n${tableSections}` : ''}
<p class="note">Figures drawn with ${escapeHtml(versions)}, inlined in this file.</p>
</main>
<script>${BOOT}</script>
</body>
</html>
`;
}
