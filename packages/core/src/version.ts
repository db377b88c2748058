declare const __MIXT_CORE_VERSION__: string | undefined;

/** The version of `@mixt/core` (injected at build time from package.json). */
export const CORE_VERSION: string =
  typeof __MIXT_CORE_VERSION__ === 'string' ? __MIXT_CORE_VERSION__ : '0.0.0-dev';
