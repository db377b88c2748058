import { describe, expect, it } from 'vitest';
import type { Backend } from '../backend/backend.js';
import { createReferenceBackend } from '../backend/reference/reference-backend.js';
import { runConformance } from '../conformance/run-conformance.js';
import type { Graph, GraphNode } from '../graph/graph.js';
import { gradcheck } from './gradcheck.js';

/** A reference backend whose geluGrad uses the tanh form even when asked for the exact one. */
function wrongGeluGrad(): Backend {
  const ref = createReferenceBackend({ name: 'wrong-gelu-grad' });
  const rewrite = (graph: Graph): Graph => ({
    ...graph,
    key: `${graph.key}#wrong`,
    nodes: graph.nodes.map(
      (n): GraphNode => (n.op === 'geluGrad' ? { ...n, attrs: { approximate: 'tanh' } } : n),
    ),
  });
  return new Proxy(ref, {
    get(target, prop) {
      if (prop === 'run')
        return (graph: Graph, feeds: Parameters<Backend['run']>[1]) =>
          target.run(rewrite(graph), feeds);
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** A reference backend that says it cannot hold float64. */
function noFloat64(): Backend {
  const ref = createReferenceBackend({ name: 'no-f64' });
  const capabilities = {
    ...ref.capabilities,
    dtypes: { ...ref.capabilities.dtypes, float64: 'unsupported' as const },
  };
  return new Proxy(ref, {
    get(target, prop) {
      if (prop === 'capabilities') return capabilities;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('gradcheck', () => {
  it('passes a correct gradient and reports what it compared', async () => {
    const x = { data: Float64Array.from([0.5, -1, 2]), shape: [3] };
    const r = await gradcheck((t) => t.mul(t).tanh(), [x]);
    expect(r).toMatchObject({ ok: true, checked: 3, mismatches: [] });
    expect(r.worst).toBeLessThanOrEqual(1);
  });

  it('reports mismatches when the backend computes a backward op wrongly', async () => {
    const backend = wrongGeluGrad();
    const x = { data: Float64Array.from([-2, -0.5, 1, 3]), shape: [4] };
    const r = await gradcheck((t) => t.gelu(), [x], { backend });
    expect(r.ok).toBe(false);
    expect(r.mismatches[0]).toMatch(/^input 0 \[\d\]: autograd .*, central difference /);
    await backend.dispose();
  });

  it('makes grad/gelu fail in the conformance suite for that backend', async () => {
    const results = await runConformance({ createBackend: wrongGeluGrad, only: ['grad/gelu'] });
    expect(results.map((r) => [r.id, r.status])).toEqual([['grad/gelu', 'fail']]);
    expect(results[0].detail).toContain('gelu(none): input 0');
  });

  it('skips the float64 cases on a backend without float64', async () => {
    const results = await runConformance({ createBackend: noFloat64, only: ['grad/add'] });
    expect(results[0].status).toBe('skip');
    expect(results[0].detail).toBe(
      'float64 unsupported by no-f64; dtype/float64 checks the error instead',
    );
  });
});
