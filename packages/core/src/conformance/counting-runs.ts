import type { Backend } from '../backend/backend.js';

/** The backend with `run` counted; every other member is the backend's own, bound to it. */
export function countingRuns(backend: Backend): { backend: Backend; runs: () => number } {
  let runs = 0;
  const wrapped = new Proxy(backend, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      if (prop === 'run') {
        return (...args: Parameters<Backend['run']>) => {
          runs++;
          return target.run(...args);
        };
      }
      return value.bind(target);
    },
  });
  return { backend: wrapped, runs: () => runs };
}
