import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { GraphBuilder } from '@sinkscope/model-io';
import * as ort from 'onnxruntime-node';
import onnxPkg from 'onnx-proto';
import type { FloatType } from './autodiff.js';

const { onnx } = onnxPkg;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const DOUBLE = onnx.TensorProto.DataType.DOUBLE;

export interface SessionOptions {
  /** Intra-op threads (results are bit-identical run to run for a fixed count). */
  readonly threads: number;
  /** Symbolic input/output dims to fix (`batch`, `seq`): a training graph has one batch shape. */
  readonly staticDims?: Readonly<Record<string, number>>;
  /** float64 graphs (the finite-difference checks): float32 graph inputs/outputs become double. */
  readonly floatType?: FloatType;
  /**
   * Let idle intra-op threads spin (ORT's own default) instead of sleeping. Default off here: on a
   * machine shared with other jobs a spinning pool loses its time slices. Measured on the default
   * recipe, 2 threads: beside another busy process 146-169 ms/step spinning vs 58-89 ms sleeping;
   * on a quiet machine 47-50 vs 55-58 ms (4 x 256: 295 vs 311 ms).
   */
  readonly spinning?: boolean;
  /** Write ORT's per-node profile (JSON) with this file prefix. */
  readonly profilePrefix?: string;
}

/**
 * Encode a graph under construction and open it in an ORT session: symbolic dims fixed, float
 * inputs and outputs retyped for float64 checks, the temporary folder removed once ORT has read it.
 */
export async function createSession(g: GraphBuilder, name: string, options: SessionOptions): Promise<ort.InferenceSession> {
  const encoded = g.encode(name);
  try {
    const model = onnx.ModelProto.decode(readFileSync(encoded.modelPath));
    const graph = model.graph!;
    for (const value of [...(graph.input ?? []), ...(graph.output ?? [])]) {
      const tensor = value.type?.tensorType;
      if (!tensor) continue;
      if (options.floatType === 'float64' && tensor.elemType === FLOAT) tensor.elemType = DOUBLE;
      for (const dim of tensor.shape?.dim ?? []) {
        const fixed = dim.dimParam ? options.staticDims?.[dim.dimParam] : undefined;
        if (fixed !== undefined) {
          dim.dimValue = fixed;
          dim.dimParam = undefined;
        }
      }
    }
    writeFileSync(encoded.modelPath, onnx.ModelProto.encode(model).finish());
    return await ort.InferenceSession.create(encoded.modelPath, {
      intraOpNumThreads: options.threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      enableCpuMemArena: true,
      enableMemPattern: true,
      logSeverityLevel: 3,
      extra: {
        session: { 'intra_op.allow_spinning': options.spinning ? '1' : '0' },
        // keep the weight gradients' orientation (grad-rules.ts, MatMul): this fusion would turn
        // (dY^T A)^T back into the slower wide-output A^T dY
        optimization: { disable_specified_optimizers: 'GemmTransposeFusion' },
      },
      ...(options.profilePrefix ? { enableProfiling: true, profileFilePrefix: options.profilePrefix } : {}),
    });
  } finally {
    rmSync(encoded.dir, { recursive: true, force: true });
  }
}
