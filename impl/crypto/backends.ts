/**
 * The real crypto backends (spec 3.1) and which of them this process has: noble (always), liboqs
 * (WebAssembly, when @oqs/liboqs-js loads) and native (node:crypto, Node 24 and later). All of
 * them compute the same bytes for the same inputs (the differential and Wycheproof tests hold them
 * to it), so `fastestReal()` may stand in for any of them.
 *
 * liboqs is WebAssembly that instantiates asynchronously (about 0.17 s of CPU), so it is not loaded
 * by importing this module: {@link loadRealBackends} loads liboqs and native once, at the first
 * call, and every later call returns the same load. A process (or worker) that runs only symbolic
 * crypto, or stops at a mistake in its command line, never loads them. Until they are loaded,
 * `realCrypto('noble')` works, and any question about liboqs or native (which are present, which is
 * fastest, their providers) throws saying so: an answer is never guessed.
 */
import type { Loaded } from './liboqs.ts';
import { nodeCrypto } from './node.ts';
import type { CryptoProvider } from './provider.ts';
import { REAL_BACKENDS, type RealBackend } from './backend-names.ts';

export { REAL_BACKENDS, type RealBackend } from './backend-names.ts';

const NOBLE: Loaded = { provider: nodeCrypto };

let loaded: Readonly<Record<RealBackend, Loaded>> | undefined;
let loading: Promise<void> | undefined;

/**
 * Loads liboqs and native, once per process (or worker thread): the first call loads, every call
 * returns that same promise. Never rejects: a backend that fails to load is reported absent, with why.
 */
export function loadRealBackends(): Promise<void> {
  loading ??= (async () => {
    const { loadLiboqs } = await import('./liboqs.ts');
    const { loadNative } = await import('./native.ts');
    const liboqs = await loadLiboqs();
    loaded = { noble: NOBLE, liboqs, native: loadNative(liboqs) };
  })();
  return loading;
}

/** Whether {@link loadRealBackends} has completed in this process. */
export function realBackendsLoaded(): boolean {
  return loaded !== undefined;
}

function table(): Readonly<Record<RealBackend, Loaded>> {
  if (loaded === undefined) throw new Error('the real crypto backends are not loaded in this process yet (await loadRealBackends() before asking for liboqs, native or the fastest backend; a bug in pqroom)');
  return loaded;
}

/** The provider of a real backend, or why this process does not have it. */
export function realBackend(name: RealBackend): Loaded {
  return name === 'noble' ? NOBLE : table()[name];
}

/** The real backends this process has, slowest first. */
export function presentBackends(): RealBackend[] {
  const t = table();
  return REAL_BACKENDS.filter((b) => t[b].provider !== undefined);
}

/** The fastest real backend present: native, else liboqs, else noble. */
export function fastestReal(): RealBackend {
  return presentBackends().at(-1)!;
}

/** The provider of a real backend; throws one line saying why when it is absent. */
export function realCrypto(name: RealBackend): CryptoProvider {
  const l = realBackend(name);
  if (!l.provider) throw new Error(`backend ${name} is not available here: ${l.unavailable}`);
  return l.provider;
}

/** What a backend is made of: each public-key primitive's implementation, for reports. */
export function describeBackend(name: RealBackend): Readonly<Record<string, string>> {
  const p = realBackend(name).provider;
  if (!p) return {};
  return p.origins ?? { kemKeygen: 'noble', kemEncapsulate: 'noble', kemDecapsulate: 'noble', sigKeygen: 'noble', sign: 'noble', verify: 'noble' };
}

/** Every real backend and whether this process has it. */
export function backendReport(): Record<RealBackend, { readonly present: boolean; readonly unavailable?: string; readonly primitives?: Readonly<Record<string, string>> }> {
  const out = {} as Record<RealBackend, { present: boolean; unavailable?: string; primitives?: Readonly<Record<string, string>> }>;
  for (const b of REAL_BACKENDS) {
    const l = realBackend(b);
    out[b] = l.provider ? { present: true, primitives: describeBackend(b) } : { present: false, unavailable: l.unavailable };
  }
  return out;
}
