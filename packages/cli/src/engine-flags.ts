import type { OnnxLoadOptions } from '@sinkscope/model-io';
import { parseDevice } from '@sinkscope/model-io';
import { CliError } from './cli-error.js';

/** The ONNX Runtime flags every command that runs a model takes (ignored by the tfjs engine). */
export const ENGINE_FLAG_OPTIONS = {
  device: { type: 'string' },
  threads: { type: 'string' },
  'memory-budget': { type: 'string' },
  streaming: { type: 'string' },
} as const;

export const ENGINE_FLAGS_USAGE = '[--device cpu|gpu] [--threads N] [--memory-budget <GiB>] [--streaming auto|on|off]';

export function onnxOptions(values: { device?: string; threads?: string; 'memory-budget'?: string; streaming?: string }): OnnxLoadOptions {
  const out: { -readonly [K in keyof OnnxLoadOptions]?: OnnxLoadOptions[K] } = {};
  const device = values.device ?? process.env.SINKSCOPE_DEVICE;
  if (device) out.device = parseDevice(device);
  if (values.threads !== undefined) {
    const n = Number(values.threads);
    if (!Number.isInteger(n) || n < 1) throw new CliError(`--threads must be a positive integer, got ${values.threads}`);
    out.threads = n;
  }
  if (values['memory-budget'] !== undefined) {
    const gib = Number(values['memory-budget']);
    if (!(gib > 0)) throw new CliError(`--memory-budget must be a positive number of GiB, got ${values['memory-budget']}`);
    out.memoryBudgetBytes = Math.round(gib * 2 ** 30);
  }
  if (values.streaming !== undefined) {
    const map: Record<string, boolean | 'auto'> = { auto: 'auto', on: true, off: false };
    if (!(values.streaming in map)) throw new CliError(`--streaming must be auto, on or off, got ${values.streaming}`);
    out.streaming = map[values.streaming];
  }
  return out;
}
