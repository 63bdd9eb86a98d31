/**
 * `pqroom conformance --vectors FILE`: replays the relay conformance vectors (vectors/relay/
 * README.md) against a relay over the wire, the way a runner in another language would: connect
 * each principal with its key, seal each inner message with the connection's own keys, wait for
 * the answers a step awaits, and compare every answer and push with its expected shape. One
 * result per case, as the live suite reports them.
 */
import { putU64, type Bytes } from '../../../../impl/bytes.ts';
import type { CryptoProvider } from '../../../../impl/crypto/provider.ts';
import { decode, encode } from '../../../../impl/codec.ts';
import { CreateRoom, GetRoster, MsgType, Reject } from '../../../../impl/messages/index.ts';
import { createIdentity, identityFromSeeds, type Identity } from '../../../../impl/protocol/identity.ts';
import { systemRng } from '../../../../impl/rng.ts';
import type { Profile } from '../../../../impl/suite.ts';
import { shapeMismatch, shapeOf, shapeText, streamOf, type AuthSpoil, type RelayCase, type Send, type Shape, type Step } from '../../../../impl/conformance-script.ts';
import { Mismatch } from '../mismatch.ts';
import { ANSWER_MS, getU32, isAnswer, Peer } from '../peer.ts';
import type { ConformanceReport } from '../suite.ts';
import type { CaseResult } from '../verdict.ts';

/** Options of a replay. */
export interface VectorRunOptions {
  readonly url: string;
  readonly crypto: CryptoProvider;
  readonly profile: Profile;
  /** hardened: the relay key to pin. */
  readonly relayPk?: Bytes;
  /** The cases of the file (those of the other profile are left out). */
  readonly cases: readonly RelayCase[];
  /** Only the cases whose requirement id or name contains this (the others still run, unchecked: later cases build on them). */
  readonly only?: string;
  readonly onResult?: (r: CaseResult) => void;
  /** Longest a case may take (ms, default 30 s). */
  readonly caseTimeoutMs?: number;
  /** The file, as the report names it. */
  readonly source: string;
}

/** A connection of the script and what of its inbox the steps have taken. */
interface Conn {
  readonly peer: Peer;
  readonly taken: Set<number>;
}

function spoiler(a: AuthSpoil | undefined): ((auth: Bytes) => Bytes) | undefined {
  if (a === undefined) return undefined;
  if ('replace' in a) return () => a.replace;
  return (auth) => {
    const out = auth.slice();
    for (const x of a.xor) out[x.at]! ^= x.mask[0]!;
    return out;
  };
}

function innerOf(s: Send): Bytes {
  if (s.expiresAt === undefined) return s.inner;
  const out = s.inner.slice();
  putU64(out, s.expiresAt.offset, Date.now() + s.expiresAt.inMs);
  return out;
}

/** Runs the script of one profile. */
class Replay {
  readonly conns = new Map<number, Conn>();
  readonly principals = new Map<number, Identity>();
  /** After a step failed: the rest of the case is sent but not checked (later cases build on it). */
  degraded = false;

  constructor(readonly o: VectorRunOptions) {}

  conn(n: number): Conn {
    const c = this.conns.get(n);
    if (c === undefined) throw new Mismatch(`connection ${n} open`, 'it was never opened (an earlier step failed)');
    return c;
  }

  /** Waits for the first message of `c` not yet taken that `pick` accepts; takes it. */
  async take(c: Conn, pick: (m: Bytes) => boolean, what: string, ms = ANSWER_MS): Promise<Bytes> {
    const find = (): number => c.peer.inbox.findIndex((m, i) => !c.taken.has(i) && pick(m));
    await c.peer.until(() => find() >= 0, ms);
    const i = find();
    if (i < 0) throw new Mismatch(what, c.peer.closedWith ? `the connection closed (${c.peer.closedWith.code} ${c.peer.closedWith.reason})` : `nothing within ${ms} ms`);
    c.taken.add(i);
    return c.peer.inbox[i]!;
  }

  /**
   * Takes the next message of one stream that matches `want` (REQ-REL-035: pushes are in order
   * within a stream, a room's deliveries or the mailbox's, and in no order across streams): it
   * must be the first message not yet taken of its stream. Waits for it as `take` does.
   */
  async takeHead(c: Conn, want: Shape, ms = ANSWER_MS): Promise<void> {
    const heads = (): number[] => {
      const seen = new Set<string>();
      const out: number[] = [];
      c.peer.inbox.forEach((m, i) => {
        if (c.taken.has(i)) return;
        const s = streamOf(m);
        if (!seen.has(s)) out.push(i);
        seen.add(s);
      });
      return out;
    };
    const find = (): number | undefined => heads().find((i) => shapeMismatch(want, shapeOf(c.peer.inbox[i]!)).length === 0);
    // no need to wait when the head of the stream it must come on is another message
    const wrong = (): boolean => {
      const same = heads().filter((i) => shapeOf(c.peer.inbox[i]!).type === want.type);
      const rooms = new Set(c.peer.inbox.map(streamOf).filter((s) => s.startsWith('room ')));
      return same.length > 0 && (want.type !== 'RoomDelivery' || rooms.size === 1);
    };
    await c.peer.until(() => find() !== undefined || wrong(), ms);
    const i = find();
    if (i !== undefined) return void c.taken.add(i);
    const h = heads().map((k) => shapeOf(c.peer.inbox[k]!));
    const got = h.find((x) => x.type === want.type) ?? h[0];
    if (got !== undefined) throw new Mismatch(shapeText(want), shapeText(got));
    throw new Mismatch(shapeText(want), c.peer.closedWith ? `the connection closed (${c.peer.closedWith.code} ${c.peer.closedWith.reason})` : `nothing within ${ms} ms`);
  }

