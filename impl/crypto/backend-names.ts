/**
 * The names of the real crypto backends (spec 3.1), without loading any of them: a command line
 * checks a `--backend` value against these before it loads the backends (impl/crypto/backends.ts).
 */

/** The real backends, slowest first. */
export const REAL_BACKENDS = ['noble', 'liboqs', 'native'] as const;

/** A real backend's name. */
export type RealBackend = (typeof REAL_BACKENDS)[number];
