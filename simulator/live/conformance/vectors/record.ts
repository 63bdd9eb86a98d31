/**
 * Records the relay conformance vectors (vectors/relay-conformance.md): runs every conformance case
 * against the project's relay in-process, once per profile, with principals that write down what
 * they send and receive, and turns each case into a script of plaintext steps and expected
 * shapes. A new case in cases.ts or matrix.ts is in the vectors after `pqroom vectors generate`.
 *
 * The shapes are the honest relay's answers, with what may differ between conforming relays left
 * free: a Reject's detail; the order of the answers to requests sent at once (a race) and, after a
 * race whose answers differ, every digest (which principal won is not determined); the answers on
 * a connection flooded with more than {@link BURST} unawaited requests (how many are answered
 * before the limit is a matter of timing: each kind seen must recur, nothing else may come).
 * Times are relative: an invite's `expires_at` is written as "now + in_ms" when the runner sends it.
 */
import { toHex, type Bytes } from '../../../../impl/bytes.ts';
import { loadRealBackends, fastestReal, realCrypto } from '../../../../impl/crypto/backends.ts';
import type { CryptoProvider } from '../../../../impl/crypto/provider.ts';
import { decode, encode, type Json } from '../../../../impl/codec.ts';
import { GetKeys, MsgType, PostInvite } from '../../../../impl/messages/index.ts';
import { createIdentity, type Identity } from '../../../../impl/protocol/identity.ts';
import { deterministicRng } from '../../../../impl/rng.ts';
import type { Profile } from '../../../../impl/suite.ts';
import { RELAY_KIND, shapeOf, type Shape } from '../../../../impl/conformance-script.ts';
import { startRelay } from '../../relay.ts';
import { Mismatch } from '../mismatch.ts';
import { getU32, isAnswer, Peer, type PeerObserver } from '../peer.ts';
import { allCases } from '../suite.ts';
import type { Case, CaseContext } from '../verdict.ts';

// this module's crypto is the real backends': loaded with it (liboqs is WebAssembly, instantiated asynchronously)
await loadRealBackends();

/** More unawaited requests than this on one connection in one case make it a flood (its answers are matched as kinds). */
export const BURST = 64;

/** How long the connections must stay quiet after a case's barrier before its record is closed (ms). */
const SETTLE_MS = 20;

/**
 * The req_id of the barrier after each case (not recorded): a GetKeys on every open connection.
 * The relay answers a connection's requests in order, after whatever it pushed to that connection
 * before, so once every barrier is answered, every push the case caused has arrived.
 */
const BARRIER_REQ = 0xfffffff0;

/** An awaited request and, once it came, its answer. */
interface Awaited {
  readonly conn: number;
  readonly reqId: number;
  readonly json: Record<string, Json>;
  answer?: Bytes;
}

type Recorded =
  | { readonly kind: 'step'; readonly json: Record<string, Json> }
  | { readonly kind: 'group'; readonly sends: Awaited[] }
  /** What a connection received so far that no request took, expected in the middle of the case (CaseContext.received). */
  | { readonly kind: 'expect'; readonly conn: number; readonly messages: Bytes[] };

/** What one case did on the wire. */
class CaseRecord {
  readonly steps: Recorded[] = [];
  readonly principals: Record<string, Json>[] = [];
  /** Per connection: what it received that no awaited request took, and how it closed. */
  readonly others = new Map<number, Bytes[]>();
  readonly closed = new Map<number, number>();
  readonly unawaited = new Map<number, number>();
  group: Awaited[] | undefined;
  outstanding: Awaited[] = [];
  /** The case's clock: the time of its first `now()`, then the same. */
  now: number | undefined;
}

function stripped(s: Shape, drop: readonly string[]): Shape {
  return Object.fromEntries(Object.entries(s).filter(([k]) => !drop.includes(k))) as Shape;
}

