import { MixprecError } from '../errors/mixprec-error.js';
import { checkOptionKeys, optionKeys } from '../util/check-option-keys.js';
import { checkLr, checkRange, numberHyper } from './hyper-checks.js';
import {
  definedOnly,
  Optimizer,
  type OptimizerSpec,
  type ParamGroup,
  type ParamsInput,
} from './optimizer.js';

/** Adam's and AdamW's hyper-parameters under torch's names. */
export type AdamHyper = {
  lr: number;
  betas: readonly [number, number];
  eps: number;
  weight_decay: number;
};

/** Adam's constructor options: the hyper-parameters, plus torch flags mixprec refuses clearly. */
export type AdamOptions = Partial<AdamHyper> & {
  /** torch's AMSGrad variant: not supported; `true` throws. */
  readonly amsgrad?: boolean;
};

/** The constructor option keys of `Adam` and `AdamW` (torch's names). */
const ADAM_OPTIONS = optionKeys<AdamOptions>({
  lr: true,
  betas: true,
  eps: true,
  weight_decay: true,
  amsgrad: true,
});

/** Advice for torch keyword arguments spelled for another optimizer. */
const ADAM_HINTS: Readonly<Record<string, string>> = {
  momentum: "Adam's momentum is betas[0]",
  beta1: 'pass betas: [beta1, beta2]',
  beta2: 'pass betas: [beta1, beta2]',
};

/** The shared validation and request mapping of `Adam` (`adam`) and `AdamW` (`adamw`). */
export function adamSpec(name: string, algorithm: string): OptimizerSpec<AdamHyper> {
  return {
    name,
    algorithm,
    validate(h) {
      checkLr(name, h.lr);
      checkRange(name, 'epsilon value', numberHyper(name, 'eps', h.eps), 'eps >= 0', 0);
      if (!Array.isArray(h.betas) || h.betas.length !== 2) {
        throw new MixprecError(
          `${name}: hyper-parameter 'betas' is ${JSON.stringify(h.betas)}; expected [beta1, beta2]`,
        );
      }
      h.betas.forEach((b, i) => {
        const beta = numberHyper(name, `betas[${i}]`, b);
        checkRange(name, `beta parameter at index ${i}`, beta, `0 <= beta${i + 1} < 1`, 0, 1);
      });
      const wd = numberHyper(name, 'weight_decay', h.weight_decay);
      checkRange(name, 'weight_decay value', wd, 'weight_decay >= 0', 0);
    },
    hyper: (g: ParamGroup<AdamHyper>) => ({
      lr: g.lr,
      beta1: g.betas[0],
      beta2: g.betas[1],
      eps: g.eps,
      weight_decay: g.weight_decay,
    }),
    stateNames: () => ['exp_avg', 'exp_avg_sq'],
  };
}

/**
 * Refuses unknown keys and torch options mixprec does not implement, instead of silently
 * ignoring them.
 */
export function refuseAmsgrad(name: string, options: AdamOptions): Partial<AdamHyper> {
  checkOptionKeys(name, options, ADAM_OPTIONS, { hints: ADAM_HINTS });
  const { amsgrad, ...hyper } = options;
  if (amsgrad === true) {
    throw new MixprecError(
      `${name}: amsgrad=true is not supported; expected amsgrad false (mixprec implements torch's default ${name} without AMSGrad's max of past squared averages)`,
    );
  }
  return definedOnly(hyper);
}

/** torch's Adam defaults. */
export const ADAM_DEFAULTS: Readonly<AdamHyper> = Object.freeze({
  lr: 1e-3,
  betas: [0.9, 0.999] as const,
  eps: 1e-8,
  weight_decay: 0,
});

const SPEC = adamSpec('Adam', 'adam');

/**
 * Adam with torch's `torch.optim.Adam` semantics: weight decay is coupled L2 (added to the
 * gradient), bias-corrected moments `exp_avg` / `exp_avg_sq` in the parameter's dtype.
 * Updates run as the backend's `optimizerStep('adam')`.
 *
 * @example
 * const opt = new Adam(model.parameters(), { lr: 1e-3, betas: [0.9, 0.999] });
 */
export class Adam extends Optimizer<AdamHyper> {
  constructor(params: ParamsInput<AdamHyper>, options: AdamOptions = {}) {
    super(params, { ...ADAM_DEFAULTS, ...refuseAmsgrad('Adam', options) }, SPEC);
  }
}