  async answer(s: Send, want: Shape | undefined): Promise<Shape> {
    const c = this.conn(s.conn);
    const reqId = getU32(s.inner, 4);
    const m = await this.take(c, (x) => isAnswer(x) && getU32(x, 4) === reqId, want ? `${shapeText(want)} (the answer to req_id ${reqId})` : `an answer to req_id ${reqId}`);
    return shapeOf(m);
  }

  send(s: Send): void {
    this.conn(s.conn).peer.sendInner(innerOf(s));
  }

  async step(st: Step): Promise<void> {
    const { o } = this;
    switch (st.op) {
      case 'connect': {
        const identity = this.principals.get(st.principal);
        if (identity === undefined) throw new Mismatch(`principal ${st.principal} defined`, 'no case defines it');
        const pin = st.pin ?? o.relayPk;
        const auth = spoiler(st.auth);
        let peer: Peer;
        try {
          peer = await Peer.connect({ url: o.url, crypto: o.crypto, profile: o.profile, identity, rng: systemRng, ...(pin ? { relayPk: pin } : {}), ...(auth ? { spoilAuth: auth } : {}) });
        } catch (e) {
          if (st.refused !== undefined && e instanceof Mismatch && e.got.startsWith(st.refused)) return;
          throw e;
        }
        this.conns.set(st.conn, { peer, taken: new Set() });
        if (st.refused !== undefined) throw new Mismatch(`the handshake refused by the client (${st.refused})`, 'it completed');
        return;
      }
      case 'send': {
        this.send(st.send);
        if (st.answer === undefined || this.degraded) return;
        const got = await this.answer(st.send, st.answer);
        if (shapeMismatch(st.answer, got).length > 0) throw new Mismatch(shapeText(st.answer), shapeText(got));
        return;
      }
      case 'together': {
        for (const s of st.sends) this.send(s);
        if (this.degraded) return;
        const got = await Promise.all(st.sends.map((s) => this.answer(s, undefined)));
        const left = [...st.answers];
        for (const g of got) {
          const i = left.findIndex((w) => shapeMismatch(w, g).length === 0);
          if (i < 0) throw new Mismatch(`answers ${st.answers.map(shapeText).join('; ')} in any order`, got.map(shapeText).join('; '));
          left.splice(i, 1);
        }
        return;
      }
      case 'raw':
        return this.conn(st.conn).peer.sendRaw(st.bytes);
      case 'text':
        return this.conn(st.conn).peer.sendText(st.text);
      case 'sleep':
        return void (await new Promise((r) => setTimeout(r, st.ms)));
      case 'expect': {
        if (this.degraded) return;
        const c = this.conn(st.conn);
        for (const want of st.messages ?? []) await this.takeHead(c, want);
        if (st.eachOf !== undefined) {
          // a flood: wait for the close (or the time a case has), then every message is of a kind listed and every kind came
          if (st.closed !== undefined) await c.peer.closed(10_000);
          const seen = new Set<number>();
          c.peer.inbox.forEach((m, i) => {
            if (c.taken.has(i)) return;
            c.taken.add(i);
            const got = shapeOf(m);
            const k = st.eachOf!.findIndex((w) => shapeMismatch(w, got).length === 0);
            if (k < 0) throw new Mismatch(`only ${st.eachOf!.map(shapeText).join(' or ')}`, shapeText(got));
            seen.add(k);
          });
          const missing = st.eachOf.filter((_, k) => !seen.has(k));
          if (missing.length > 0) throw new Mismatch(`at least one ${missing.map(shapeText).join(' and one ')}`, 'none');
        }
        if (st.closed !== undefined) {
          const closed = await c.peer.closed(10_000);
          if (closed?.code !== st.closed) throw new Mismatch(`the connection closed with code ${st.closed}`, closed ? `code ${closed.code} (${closed.reason})` : 'it stayed open');
        }
        return;
      }
    }
  }

  /** Every message received and not taken by a step is one the honest relay did not send. */
  extras(): void {
    for (const [n, c] of this.conns) {
      const i = c.peer.inbox.findIndex((_, k) => !c.taken.has(k));
      if (i >= 0) {
        c.taken.add(i);
        throw new Mismatch(`nothing more on connection ${n}`, shapeText(shapeOf(c.peer.inbox[i]!)));
      }
    }
  }

