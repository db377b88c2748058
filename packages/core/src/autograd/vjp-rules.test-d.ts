// Type tests: checked by `pnpm typecheck` (tsc), which the test command runs.
import { expectTypeOf } from 'vitest';
import type { GRAD_CASES } from '../conformance/gradient-cases.js';
import type { DifferentiableOp, OpName } from '../ops/catalogue.js';
import type { Tensor } from '../tensor/tensor.js';
import type { VJP_RULES } from './vjp-rules.js';

// One VJP rule and one gradient check per differentiable op, and nothing else.
expectTypeOf<keyof typeof VJP_RULES>().toEqualTypeOf<DifferentiableOp>();
expectTypeOf<keyof typeof GRAD_CASES>().toEqualTypeOf<DifferentiableOp>();

// Sources, comparisons and the backward ops are not differentiable.
expectTypeOf<
  Extract<DifferentiableOp, 'input' | 'full' | 'eq' | 'geluGrad' | 'gatherGrad' | 'sliceGrad'>
>().toEqualTypeOf<never>();
expectTypeOf<Extract<OpName, 'matmul' | 'cast'>>().toMatchTypeOf<DifferentiableOp>();

// The autograd members of Tensor.
expectTypeOf<Tensor['grad']>().toEqualTypeOf<Tensor | undefined>();
expectTypeOf<Tensor['requiresGrad']>().toEqualTypeOf<boolean>();
expectTypeOf<Tensor['backward']>().toEqualTypeOf<(gradOutput?: Tensor) => void>();
