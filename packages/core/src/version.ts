declare const __MIXPREC_CORE_VERSION__: string | undefined;

/** The version of `@mixprec/core` (injected at build time from package.json). */
export const CORE_VERSION: string =
  typeof __MIXPREC_CORE_VERSION__ === 'string' ? __MIXPREC_CORE_VERSION__ : '0.0.0-dev';
