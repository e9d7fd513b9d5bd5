import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import onnxPkg from 'onnx-proto';

const { onnx } = onnxPkg;

/**
 * ORT's own MatMul [n,n] x [n,n] on `threads` intra-op threads: the machine's attainable float32
 * GEMM rate, the limit an end-to-end forward pass is compared against. The median of the runs in
 * `seconds` (after 2 warm-ups): on a shared machine the best run would catch a quiet moment that a
 * minute-long extraction never gets.
 */
export async function ortMatmulGflops(threads = availableParallelism(), n = 1024, seconds = 2): Promise<number> {
  const b = new Float32Array(n * n).map((_, i) => Math.sin(i));
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 20 }],
    graph: {
      name: 'matmul',
      node: [{ opType: 'MatMul', input: ['a', 'b'], output: ['c'] }],
      initializer: [{ name: 'b', dims: [n, n], dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(b.buffer) }],
      input: [{ name: 'a', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: n }, { dimValue: n }] } } } }],
      output: [{ name: 'c', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: n }, { dimValue: n }] } } } }],
    },
  });
  const session = await ort.InferenceSession.create(onnx.ModelProto.encode(model).finish(), { intraOpNumThreads: threads, logSeverityLevel: 3 });
  const a = new ort.Tensor('float32', new Float32Array(n * n).map((_, i) => Math.cos(i)), [n, n]);
  const times: number[] = [];
  const start = performance.now();
  for (let i = 0; i < 2 || performance.now() - start < seconds * 1000; i++) {
    const t0 = performance.now();
    await session.run({ a });
    if (i >= 2) times.push((performance.now() - t0) / 1000);
  }
  await session.release();
  times.sort((x, y) => x - y);
  return (2 * n ** 3) / times[Math.floor(times.length / 2)] / 1e9;
}

if (process.argv[1]?.endsWith('matmul-peak.ts')) {
  const threads = Number(process.argv[2] ?? availableParallelism());
  console.log(JSON.stringify({ matmulPeakGflops: await ortMatmulGflops(threads) }));
}
