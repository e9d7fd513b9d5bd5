// Headless SVG rendering with Vega's string renderer: no DOM, no canvas.
import { View, parse } from 'vega';
import type { TopLevelSpec } from '../vl-types.js';
import { collectingLogger, compileToVega, warnToConsole } from './compile.js';
import type { WarningHandler } from './compile.js';
import { useDejaVuTextMetrics } from './text-metrics.js';

export interface RenderSvgOptions {
  /** Receives Vega-Lite and Vega warnings; default: console.warn. */
  onWarning?: WarningHandler;
}

/** Renders a Vega-Lite spec to an SVG document string (Vega-Lite -> Vega -> headless View.toSVG). */
export async function renderSvg(spec: TopLevelSpec, options: RenderSvgOptions = {}): Promise<string> {
  const onWarning = options.onWarning ?? warnToConsole;
  useDejaVuTextMetrics();
  const vega = compileToVega(spec, onWarning);
  const view = new View(parse(vega), { renderer: 'none', logger: collectingLogger(onWarning) });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
