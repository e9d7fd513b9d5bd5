// PNG export: the Vega SVG rasterised by resvg. resvg draws text only with fonts it can load, so
// system fonts are loaded and extra font files can be passed (a machine without fonts would give a
// PNG with blank labels).
import { Resvg } from '@resvg/resvg-js';
import type { TopLevelSpec } from '../vl-types.js';
import { warnToConsole } from './compile.js';
import { renderSvg } from './svg.js';
import type { RenderSvgOptions } from './svg.js';

export interface RenderPngOptions extends RenderSvgOptions {
  /** Pixels per SVG unit; 2 gives print-quality figures. Default 2. */
  scale?: number;
  /** Extra .ttf/.otf files for resvg, for machines whose system fonts lack the theme's fonts. */
  fontFiles?: readonly string[];
}

/** Family resvg falls back to when none in the theme's font stack is installed. */
const FALLBACK_FONT_FAMILY = 'DejaVu Sans';

function fontOptions(fontFiles: readonly string[] | undefined) {
  return {
    loadSystemFonts: true,
    fontFiles: [...(fontFiles ?? [])],
    defaultFontFamily: FALLBACK_FONT_FAMILY,
    sansSerifFamily: FALLBACK_FONT_FAMILY,
  };
}

const fontsChecked = new Set<string>();

/** Warns once per font set when resvg finds no font at all: every label of the PNG would be blank. */
function checkFonts(fontFiles: readonly string[] | undefined, onWarning: (message: string) => void): void {
  const key = JSON.stringify(fontFiles ?? []);
  if (fontsChecked.has(key)) return;
  fontsChecked.add(key);
  const probe = new Resvg('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="30"><text x="2" y="20" font-size="16">Ag</text></svg>', {
    font: fontOptions(fontFiles),
  });
  if (probe.getBBox() === undefined) {
    onWarning(
      'renderPng: resvg found no fonts, so PNG text will be blank; install one (Debian: apt-get install fonts-dejavu-core) or pass options.fontFiles',
    );
  }
}

/** Rasterises an SVG document to PNG bytes at `scale` pixels per SVG unit, on a white background. */
export function svgToPng(svg: string, options: Pick<RenderPngOptions, 'scale' | 'fontFiles' | 'onWarning'> = {}): Buffer {
  const scale = options.scale ?? 2;
  if (!(typeof scale === 'number' && Number.isFinite(scale) && scale > 0 && scale <= 16)) {
    throw new RangeError(`renderPng: options.scale must be a number in (0, 16] (got ${String(scale)})`);
  }
  checkFonts(options.fontFiles, options.onWarning ?? warnToConsole);
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    font: fontOptions(options.fontFiles),
  });
  return resvg.render().asPng();
}

/** Renders a Vega-Lite spec to PNG bytes (via renderSvg, then resvg). */
export async function renderPng(spec: TopLevelSpec, options: RenderPngOptions = {}): Promise<Buffer> {
  return svgToPng(await renderSvg(spec, options), options);
}

/** Width and height from a PNG's IHDR chunk (bytes 16-23, big-endian). */
export function pngSize(png: Uint8Array): { width: number; height: number } {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (png.length < 24 || signature.some((byte, i) => png[i] !== byte)) throw new TypeError('pngSize: not a PNG (bad signature)');
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  if (String.fromCharCode(...png.subarray(12, 16)) !== 'IHDR') throw new TypeError('pngSize: first chunk is not IHDR');
  return { width: view.getUint32(16), height: view.getUint32(20) };
}