function sortedDistinct(shapes: readonly Shape[]): Shape[] {
  const byText = new Map(shapes.map((s) => [JSON.stringify(s), s]));
  return [...byText.keys()].sort().map((k) => byText.get(k)!);
}

/** An inner message as sent in a script: hex, and an invite's expiry as the time from the case's clock (`now`, frozen per case). */
function sendJson(conn: number, inner: Bytes, now: number | undefined): Record<string, Json> {
  if (inner[3] === MsgType.PostInvite && inner.length >= 8) {
    let expiresAt = 0;
    try {
      expiresAt = decode(PostInvite, inner).expires_at;
    } catch {
      // not a well-formed PostInvite: sent as it is
    }
    if (expiresAt !== 0) {
      // an expiry not computed from the case's clock would be recorded as a duration that varies
      if (now === undefined) throw new Error(`a PostInvite's expires_at was not computed from the case's now() (CaseContext.now)`);
      const offset = inner.length - 8; // expires_at is PostInvite's last field (u64)
      const blank = inner.slice();
      blank.fill(0, offset);
      return { conn, inner: toHex(blank), expires_at: { offset, in_ms: expiresAt - now } };
    }
  }
  return { conn, inner: toHex(inner) };
}

/**
 * Records every case of one profile against a fresh in-process relay; returns the cases as vector
 * JSON. The suite's crypto defaults to the fastest real backend: every real backend computes the
 * same bytes (impl/crypto/backends.ts), so the vectors are the same whichever recorded them.
 */
