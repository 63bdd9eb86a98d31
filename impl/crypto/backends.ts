/**
 * The real crypto backends (spec 3.1) and which of them this process has: noble (always), liboqs
 * (WebAssembly, when @oqs/liboqs-js loads) and native (node:crypto, Node 24 and later). All of
 * them compute the same bytes for the same inputs (the differential and Wycheproof tests hold them
 * to it), so `fastestReal()` may stand in for any of them.
 */
import { liboqs, type Loaded } from './liboqs.ts';
import { native } from './native.ts';
import { nodeCrypto } from './node.ts';
import type { CryptoProvider } from './provider.ts';
import { REAL_BACKENDS, type RealBackend } from './backend-names.ts';

export { REAL_BACKENDS, type RealBackend } from './backend-names.ts';

const LOADED: Readonly<Record<RealBackend, Loaded>> = { noble: { provider: nodeCrypto }, liboqs, native };

/** The provider of a real backend, or why this process does not have it. */
export function realBackend(name: RealBackend): Loaded {
  return LOADED[name];
}

/** The real backends this process has, slowest first. */
export function presentBackends(): RealBackend[] {
  return REAL_BACKENDS.filter((b) => LOADED[b].provider !== undefined);
}

/** The fastest real backend present: native, else liboqs, else noble. */
export function fastestReal(): RealBackend {
  return presentBackends().at(-1)!;
}

/** The provider of a real backend; throws one line saying why when it is absent. */
export function realCrypto(name: RealBackend): CryptoProvider {
  const l = LOADED[name];
  if (!l.provider) throw new Error(`backend ${name} is not available here: ${l.unavailable}`);
  return l.provider;
}

/** What a backend is made of: each public-key primitive's implementation, for reports. */
export function describeBackend(name: RealBackend): Readonly<Record<string, string>> {
  const p = LOADED[name].provider;
  if (!p) return {};
  return p.origins ?? { kemKeygen: 'noble', kemEncapsulate: 'noble', kemDecapsulate: 'noble', sigKeygen: 'noble', sign: 'noble', verify: 'noble' };
}

/** Every real backend and whether this process has it. */
export function backendReport(): Record<RealBackend, { readonly present: boolean; readonly unavailable?: string; readonly primitives?: Readonly<Record<string, string>> }> {
  const out = {} as Record<RealBackend, { present: boolean; unavailable?: string; primitives?: Readonly<Record<string, string>> }>;
  for (const b of REAL_BACKENDS) {
    const l = LOADED[b];
    out[b] = l.provider ? { present: true, primitives: describeBackend(b) } : { present: false, unavailable: l.unavailable };
  }
  return out;
}
