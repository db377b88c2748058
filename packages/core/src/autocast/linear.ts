import { Tensor } from '../tensor/tensor.js';
import { applyAutocast } from './apply.js';
import { activeRegion, isAutocastEligible, withoutAutocast } from './state.js';

/**
 * `y = x @ Wᵀ + b` with torch's `aten::linear` semantics under autocast.
 *
 * Why this exists: `linear` is ONE op on torch's lower-precision list, so under autocast its
 * output is half and the bias is added in the fp32 accumulator before a single rounding.
 * mixprec has no fused linear op; recording `matmul` then `add` instead gives a different result
 * (the matmul output is rounded, then the add promotes it back to fp32 against the fp32 bias:
 * an fp32 output that is 2-3 bf16 ulp off torch on `autocast_linear.json`). Here the inputs get
 * the policy's casts (shared through the cast cache), the product and bias are computed in
 * fp32 from those half values, and the sum is rounded once to the region dtype. The backward
 * pass then matches torch too: the gradient of each half input is rounded once to half and
 * converted to its leaf's dtype. Outside a region (or when the policy does not treat matmul
 * as lower precision, or an input is not fp32/half) it is plain `x.matmul(wᵀ).add(b)`.
 *
 * @example
 * const y = autocast('bfloat16', () => linear(x, layer.weight, layer.bias)); // bfloat16
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor): Tensor {
  const region = activeRegion();
  const inputs = bias === undefined ? [x, weight] : [x, weight, bias];
  if (
    region === undefined ||
    region.table.matmul !== 'lowp' ||
    !inputs.every((t) => isAutocastEligible(t.dtype))
  ) {
    const y = x.matmul(weight.transpose());
    return bias === undefined ? y : y.add(bias);
  }
  const half = applyAutocast(
    'matmul',
    inputs.map((t) => t.node),
  ).map((n) => new Tensor(n));
  // The fp32 part must not be autocast again (its matmul would be narrowed back to half).
  return withoutAutocast(() => {
    const [xh, wh, bh] = half.map((t) => t.cast('float32'));
    const acc = xh.matmul(wh.transpose());
    return (bh === undefined ? acc : acc.add(bh)).cast(region.dtype);
  });
}