export async function recordProfile(profile: Profile, crypto: CryptoProvider = realCrypto(fastestReal())): Promise<Record<string, Json>[]> {
  const relay = await startRelay({ port: 0, db: ':memory:', profile, log: () => {} });
  const rng = deterministicRng(crypto.sha256(new TextEncoder().encode(`pqroom relay conformance vectors ${profile}`)));
  const handshakeRng = deterministicRng(crypto.sha256(new TextEncoder().encode(`pqroom relay conformance vectors ${profile} handshakes`)));
  const principals = new Map<Identity, number>();
  const peers: Peer[] = [];
  let rec = new CaseRecord();
  let nextConn = 0;
  let nextReq = 1;
  let lastActivity = Date.now();
  let barrier = false;
  const open = new Map<number, Peer>();
  const x: CaseContext = {
    url: relay.url,
    crypto,
    profile,
    ...(profile === 'hardened' ? { relayPk: relay.publicKey } : {}),
    rng,
    identity: () => createIdentity(crypto, rng),
    reqId: () => nextReq++,
    now: () => (rec.now ??= Date.now()),
    async sleep(ms) {
      rec.steps.push({ kind: 'step', json: { op: 'sleep', ms } });
      await new Promise((r) => setTimeout(r, ms));
    },
    async received(peer, done, expected, got, ms) {
      if (!(await peer.until(done, ms))) throw new Mismatch(expected, got());
      const conn = [...open].find(([, p]) => p === peer)?.[0];
      if (conn === undefined) throw new Error('CaseContext.received: a peer this recording did not connect');
      if ((rec.unawaited.get(conn) ?? 0) > BURST) throw new Error('CaseContext.received on a flooded connection: its answers are matched as kinds, at the end');
      rec.steps.push({ kind: 'expect', conn, messages: rec.others.get(conn) ?? [] });
      rec.others.delete(conn);
    },
    async connect(who, c = {}) {
      let principal = principals.get(who);
      if (principal === undefined) {
        principals.set(who, (principal = principals.size));
        // hardened signs ClientAuth: the secret key too, for a library that cannot derive it from the seed
        rec.principals.push({ principal, dsa_seed: toHex(who.seed), identity_pk: toHex(who.publicKey), ...(profile === 'hardened' ? { identity_sk: toHex(who.secretKey) } : {}), member_id: toHex(who.fp) });
      }
      const conn = nextConn++;
      const step: Record<string, Json> = { op: 'connect', conn, principal };
      const pin = c.relayPk ?? (profile === 'hardened' ? relay.publicKey : undefined);
      if (c.relayPk !== undefined && toHex(c.relayPk) !== toHex(relay.publicKey)) step.pin = toHex(c.relayPk);
      rec.steps.push({ kind: 'step', json: step });
      const observer: PeerObserver = {
        auth(built, sent) {
          if (toHex(built) === toHex(sent)) return;
          if (built.length !== sent.length) step.auth = { replace: toHex(sent) };
          else step.auth = { xor: [...built].flatMap((b, at) => (b === sent[at] ? [] : [{ at, mask: toHex(new Uint8Array([b ^ sent[at]!])) }])) };
        },
        sent(kind, bytes, awaited) {
          if (barrier) return;
          if (kind === 'text') return void rec.steps.push({ kind: 'step', json: { op: 'text', conn, text: new TextDecoder().decode(bytes) } });
          if (kind === 'raw') {
            const uniform = bytes.length > 64 && bytes.every((b) => b === bytes[0]);
            return void rec.steps.push({ kind: 'step', json: uniform ? { op: 'raw', conn, fill: toHex(bytes.subarray(0, 1)), length: bytes.length } : { op: 'raw', conn, hex: toHex(bytes) } });
          }
          if (!awaited) {
            rec.unawaited.set(conn, (rec.unawaited.get(conn) ?? 0) + 1);
            return void rec.steps.push({ kind: 'step', json: { op: 'send', ...sendJson(conn, bytes, rec.now) } });
          }
          const a: Awaited = { conn, reqId: getU32(bytes, 4), json: sendJson(conn, bytes, rec.now) };
          rec.outstanding.push(a);
          // sent while another awaited request is unanswered: the two race (answers in any order)
          if (rec.group?.some((g) => g.answer === undefined)) rec.group.push(a);
          else rec.steps.push({ kind: 'group', sends: (rec.group = [a]) });
        },
        received(inner) {
          lastActivity = Date.now();
          if (isAnswer(inner) && getU32(inner, 4) === BARRIER_REQ) return;
          const at = isAnswer(inner) ? rec.outstanding.findIndex((a) => a.conn === conn && a.reqId === getU32(inner, 4)) : -1;
          if (at >= 0) {
            rec.outstanding[at]!.answer = inner;
            rec.outstanding.splice(at, 1);
          } else rec.others.set(conn, [...(rec.others.get(conn) ?? []), inner]);
        },
        closed(how) {
          lastActivity = Date.now();
          rec.closed.set(conn, how.code);
        },
      };
      try {
        const p = await Peer.connect({ url: relay.url, crypto, profile, identity: who, rng: handshakeRng, observer, ...(pin ? { relayPk: pin } : {}), ...(c.spoilAuth ? { spoilAuth: c.spoilAuth } : {}) });
        peers.push(p);
        open.set(conn, p);
        return p;
      } catch (e) {
        const id = e instanceof Mismatch ? /^(REQ-[A-Z]+-\d{3})/.exec(e.got)?.[1] : undefined;
        if (id !== undefined) step.refused = id;
        throw e;
      }
    },
  };
  /** Runs case `c` and records it as the `n`th case of the profile. */
  const record = async (c: Case, n: number): Promise<Record<string, Json>> => {
    rec = new CaseRecord();
    try {
      await c.run(x);
    } catch (e) {
      throw new Error(`the ${profile} case ${c.id} '${c.name}' fails against the project's relay, so it cannot be recorded: ${e instanceof Mismatch ? `expected ${e.expected}, got ${e.got}` : (e as Error).message}`);
    }
    barrier = true;
    await Promise.all([...open.values()].filter((p) => p.closedWith === undefined).map((p) => p.request(encode(GetKeys, { req_id: BARRIER_REQ, member_id: new Uint8Array(32) }), 2_000).catch(() => undefined)));
    barrier = false;
    const end = Date.now() + 2_000;
    while (Date.now() < end && (Date.now() - lastActivity < SETTLE_MS || rec.outstanding.length > 0)) await new Promise((r) => setTimeout(r, 10));
    return caseJson(profile, n, c, rec);
  };
  const out: Record<string, Json>[] = [];
  const last: { c: Case; n: number }[] = [];
  try {
    for (const c of allCases(profile)) {
      if (c.profiles !== undefined && !c.profiles.includes(profile)) continue;
      if (c.notAVector !== undefined) {
        out.push({ id: caseId(profile, out.length), profile, requirement: c.id, name: c.name, skipped: c.notAVector, principals: [], steps: [] });
        continue;
      }
      if (c.recordLast) {
        last.push({ c, n: out.length });
        out.push({}); // its place, filled below
        continue;
      }
      out.push(await record(c, out.length));
    }
    // Case.recordLast: recorded after the others, so that it changes none of them; written at its place
    for (const { c, n } of last) out[n] = await record(c, n);
  } finally {
    for (const p of peers) p.close();
    await relay.close();
  }
  return out;
}

