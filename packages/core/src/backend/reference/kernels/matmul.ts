import type { DType, StorageArray } from '../../../dtype/dtypes.js';
import { shapeSize } from '../../../graph/graph.js';
import { batchedGemm, type GemmArray } from '../gemm.js';
import type { Kernel, Value } from '../kernel.js';
import { readNumbers, writeNumbers } from '../numbers.js';
import { broadcastStrides } from '../strided.js';

/**
 * Batched matmul with numpy-broadcast batch dims, on core's blocked gemm: products are summed
 * in float64 and rounded once. A float32/float64 output is stored by gemm itself (one rounding
 * at the store); a half output goes through a float64 scratch and is then rounded once
 * straight to the half dtype, never through fp32 (that would round twice).
 */

/** The operand as an array gemm reads (matmul inputs are float: halves decode to fp32). */
const gemmOperand = (x: Value) => readNumbers(x.data, x.dtype) as GemmArray;

/** `a @ b` for float values of equal dtype; `outShape` is `[...batch, M, N]` as inference gives it. */
export function matmulValues(
  a: Value,
  b: Value,
  outShape: readonly number[],
  dtype: DType,
): StorageArray {
  const [M, K] = a.shape.slice(-2);
  const N = b.shape[b.shape.length - 1];
  const batch = outShape.slice(0, -2);
  // Batch strides in elements: each batch item of a is an M×K matrix, of b a K×N one.
  const aStrides = broadcastStrides(a.shape.slice(0, -2), batch).map((s) => s * M * K);
  const bStrides = broadcastStrides(b.shape.slice(0, -2), batch).map((s) => s * K * N);
  const size = shapeSize(outShape);
  const out = dtype === 'float32' ? new Float32Array(size) : new Float64Array(size);
  batchedGemm(gemmOperand(a), 0, gemmOperand(b), 0, out, 0, batch, M, K, N, {
    aBatchStrides: aStrides,
    bBatchStrides: bStrides,
  });
  return out instanceof Float32Array ? out : writeNumbers(out, dtype);
}

/** The `matmul` row of the kernel table. */
export const matmul: Kernel<'matmul'> = (node, [a, b]) =>
  matmulValues(a, b, node.shape, node.dtype);
