// Text widths for headless layout. Without a canvas, Vega estimates every glyph as 0.8 em wide,
// which makes axis titles look far longer than they are and pads figures with empty space. Here
// widths come from DejaVu Sans metrics, the family resvg draws the PNGs with when the theme's
// Helvetica/Arial are absent; in a browser Vega measures with the real canvas font instead.
import * as vega from 'vega';
import { DEJAVU_SANS_BOLD_WIDTHS, DEJAVU_SANS_WIDTHS } from './font-metrics.js';

/** Width of a glyph missing from the table, in em (DejaVu's average lowercase advance). */
const FALLBACK_EM = 0.6;

interface TextItem {
  fontSize?: number;
  fontWeight?: string | number;
  limit?: number;
}

interface TextMetrics {
  width: (item: TextItem, text: unknown) => number;
  estimateWidth: (item: TextItem, text: unknown) => number;
}

function isBold(weight: string | number | undefined): boolean {
  if (weight === undefined) return false;
  if (typeof weight === 'number') return weight >= 600;
  return weight === 'bold' || weight === 'bolder' || Number(weight) >= 600;
}

/** Width in pixels of `text` set in DejaVu Sans at `fontSize` px (kerning ignored). */
export function dejaVuTextWidth(text: string, fontSize: number, bold = false): number {
  const widths = bold ? DEJAVU_SANS_BOLD_WIDTHS : DEJAVU_SANS_WIDTHS;
  let em = 0;
  for (const ch of text) em += widths[ch] ?? FALLBACK_EM;
  return em * fontSize;
}

function measure(item: TextItem, text: unknown): number {
  const value = text == null ? '' : String(text).trim();
  const fontSize = item.fontSize != null ? Number(item.fontSize) || 0 : 11;
  return dejaVuTextWidth(value, fontSize, isBold(item.fontWeight));
}

/**
 * Makes Vega measure text with DejaVu metrics when it would otherwise fall back to its 0.8 em
 * estimate (no canvas in Node). Leaves a canvas-based or other custom measurer alone.
 */
export function useDejaVuTextMetrics(): void {
  const metrics = (vega as unknown as { textMetrics?: TextMetrics }).textMetrics;
  if (metrics !== undefined && metrics.width === metrics.estimateWidth) metrics.width = measure;
}