/** One recorded case as vector JSON. */
function caseJson(profile: Profile, n: number, c: Case, rec: CaseRecord): Record<string, Json> {
  let raced = false;
  const shape = (m: Bytes): Shape => (raced ? stripped(shapeOf(m), ['sha256']) : shapeOf(m));
  const steps: Json[] = [];
  for (const s of rec.steps) {
    if (s.kind === 'step') {
      steps.push(s.json);
      continue;
    }
    if (s.kind === 'expect') {
      steps.push({ op: 'expect', conn: s.conn, messages: s.messages.map(shape) });
      continue;
    }
    for (const a of s.sends) if (a.answer === undefined) throw new Error(`the ${profile} case '${c.name}': no answer recorded to req_id ${a.reqId}`);
    if (s.sends.length === 1) {
      steps.push({ op: 'send', ...s.sends[0]!.json, answer: shape(s.sends[0]!.answer!) });
      continue;
    }
    const answers = s.sends.map((a) => stripped(shapeOf(a.answer!), ['req_id', 'sha256']));
    if (new Set(answers.map((a) => JSON.stringify(a))).size > 1) raced = true;
    steps.push({ op: 'together', sends: s.sends.map((a) => a.json), answers: answers.map((a) => JSON.stringify(a)).sort().map((t) => JSON.parse(t) as Json) });
  }
  const conns = [...new Set([...rec.others.keys(), ...rec.closed.keys()])].sort((a, b) => a - b);
  for (const conn of conns) {
    const others = rec.others.get(conn) ?? [];
    const closed = rec.closed.get(conn);
    if (closed === 0) throw new Error(`the ${profile} case '${c.name}': the project's relay sent connection ${conn} something that does not open`);
    const flood = (rec.unawaited.get(conn) ?? 0) > BURST;
    const expect: Record<string, Json> = { op: 'expect', conn };
    if (flood) expect.each_of = sortedDistinct(others.map((m) => stripped(shapeOf(m), ['req_id', 'sha256'])));
    else expect.messages = others.map(shape);
    if (closed !== undefined) expect.closed = closed;
    steps.push(expect);
  }
  return { id: caseId(profile, n), profile, requirement: c.id, name: c.name, principals: rec.principals, steps };
}

function caseId(profile: Profile, n: number): string {
  return `${profile}-${String(n + 1).padStart(3, '0')}`;
}

/** The relay-conformance cases of both profiles (what `pqroom vectors generate` writes; cli.js hands this in). */
export async function recordCases(kind: string): Promise<Record<string, Json>[]> {
  if (kind !== RELAY_KIND) throw new Error(`no recorder for vector kind ${kind}`);
  // the two profiles at once, each against its own relay: a case's sleeps and settling waits are
  // idle time, which the other profile's cases fill (the records are the same either way)
  const [hardened, compat] = await Promise.all([recordProfile('hardened'), recordProfile('compat')]);
  return [...hardened, ...compat];
}
