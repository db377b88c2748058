import { describe, expect, it } from 'vitest';
import { OPS } from '../ops/catalogue.js';
import { fromArray } from '../tensor/creation.js';
import { autocastPolicyTable, CPU_AUTOCAST_OVERRIDES } from './policy.js';
import { autocast } from './state.js';

const f32 = (values: number[], shape: number[]) => fromArray(Float32Array.from(values), { shape });

describe('autocast policy table', () => {
  it("'cuda' is the catalogue; 'cpu' drops torch's CUDA-only fp32 entries (docs/precision.md#autocast-policy)", () => {
    const cuda = autocastPolicyTable('cuda');
    for (const [op, spec] of Object.entries(OPS))
      expect(cuda[op as keyof typeof OPS]).toBe(spec.autocast);
    expect([cuda.matmul, cuda.softmax, cuda.sum, cuda.concat]).toEqual([
      'lowp',
      'fp32',
      'fp32',
      'promote',
    ]);
    const cpu = autocastPolicyTable('cpu');
    expect([cpu.matmul, cpu.softmax, cpu.exp, cpu.concat]).toEqual([
      'lowp',
      'unchanged',
      'unchanged',
      'promote',
    ]);
    for (const op of Object.keys(CPU_AUTOCAST_OVERRIDES))
      expect(cpu[op as keyof typeof OPS]).toBe('unchanged');
  });

  it('applies backend overrides on top, never re-categorizes cast, and rejects unknown ops', () => {
    const backend = {
      capabilities: { autocastOverrides: { softmax: 'unchanged', cast: 'lowp' } as const },
    };
    const table = autocastPolicyTable('cuda', backend);
    expect(table.softmax).toBe('unchanged');
    expect(table.cast).toBe('unchanged');
    const h = f32([1, 2], [2]).cast('bfloat16');
    expect(autocast('bfloat16', () => h.softmax(0), { backend }).dtype).toBe('bfloat16');
    const bad = { capabilities: { autocastOverrides: { softmaxx: 'fp32' } as never } };
    expect(() => autocastPolicyTable('cuda', bad)).toThrow(/'softmaxx'/);
  });

  it('reuses a bf16 tensor promoted to fp32 for a lower-precision op instead of casting it back', () => {
    const x = f32([1, 2, 3, 4], [2, 2]).cast('bfloat16');
    const w = f32([1, 0, 0, 1], [2, 2]);
    const y = autocast('bfloat16', () => x.matmul(w));
    expect(y.dtype).toBe('bfloat16');
    expect(y.node.inputs[0]).toBe(x.node);
  });
});
