import { readFileSync } from 'node:fs';

/** One operator type's share of ORT's kernel time (`summariseOrtProfiles`). */
export interface OperatorTime {
  /** ONNX operator type after ORT's graph optimisation (MatMul, FusedMatMul, FastGelu, ...). */
  readonly op: string;
  readonly seconds: number;
  /** Of all kernel time in the profiles. */
  readonly share: number;
  /** Distinct nodes of this type, and their kernel runs (nodes x runs). */
  readonly nodes: number;
  readonly calls: number;
}

export interface OrtProfileSummary {
  /** Seconds in kernels, summed over every node run. */
  readonly kernelSeconds: number;
  /** Seconds of `InferenceSession.run` as ORT's profiler clocks them (kernels + scheduling + output allocation). */
  readonly runSeconds: number;
  /** Seconds creating sessions (graph optimisation, constant folding, weight loading) as ORT clocks them. */
  readonly sessionInitSeconds: number;
  /** Per operator type, the most time first. */
  readonly operators: readonly OperatorTime[];
}

/** The events of ORT's profile file (Chrome trace format) that this summary reads. */
interface ProfileEvent {
  readonly cat?: string;
  readonly name?: string;
  readonly dur?: number;
  readonly args?: { readonly op_name?: string };
}

/**
 * Where the time of ORT sessions went, from the profile files they wrote (`profilePrefix`): each
 * node's `<node>_kernel_time` event carries its operator type and duration in microseconds.
 */
export function summariseOrtProfiles(files: readonly string[]): OrtProfileSummary {
  const byOp = new Map<string, { micros: number; nodes: Set<string>; calls: number }>();
  let kernelMicros = 0;
  let runMicros = 0;
  let initMicros = 0;
  for (const file of files) {
    let events: unknown;
    try {
      events = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new Error(`${file}: not an ORT profile (${(err as Error).message})`);
    }
    if (!Array.isArray(events)) throw new Error(`${file}: not an ORT profile (expected a JSON array of trace events)`);
    for (const e of events as ProfileEvent[]) {
      if (e.cat === 'Session' && e.name === 'model_run') runMicros += e.dur ?? 0;
      if (e.cat === 'Session' && e.name === 'session_initialization') initMicros += e.dur ?? 0;
      if (e.cat !== 'Node' || !e.name?.endsWith('_kernel_time')) continue;
      const op = e.args?.op_name ?? 'unknown';
      const entry = byOp.get(op) ?? { micros: 0, nodes: new Set<string>(), calls: 0 };
      entry.micros += e.dur ?? 0;
      entry.nodes.add(e.name);
      entry.calls += 1;
      byOp.set(op, entry);
      kernelMicros += e.dur ?? 0;
    }
  }
  const operators = [...byOp.entries()]
    .map(([op, t]) => ({ op, seconds: t.micros / 1e6, share: kernelMicros > 0 ? t.micros / kernelMicros : 0, nodes: t.nodes.size, calls: t.calls }))
    .sort((a, b) => b.seconds - a.seconds);
  return { kernelSeconds: kernelMicros / 1e6, runSeconds: runMicros / 1e6, sessionInitSeconds: initMicros / 1e6, operators };
}
