/**
 * Named registry priorities: `'auto'` picks the highest that loads. A negative priority means
 * "by name only": `'auto'` never picks it, `selectBackend(name)` and `MIXPREC_BACKEND` do.
 */
export const BackendPriority = Object.freeze({ reference: 0, tfjs: 10, ort: 20, explicitOnly: -1 });