  /** Takes everything received so far (after a failed case, so that its leftovers do not fail the next). */
  drain(): void {
    for (const c of this.conns.values()) c.peer.inbox.forEach((_, i) => c.taken.add(i));
  }

  async runCase(k: RelayCase, stop: { stopped: boolean }): Promise<Mismatch | undefined> {
    let failure: Mismatch | undefined;
    this.degraded = false;
    for (const p of k.principals) {
      const id = identityFromSeeds(this.o.crypto, p.dsaSeed, []);
      this.principals.set(p.principal, id);
      if (Buffer.compare(id.publicKey, p.identityPk) !== 0 || (p.identitySk !== undefined && Buffer.compare(id.secretKey, p.identitySk) !== 0)) failure ??= new Mismatch(`principal ${p.principal}'s keys from its dsa_seed`, 'other keys');
    }
    for (const st of k.steps) {
      if (stop.stopped) return failure; // the case ran out of time: the next one starts now
      try {
        await this.step(st);
      } catch (e) {
        failure ??= e instanceof Mismatch ? e : new Mismatch('no error', e instanceof Error ? `${e.name}: ${e.message}` : String(e));
        this.degraded = true;
      }
    }
    if (failure === undefined) {
      try {
        this.extras();
      } catch (e) {
        failure = e as Mismatch;
      }
    }
    if (failure !== undefined) {
      await new Promise((r) => setTimeout(r, 100)); // what the failed case still has coming
      this.drain();
    }
    return failure;
  }

  close(): void {
    for (const c of this.conns.values()) c.peer.close();
  }
}

/** Replays the cases of `o.profile` in file order against `o.url`. */
export async function replayVectors(o: VectorRunOptions): Promise<ConformanceReport> {
  const r = new Replay(o);
  const results: CaseResult[] = [];
  const limit = o.caseTimeoutMs ?? 30_000;
  try {
    for (const k of o.cases) {
      if (k.profile !== o.profile) continue;
      const name = `${k.name} [${k.id}]`;
      if (k.skipped !== undefined) {
        const res: CaseResult = { verdict: 'skip', id: k.requirement as CaseResult['id'], name: `${name} (no fixed script: ${k.skipped})`, ms: 0 };
        results.push(res);
        o.onResult?.(res);
        continue;
      }
      const t0 = Date.now();
      let timer: NodeJS.Timeout | undefined;
      const stop = { stopped: false };
      const timeout = new Promise<Mismatch>((resolve) => (timer = setTimeout(() => resolve(new Mismatch(`the case done within ${limit} ms`, 'it was not')), limit)));
      const failure = await Promise.race([r.runCase(k, stop), timeout]);
      stop.stopped = true;
      clearTimeout(timer);
      if (o.only !== undefined && !k.requirement.includes(o.only) && !k.name.includes(o.only)) continue;
      const res: CaseResult = failure ? { verdict: 'FAIL', id: k.requirement as CaseResult['id'], name, expected: failure.expected, got: failure.got, ms: Date.now() - t0 } : { verdict: 'pass', id: k.requirement as CaseResult['id'], name, ms: Date.now() - t0 };
      results.push(res);
      o.onResult?.(res);
    }
  } finally {
    r.close();
  }
  const count = (v: CaseResult['verdict']): number => results.filter((x) => x.verdict === v).length;
  return { url: o.url, profile: o.profile, vectors: o.source, results, passed: count('pass'), failed: count('FAIL'), skipped: count('skip') };
}

/**
 * The room id of the first `CreateRoom` of `o.profile`'s cases if the relay holds that room
 * already: the cases fix their room ids, so a relay that ran them before fails every case that
 * creates a room (and the file's `CreateRoom`, byte-identical, is answered as a retransmission,
 * REQ-REL-004, so the replay itself cannot tell). Asked as a new principal: `GetRoster` of an
 * unknown room is refused with REQ-REL-002, of an existing one by the matrix (read the roster ×
 * stranger, REQ-REL-021). Read-only; undefined when the room is unknown or the file creates none.
 */
export async function heldRoom(o: Pick<VectorRunOptions, 'url' | 'crypto' | 'profile' | 'relayPk' | 'cases'>): Promise<Bytes | undefined> {
  const first = o.cases.flatMap((k) => (k.profile === o.profile ? k.steps : [])).find((st) => st.op === 'send' && st.send.inner[3] === MsgType.CreateRoom);
  if (first?.op !== 'send') return undefined;
  const roomId = decode(CreateRoom, first.send.inner).room_id;
  const peer = await Peer.connect({ url: o.url, crypto: o.crypto, profile: o.profile, identity: createIdentity(o.crypto, systemRng), rng: systemRng, ...(o.relayPk ? { relayPk: o.relayPk } : {}) });
  try {
    const a = await peer.request(encode(GetRoster, { req_id: 1, room_id: roomId }));
    return a[3] === MsgType.Reject && decode(Reject, a).requirement === 'REQ-REL-021' ? roomId : undefined;
  } finally {
    peer.close();
  }
}
