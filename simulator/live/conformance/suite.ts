/**
 * `pqroom conformance`: runs the black-box cases against a relay over the wire and reports one
 * line per case, then the totals. It speaks only the protocol (spec 8): it never reads the
 * relay's database or process, so it audits any relay, the project's or another's.
 */
import { toHex, type Bytes } from '../../../impl/bytes.ts';
import type { CryptoProvider } from '../../../impl/crypto/provider.ts';
import { createIdentity } from '../../../impl/protocol/identity.ts';
import { deterministicRng } from '../../../impl/rng.ts';
import type { Profile } from '../../../impl/suite.ts';
import { ANSWER_CASES } from './answers.ts';
import { CASES } from './cases.ts';
import { matrixCases } from './matrix.ts';
import { Peer } from './peer.ts';
import { LOGIN_CASES } from './login.ts';
import { ROLE_CASES } from './roles.ts';
import { Mismatch, type Case, type CaseContext, type CaseResult } from './verdict.ts';

/** Options of a conformance run. */
export interface ConformanceOptions {
  /** `ws://host:port` of the relay under test. */
  readonly url: string;
  readonly crypto: CryptoProvider;
  /** The profile the relay serves (its handshake differs, spec 4.3). */
  readonly profile: Profile;
  /** hardened: the relay key to pin. */
  readonly relayPk?: Bytes;
  /** Seed of the run's principals and room ids (32 bytes). */
  readonly seed: Bytes;
  /** Only the cases whose requirement id or name contains this. */
  readonly only?: string;
  /** Called with each result as it comes. */
  readonly onResult?: (r: CaseResult) => void;
  /** Longest a case may take (ms, default 30 s): then it fails. */
  readonly caseTimeoutMs?: number;
}

/** What a run found. */
export interface ConformanceReport {
  readonly url: string;
  readonly profile: Profile;
  /** The seed of a live run. */
  readonly seed?: string;
  /** The vector file a replay ran (`--vectors`). */
  readonly vectors?: string;
  readonly results: readonly CaseResult[];
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
}

/** Every case, in the order they run. */
export function allCases(profile: Profile): Case[] {
  return [...CASES, ...ANSWER_CASES, ...ROLE_CASES, ...LOGIN_CASES, ...matrixCases(profile)];
}

/** Runs the cases one after the other. */
export async function runConformance(o: ConformanceOptions): Promise<ConformanceReport> {
  const rng = deterministicRng(o.seed);
  let next = 1;
  const peers: Peer[] = [];
  const x: CaseContext = {
    url: o.url,
    crypto: o.crypto,
    profile: o.profile,
    ...(o.relayPk === undefined ? {} : { relayPk: o.relayPk }),
    rng,
    identity: () => createIdentity(o.crypto, rng),
    async connect(who, c = {}) {
      const p = await Peer.connect({ url: o.url, crypto: o.crypto, profile: o.profile, identity: who, rng, ...(c.relayPk ?? o.relayPk ? { relayPk: c.relayPk ?? o.relayPk } : {}), ...(c.spoilAuth ? { spoilAuth: c.spoilAuth } : {}) });
      peers.push(p);
      return p;
    },
    reqId: () => next++,
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    now: () => Date.now(),
    async received(peer, done, expected, got, ms) {
      if (!(await peer.until(done, ms))) throw new Mismatch(expected, got());
    },
  };
  const results: CaseResult[] = [];
  const limit = o.caseTimeoutMs ?? 30_000;
  try {
    for (const c of allCases(o.profile)) {
      if (o.only !== undefined && !c.id.includes(o.only) && !c.name.includes(o.only)) continue;
      const t0 = Date.now();
      let r: CaseResult;
      if (c.profiles !== undefined && !c.profiles.includes(o.profile)) r = { verdict: 'skip', id: c.id, name: `${c.name} (${c.profiles.join(', ')} only)`, ms: 0 };
      else {
        let timer: NodeJS.Timeout | undefined;
        try {
          const ms = Math.max(limit, c.timeoutMs ?? 0);
          await Promise.race([c.run(x), new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Mismatch(`the case done within ${ms} ms`, 'it was not')), ms)))]);
          r = { verdict: 'pass', id: c.id, name: c.name, ms: Date.now() - t0 };
        } catch (e) {
          const m = e instanceof Mismatch ? e : new Mismatch('no error', e instanceof Error ? `${e.name}: ${e.message}` : String(e));
          r = { verdict: 'FAIL', id: c.id, name: c.name, expected: m.expected, got: m.got, ms: Date.now() - t0 };
        } finally {
          clearTimeout(timer);
        }
      }
      results.push(r);
      o.onResult?.(r);
    }
  } finally {
    for (const p of peers) p.close();
  }
  const count = (v: CaseResult['verdict']): number => results.filter((r) => r.verdict === v).length;
  return { url: o.url, profile: o.profile, seed: toHex(o.seed), results, passed: count('pass'), failed: count('FAIL'), skipped: count('skip') };
}

/** One result as a line: `pass REQ-… name`, with what was expected and what came on a failure. */
export function resultLine(r: CaseResult): string {
  const head = `${r.verdict.padEnd(4)} ${r.id}  ${r.name}`;
  return r.verdict === 'FAIL' ? `${head}\n       expected ${r.expected}\n       got      ${r.got}` : head;
}

/** The closing line. */
export function totalsLine(r: ConformanceReport): string {
  return `${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped`;
}
