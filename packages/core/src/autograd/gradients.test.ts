import { describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../backend/reference/reference-backend.js';
import { lowerGraph } from '../graph/lower-graph.js';
import { LazyNode } from '../graph/node.js';
import { fromArray } from '../tensor/creation.js';
import { realize, type Tensor } from '../tensor/tensor.js';
import { gradients } from './gradients.js';

const f64 = (values: number[], shape?: number[]) =>
  fromArray(Float64Array.from(values), { shape: shape ?? [values.length] });
const values = async (t: Tensor) => Array.from(await t.data());
/** Number of graph nodes created so far (node ids are a process-wide counter). */
const nodeCount = () => new LazyNode('full', [], { value: 0 }, [], 'float32').id;

describe('gradients()', () => {
  it('returns lazy gradients: forward and backward realize in one backend run', async () => {
    const backend = createReferenceBackend();
    const x = f64([1, 2, 3]);
    const w = f64([0.5, -1, 2]);
    const loss = x.mul(w).sum();
    const [gx, gw] = gradients(loss, [x, w]);
    expect(gx.isRealized).toBe(false);
    await realize([loss, gx, gw], backend);
    expect(backend.stats.runs).toBe(1);
    expect(await values(gx)).toEqual([0.5, -1, 2]);
    expect(await values(gw)).toEqual([1, 2, 3]);
    await backend.dispose();
  });

  it('gives zeros (a full node) for inputs the output does not depend on', async () => {
    const x = f64([1, 2]);
    const unused = fromArray(Float32Array.from([1, 2, 3]), { shape: [3, 1] });
    const [gx, gu] = gradients(x.exp().sum(), [x, unused]);
    expect(gu.node.op).toBe('full');
    expect(gu.dtype).toBe('float32');
    expect(gu.shape).toEqual([3, 1]);
    await realize([gx, gu]);
    expect(await values(gu)).toEqual([0, 0, 0]);
    expect(await values(gx)).toEqual([Math.exp(1), Math.exp(2)]);
  });

  it('needs gradOutput for a non-scalar output, and checks its shape', async () => {
    const x = f64([1, 2, 3]);
    const y = x.mul(2);
    expect(() => gradients(y, [x])).toThrow(
      /gradients: output of shape \[3\] is not a scalar and no gradOutput was given/,
    );
    expect(() => gradients(y, [x], f64([1, 2]))).toThrow(
      /argument 'gradOutput' has shape \[2\]; expected the output's shape \[3\]/,
    );
    const [g] = gradients(y, [x], f64([1, 10, 100]));
    await realize([g]);
    expect(await values(g)).toEqual([2, 20, 200]);
  });

  it('rejects non-floating outputs and wrt tensors', () => {
    const x = f64([1, 2]);
    const i = fromArray(Int32Array.from([1, 2]));
    expect(() => gradients(x.gt(0).cast('int32').sum(), [x])).toThrow(/expected a floating dtype/);
    expect(() => gradients(x.sum(), [i])).toThrow(/wrt\[0\] has dtype int32/);
  });

  it('returns each gradient in its leaf dtype whatever dtype the forward used', async () => {
    const w = fromArray(Float32Array.from([1, 2, 3, 4]), { shape: [2, 2] });
    const x = fromArray(Float32Array.from([1, -1, 2, 0.5]), { shape: [2, 2] });
    const loss = x.cast('bfloat16').matmul(w.cast('bfloat16')).sum();
    expect(loss.dtype).toBe('bfloat16');
    const [gw, gx] = gradients(loss, [w, x]);
    expect(gw.dtype).toBe('float32');
    expect(gx.dtype).toBe('float32');
    await realize([gw, gx]);
    // dW = xᵀ·1 (column sums of x), dX = 1·wᵀ (row sums of w).
    expect(await values(gw)).toEqual([3, 3, -0.5, -0.5]);
    expect(await values(gx)).toEqual([3, 7, 3, 7]);
  });

  it('builds no backward ops for frozen branches', () => {
    const w = f64([1, 2, 3, 4], [2, 2]);
    const x = f64([1, 2, 3, 4], [2, 2]);
    const count = (input: Tensor, wrt: Tensor[]) => {
      const loss = input.matmul(w).sum();
      const before = nodeCount();
      gradients(loss, wrt);
      return nodeCount() - before;
    };
    const branch = () => x.exp().tanh().mul(3).sqrt().softmax();
    // A long frozen branch in front of the matmul adds no backward nodes ...
    expect(count(branch(), [w])).toBe(count(x, [w]));
    // ... while asking for x's gradient builds the branch's backward.
    expect(count(branch(), [w, x])).toBeGreaterThan(count(x, [w, x]));
  });

  it('does not recompute the forward: the gradient graph reads realized values as inputs', async () => {
    const x = f64([0.5, 1.5]);
    const y = x.exp();
    await realize([y]);
    const [g] = gradients(y.sum(), [x]);
    const { graph } = lowerGraph([g.node]);
    expect(graph.nodes.filter((n) => n.op === 'exp')).toHaveLength(0);
    await realize([g]);
    expect(await values(g)).toEqual([Math.exp(0.5), Math.exp(1.5)]);
  });

  it('sums the contributions of every use of a tensor', async () => {
    const x = f64([3]);
    const [g] = gradients(x.mul(x).add(x.mul(4)).sum(), [x]);
    await realize([g]);
    expect(await values(g)).toEqual([2 * 3 + 4]);
  });

  it('computes half gradients in the half dtype (one rounding per backward op)', async () => {
    // 1/3 in bf16 is 0.333984375; the mean's backward divides the bf16 seed by 3 in bf16.
    const x = fromArray(Float32Array.from([1, 2, 3])).cast('bfloat16');
    const [g] = gradients(x.mean(), [x]);
    expect(g.dtype).toBe('bfloat16');
    await realize([g]);
    expect(await values(g)).toEqual([0.333984375, 0.333984375, 0.333984375]);
  });
});
