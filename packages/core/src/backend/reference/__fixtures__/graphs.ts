import {
  bf16BitsToF32,
  f16BitsToF32,
  f64ToBf16Bits,
  f64ToF16Bits,
  roundToDtype,
} from '../../../dtype/convert.js';
import { allocStorage, type DType, type StorageArray } from '../../../dtype/dtypes.js';
import type { Graph, GraphNode } from '../../../graph/graph.js';
import type { OpAttrs, OpName } from '../../../ops/catalogue.js';
import { inferNode } from '../../../ops/infer.js';
import type { Backend } from '../../backend.js';

/**
 * Test helpers: hand-built graphs (shapes from core's inference, so they pass verifyGraph) and
 * element encoding through the SCALAR conversion helpers, independent of the bulk path the
 * backend uses.
 */

/** Values → storage of `dtype`, each rounded once by `roundToDtype` (halves as bit patterns). */
export function encode(values: readonly number[], dtype: DType): StorageArray {
  const out = allocStorage(dtype, values.length);
  values.forEach((v, i) => {
    if (dtype === 'bfloat16') out[i] = f64ToBf16Bits(v);
    else if (dtype === 'float16') out[i] = f64ToF16Bits(v);
    else out[i] = roundToDtype(v, dtype);
  });
  return out;
}

/** Storage of `dtype` → plain numbers (halves decoded from their bits). */
export function decode(data: StorageArray, dtype: DType): number[] {
  return Array.from(data, (v) =>
    dtype === 'bfloat16' ? bf16BitsToF32(v) : dtype === 'float16' ? f16BitsToF32(v) : v,
  );
}

/** Builds a graph node by node. */
export class GraphBuilder {
  readonly nodes: GraphNode[] = [];
  readonly inputs: number[] = [];

  input(dtype: DType, shape: readonly number[]): number {
    this.inputs.push(this.nodes.length);
    return this.#push({ op: 'input', inputs: [], attrs: {}, shape, dtype } as GraphNode);
  }

  source<O extends 'full' | 'arange'>(
    op: O,
    attrs: OpAttrs<O>,
    dtype: DType,
    shape: number[],
  ): number {
    return this.#push({ op, inputs: [], attrs, shape, dtype } as GraphNode);
  }

  op<O extends OpName>(op: O, inputs: readonly number[], attrs: OpAttrs<O>): number {
    const info = inferNode(
      op,
      attrs,
      inputs.map((j) => this.nodes[j]),
    );
    return this.#push({ op, inputs, attrs, shape: info.shape, dtype: info.dtype } as GraphNode);
  }

  build(outputs: readonly number[]): Graph {
    const key = JSON.stringify([this.nodes, outputs]);
    return { nodes: [...this.nodes], inputs: [...this.inputs], outputs: [...outputs], key };
  }

  #push(node: GraphNode): number {
    this.nodes.push(node);
    return this.nodes.length - 1;
  }
}

/** One input of `runOp`. */
export interface TestInput {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly values: readonly number[];
}

/** Runs a one-op graph on `backend` and returns the output's dtype, shape and values. */
export async function runOp<O extends OpName>(
  backend: Backend,
  op: O,
  attrs: OpAttrs<O>,
  inputs: readonly TestInput[],
): Promise<{ dtype: DType; shape: readonly number[]; values: number[] }> {
  const g = new GraphBuilder();
  const ids = inputs.map((x) => g.input(x.dtype, x.shape));
  const out = g.op(op, ids, attrs);
  const feeds = inputs.map((x) => backend.upload(encode(x.values, x.dtype), x.dtype, x.shape));
  const [result] = await backend.run(g.build([out]), feeds);
  const values = decode(await backend.download(result), result.dtype);
  for (const s of [...feeds, result]) backend.free(s);
  return { dtype: result.dtype, shape: result.shape, values };
}
