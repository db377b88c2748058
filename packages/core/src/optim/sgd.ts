import { MixprecError } from '../errors/mixprec-error.js';
import { checkOptionKeys, optionKeys } from '../util/check-option-keys.js';
import { booleanHyper, checkLr, checkRange, numberHyper } from './hyper-checks.js';
import { definedOnly, Optimizer, type OptimizerSpec, type ParamsInput } from './optimizer.js';

/** SGD's hyper-parameters under torch's names. */
export type SGDHyper = {
  lr: number;
  momentum: number;
  dampening: number;
  weight_decay: number;
  nesterov: boolean;
};

/** torch's defaults (`lr` 1e-3 as in torch ≥ 2.2, where it stopped being required). */
export const SGD_DEFAULTS: Readonly<SGDHyper> = Object.freeze({
  lr: 1e-3,
  momentum: 0,
  dampening: 0,
  weight_decay: 0,
  nesterov: false,
});

/** The constructor's option keys (torch's names). */
const SGD_OPTIONS = optionKeys<SGDHyper>({
  lr: true,
  momentum: true,
  dampening: true,
  weight_decay: true,
  nesterov: true,
});

const SPEC: OptimizerSpec<SGDHyper> = {
  name: 'SGD',
  algorithm: 'sgd',
  validate(h) {
    checkLr('SGD', h.lr);
    const momentum = numberHyper('SGD', 'momentum', h.momentum);
    const dampening = numberHyper('SGD', 'dampening', h.dampening);
    checkRange('SGD', 'momentum value', momentum, 'momentum >= 0', 0);
    const wd = numberHyper('SGD', 'weight_decay', h.weight_decay);
    checkRange('SGD', 'weight_decay value', wd, 'weight_decay >= 0', 0);
    if (booleanHyper('SGD', 'nesterov', h.nesterov) && (momentum <= 0 || dampening !== 0)) {
      throw new MixprecError(
        `SGD: Nesterov momentum requires a momentum and zero dampening; got momentum ${momentum}, dampening ${dampening}; expected momentum > 0 and dampening 0`,
      );
    }
  },
  hyper: ({ lr, momentum, dampening, weight_decay, nesterov }) => ({
    lr,
    momentum,
    dampening,
    weight_decay,
    nesterov,
  }),
  // torch keeps no buffer without momentum.
  stateNames: (group) => (group.momentum !== 0 ? ['momentum_buffer'] : []),
};

/**
 * Stochastic gradient descent with torch's `torch.optim.SGD` semantics: coupled weight decay
 * (added to the gradient), momentum whose buffer starts as the first (decayed) gradient,
 * dampening and Nesterov momentum. Updates run as the backend's `optimizerStep('sgd')`.
 *
 * @example
 * const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
 * await opt.step();
 * opt.zeroGrad();
 */
export class SGD extends Optimizer<SGDHyper> {
  constructor(params: ParamsInput<SGDHyper>, options: Partial<SGDHyper> = {}) {
    checkOptionKeys('SGD', options, SGD_OPTIONS);
    super(params, { ...SGD_DEFAULTS, ...definedOnly(options) }, SPEC);
  }
}
