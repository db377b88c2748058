// Type tests: checked by `pnpm typecheck` (tsc), which the test command runs.
import { expectTypeOf } from 'vitest';
import type { KERNELS } from './backend/reference/kernels.js';
import type {
  Backend,
  DTYPES,
  DType,
  GraphNode,
  OPS,
  OpAttrs,
  OpName,
  StorageArrayMap,
} from './index.js';

expectTypeOf<DType>().toEqualTypeOf<
  'float32' | 'float16' | 'bfloat16' | 'float64' | 'int8' | 'uint8' | 'int16' | 'int32' | 'bool'
>();
expectTypeOf<keyof typeof DTYPES>().toEqualTypeOf<DType>();
expectTypeOf<StorageArrayMap['bfloat16']>().toEqualTypeOf<Uint16Array>();
expectTypeOf<StorageArrayMap['float16']>().toEqualTypeOf<Uint16Array>();

// Attributes derive from the catalogue, and a GraphNode narrows them by op.
expectTypeOf<OpAttrs<'cast'>>().toEqualTypeOf<{ readonly dtype: DType }>();
expectTypeOf<OpAttrs<'sum'>['axes']>().toEqualTypeOf<readonly number[]>();
declare const node: GraphNode;
if (node.op === 'gelu') expectTypeOf(node.attrs.approximate).toEqualTypeOf<'none' | 'tanh'>();

// Every backend kernel table covers every op (a missing op is a compile error there).
expectTypeOf<keyof typeof KERNELS>().toEqualTypeOf<OpName>();
expectTypeOf<keyof typeof OPS>().toEqualTypeOf<OpName>();

// The Backend interface is versioned.
expectTypeOf<Backend['specVersion']>().toEqualTypeOf<1>();
