// writeReport: renders every figure first, then writes the files (figures, summary.md, and
// index.html last), each atomically. A failure while rendering writes nothing.
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { WarningHandler } from '../render/compile.js';
import { svgToPng } from '../render/png.js';
import { renderSvg } from '../render/svg.js';
import type { TopLevelSpec } from '../vl-types.js';
import { writeFileAtomic } from './atomic-write.js';
import { reportHtml } from './html.js';
import { reportMarkdown } from './markdown.js';
import { metadataEntries } from './metadata.js';
import { tableGrid } from './report-table.js';
import type { ReportTable } from './report-table.js';

export interface ReportFigure {
  /** File stem and anchor: letters, digits, '-' and '_' (e.g. 'layer-profile'). */
  id: string;
  title: string;
  /**
   * The paper figure this one corresponds to, for the page's figure index: e.g.
   * "Gu et al. 2025, Fig. 5 (middle)", "Queipo-de-Llano et al. 2025, Fig. 1"; a figure with no paper
   * counterpart says so ("none: sinkscope's training dynamics").
   */
  paperFigure: string;
  spec: TopLevelSpec;
}

export interface WriteReportOptions {
  /** Folder to write into; created if missing. Existing report files in it are replaced. */
  outDir: string;
  title: string;
  /**
   * Run metadata (spec hash, model, dataset, BOS policy, versions, ...); Arrow schema metadata is a Map.
   * A flat object value (or a JSON string of one, e.g. `versions`) is shown as a small table.
   */
  metadata?: Readonly<Record<string, unknown>> | ReadonlyMap<string, unknown>;
  figures: readonly ReportFigure[];
  tables?: readonly ReportTable[];
  /** Markdown shown above the metadata (rendered to HTML on the page, as is in summary.md). */
  summary?: string;
  /** PNG pixels per SVG unit. Default 2. */
  pngScale?: number;
  /** Extra font files for the PNG rasteriser (see renderPng). */
  fontFiles?: readonly string[];
  /** Receives Vega-Lite/Vega warnings while rendering; default console.warn. */
  onWarning?: WarningHandler;
}

export interface WrittenFigure {
  id: string;
  svg: string;
  png: string;
  vlJson: string;
}

export interface WrittenReport {
  indexHtml: string;
  summaryMd: string;
  figures: WrittenFigure[];
}

const FIGURE_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

function checkFigures(figures: readonly ReportFigure[]): void {
  if (!Array.isArray(figures)) throw new TypeError('writeReport: figures must be an array of { id, title, spec }');
  const ids = new Set<string>();
  figures.forEach((figure, i) => {
    if (typeof figure?.id !== 'string' || !FIGURE_ID.test(figure.id)) {
      throw new TypeError(`writeReport: figures[${i}].id must match ${FIGURE_ID} (got ${JSON.stringify(figure?.id)})`);
    }
    if (ids.has(figure.id)) throw new TypeError(`writeReport: figures[${i}].id '${figure.id}' is used twice`);
    ids.add(figure.id);
    if (typeof figure.title !== 'string' || figure.title.trim() === '') throw new TypeError(`writeReport: figures[${i}].title must be a non-empty string`);
    if (typeof figure.paperFigure !== 'string' || figure.paperFigure.trim() === '') {
      throw new TypeError(`writeReport: figures[${i}].paperFigure must name the paper figure it corresponds to (or say there is none)`);
    }
    if (figure.spec === null || typeof figure.spec !== 'object') throw new TypeError(`writeReport: figures[${i}].spec must be a Vega-Lite spec object`);
  });
}

/** Writes index.html, summary.md and figures/<id>.{svg,png,vl.json} under outDir. */
export async function writeReport(options: WriteReportOptions): Promise<WrittenReport> {
  if (typeof options?.outDir !== 'string' || options.outDir === '') throw new TypeError('writeReport: outDir must be a folder path');
  if (typeof options.title !== 'string' || options.title.trim() === '') throw new TypeError('writeReport: title must be a non-empty string');
  checkFigures(options.figures);
  const tables = (options.tables ?? []).map(tableGrid);
  const metadata = metadataEntries(options.metadata);

  // Render everything before touching the disk.
  const rendered: { figure: ReportFigure; svg: string; png: Buffer; vlJson: string }[] = [];
  for (const figure of options.figures) {
    let svg: string;
    try {
      svg = await renderSvg(figure.spec, { onWarning: options.onWarning });
    } catch (error) {
      throw new Error(`writeReport: figure '${figure.id}' failed to render: ${(error as Error).message}`, { cause: error });
    }
    const png = svgToPng(svg, { scale: options.pngScale, fontFiles: options.fontFiles, onWarning: options.onWarning });
    rendered.push({ figure, svg, png, vlJson: JSON.stringify(figure.spec, null, 2) + '\n' });
  }
  const page = { title: options.title, metadata, summary: options.summary, figures: options.figures, tables };
  const html = reportHtml(page);
  const markdown = reportMarkdown(page);

  const outDir = resolve(options.outDir);
  const figuresDir = join(outDir, 'figures');
  await mkdir(figuresDir, { recursive: true });
  const written: WrittenFigure[] = [];
  for (const { figure, svg, png, vlJson } of rendered) {
    const paths = {
      id: figure.id,
      svg: join(figuresDir, `${figure.id}.svg`),
      png: join(figuresDir, `${figure.id}.png`),
      vlJson: join(figuresDir, `${figure.id}.vl.json`),
    };
    await writeFileAtomic(paths.svg, svg);
    await writeFileAtomic(paths.png, png);
    await writeFileAtomic(paths.vlJson, vlJson);
    written.push(paths);
  }
  const summaryMd = join(outDir, 'summary.md');
  await writeFileAtomic(summaryMd, markdown);
  const indexHtml = join(outDir, 'index.html');
  await writeFileAtomic(indexHtml, html); // last, so every file it links to is already in place
  return { indexHtml, summaryMd, figures: written };
}
