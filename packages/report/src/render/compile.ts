// Vega-Lite -> Vega compilation with its warnings collected instead of printed, so callers (and
// tests) can treat a warning such as "dropping field from channel" as the defect it usually is.
import { compile } from 'vega-lite';
import type { Spec as VegaSpec } from 'vega';
import type { TopLevelSpec } from '../vl-types.js';

/** Receives each warning Vega-Lite or Vega emits; the default prints it with console.warn. */
export type WarningHandler = (message: string) => void;

export const warnToConsole: WarningHandler = (message) => console.warn(`[@sinkscope/report] ${message}`);

/** A vega-util LoggerInterface that routes warnings to `onWarning` and throws on errors. */
export function collectingLogger(onWarning: WarningHandler) {
  let level = 2; // vega-util Warn
  const text = (args: unknown[]) => args.map((a) => (a instanceof Error ? a.message : String(a))).join(' ');
  const logger = {
    level(value?: number) {
      if (value === undefined) return level;
      level = value;
      return logger;
    },
    error(...args: unknown[]) {
      throw new Error(text(args));
    },
    warn(...args: unknown[]) {
      if (level >= 2) onWarning(text(args));
      return logger;
    },
    info() {
      return logger;
    },
    debug() {
      return logger;
    },
  };
  return logger;
}

/** Compiles a Vega-Lite spec to Vega. Throws on invalid specs; warnings go to `onWarning`. */
export function compileToVega(spec: TopLevelSpec, onWarning: WarningHandler = warnToConsole): VegaSpec {
  if (spec === null || typeof spec !== 'object') throw new TypeError(`compileToVega: spec must be a Vega-Lite object (got ${String(spec)})`);
  return compile(spec, { logger: collectingLogger(onWarning) }).spec as VegaSpec;
}
