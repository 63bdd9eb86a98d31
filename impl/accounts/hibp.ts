/**
 * The breached-password check at registration (REQ-KEY-041): Have I Been Pwned's k-anonymity
 * range API. Only the first 5 hexadecimal characters of the password's SHA-1 leave the client;
 * the response lists `SUFFIX:COUNT` lines for that prefix, padded with entries of count 0
 * (`Add-Padding: true`), and the comparison is local. An offline list of hashes can stand in for
 * the service; a failure to reach it is reported, and the policy decides whether registration
 * goes on.
 */
import { sha1 } from '@noble/hashes/legacy.js';
import { toHex, utf8 } from '../bytes.ts';

/** The public endpoint; `${endpoint}${prefix}` is fetched. */
export const HIBP_ENDPOINT = 'https://api.pwnedpasswords.com/range/';

/** What to do when the service cannot be reached. */
export type HibpPolicy = 'refuse-when-unavailable' | 'allow-when-unavailable';

/** Options of the check. */
export interface HibpOptions {
  /** The range endpoint (configurable; tests point it anywhere). */
  readonly endpoint?: string;
  /** The fetch to use (default: the global one). */
  readonly fetch?: typeof fetch;
  /** Offline mode: full upper-case SHA-1 hashes, each with its count; no request is made. */
  readonly offline?: ReadonlyMap<string, number>;
  /** Give up after this long (default 5 s). */
  readonly timeoutMs?: number;
}

/** The outcome of a check. */
export type HibpResult =
  | { readonly kind: 'pwned'; readonly count: number }
  | { readonly kind: 'clean' }
  | { readonly kind: 'unavailable'; readonly error: string };

/** The password's SHA-1 in upper-case hex, split into the 5-character prefix sent and the suffix kept. */
export function hibpHash(password: string): { prefix: string; suffix: string } {
  const h = toHex(sha1(utf8(password.normalize('NFC')))).toUpperCase();
  return { prefix: h.slice(0, 5), suffix: h.slice(5) };
}

/** Parses a range response: `SUFFIX:COUNT` per line; lines of count 0 are padding. Throws on a malformed line. */
export function parseRange(body: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const raw of body.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '') continue;
    const m = /^([0-9A-Fa-f]{35}):(\d+)$/.exec(line);
    if (!m) throw new Error(`malformed range line: ${line.slice(0, 60)}`);
    const count = Number(m[2]);
    if (count > 0) out.set(m[1]!.toUpperCase(), count);
  }
  return out;
}

/** Checks a password (REQ-KEY-041). Never throws: an unreachable or malformed service is `unavailable`. */
export async function checkPassword(password: string, o: HibpOptions = {}): Promise<HibpResult> {
  const { prefix, suffix } = hibpHash(password);
  if (o.offline) {
    const count = o.offline.get(prefix + suffix) ?? 0;
    return count > 0 ? { kind: 'pwned', count } : { kind: 'clean' };
  }
  try {
    const res = await (o.fetch ?? fetch)(`${o.endpoint ?? HIBP_ENDPOINT}${prefix}`, {
      method: 'GET',
      headers: { 'Add-Padding': 'true' },
      signal: AbortSignal.timeout(o.timeoutMs ?? 5000),
    });
    if (!res.ok) return { kind: 'unavailable', error: `HTTP ${res.status}` };
    const count = parseRange(await res.text()).get(suffix) ?? 0;
    return count > 0 ? { kind: 'pwned', count } : { kind: 'clean' };
  } catch (e) {
    return { kind: 'unavailable', error: e instanceof Error ? e.message : String(e) };
  }
}

/** Reads an offline hash list: lines of `HASH` or `HASH:COUNT` (40 hex characters). */
export function parseOfflineList(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([0-9A-Fa-f]{40})(?::(\d+))?$/.exec(line);
    if (!m) throw new Error(`malformed hash list line: ${line.slice(0, 60)}`);
    out.set(m[1]!.toUpperCase(), m[2] === undefined ? 1 : Number(m[2]));
  }
  return out;
}

/** Whether registration goes on, and why (REQ-KEY-041). */
export function registrationDecision(r: HibpResult, policy: HibpPolicy): { proceed: boolean; reason: string } {
  if (r.kind === 'pwned') return { proceed: false, reason: `this password appears in ${r.count} known breaches; choose another` };
  if (r.kind === 'clean') return { proceed: true, reason: 'not found in known breaches' };
  return policy === 'allow-when-unavailable'
    ? { proceed: true, reason: `the breach check could not be done (${r.error}); registering anyway, as the policy allows` }
    : { proceed: false, reason: `the breach check could not be done (${r.error}); the policy requires it` };
}
