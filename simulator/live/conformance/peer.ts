/**
 * One principal of the conformance suite on the wire: a WebSocket connection to the relay under
 * test, the connection handshake of spec 8.2 done with the project's own steps
 * (impl/protocol/transport.ts), sealed frames in and out, and the relay's inner messages sorted
 * into answers (by `req_id`) and pushes. It reads nothing but what the relay sends.
 * A peer can misbehave on purpose: spoil its ClientAuth, send raw or text WebSocket messages.
 */
import { WebSocket } from 'ws';
import type { Bytes } from '../../../impl/bytes.ts';
import { decode } from '../../../impl/codec.ts';
import type { CryptoProvider } from '../../../impl/crypto/provider.ts';
import { PqroomError } from '../../../impl/errors.ts';
import { Ack, CompatRosterInfo, HistoryChunk, KeysInfo, MailboxChunk, MailboxDelivery, MsgType, Reject, RoomDelivery, RosterInfo } from '../../../impl/messages/index.ts';
import type { Identity } from '../../../impl/protocol/identity.ts';
import { clientAuth, clientFinish, clientHello, EMPTY_WINDOW, openFrame, sealFrame, unbatch, type ReplayWindow } from '../../../impl/protocol/transport.ts';
import type { Rng } from '../../../impl/rng.ts';
import type { Profile } from '../../../impl/suite.ts';
import { Mismatch } from './mismatch.ts';

/** The inner messages that answer a request: each starts with the request's `req_id` (spec 4.5, 4.6). */
const ANSWERS: ReadonlySet<number> = new Set([MsgType.Ack, MsgType.Reject, MsgType.HistoryChunk, MsgType.RosterInfo, MsgType.KeysInfo, MsgType.CompatRosterInfo, MsgType.MailboxChunk]);

/** How long a case waits for an answer the relay owes it. */
export const ANSWER_MS = 5_000;

/** What a peer needs to connect. */
export interface PeerOptions {
  readonly url: string;
  readonly crypto: CryptoProvider;
  readonly profile: Profile;
  readonly identity: Identity;
  /** hardened: the relay key pinned (REQ-TRN-002). */
  readonly relayPk?: Bytes;
  readonly rng: Rng;
  /** Changes the encoded ClientAuth before it is sealed (a test of REQ-TRN-004). */
  readonly spoilAuth?: (auth: Bytes) => Bytes;
}

/** How a connection ended. */
export interface Closed {
  readonly code: number;
  readonly reason: string;
}

/** A connected principal. */
export class Peer {
  /** Every inner message received, in order. */
  readonly inbox: Bytes[] = [];
  /** How the connection ended, once it has. */
  closedWith: Closed | undefined;
  private seq = 0;
  private waiters: (() => void)[] = [];

  private constructor(
    private readonly ws: WebSocket,
    private readonly c: CryptoProvider,
    private readonly key: Bytes,
  ) {}

  /** Connects and completes the handshake; rejects with a {@link Mismatch} when the relay's ServerHello fails REQ-TRN-002 or REQ-TRN-003, or the socket fails first. */
  static connect(o: PeerOptions): Promise<Peer> {
    const ws = new WebSocket(o.url, { perMessageDeflate: false });
    const hello = clientHello(o.crypto, o.rng);
    return new Promise<Peer>((resolve, reject) => {
      let peer: Peer | undefined;
      let window: ReplayWindow = EMPTY_WINDOW;
      let r2c: Bytes | undefined;
      ws.on('open', () => ws.send(hello.helloBytes));
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
        if (!isBinary) {
          if (peer) peer.note({ code: 0, reason: 'the relay sent a text message' });
          return;
        }
        if (!peer) {
          try {
            const est = clientFinish(o.crypto, hello, bytes, o.profile, o.relayPk);
            let auth = clientAuth(o.crypto, o.rng, est.th, o.identity, o.profile);
            if (o.spoilAuth) auth = o.spoilAuth(auth);
            peer = new Peer(ws, o.crypto, est.keys.c2r);
            r2c = est.keys.r2c;
            peer.sendInner(auth);
            resolve(peer);
          } catch (e) {
            ws.terminate();
            reject(e instanceof PqroomError ? new Mismatch('a ServerHello that passes REQ-TRN-002 and REQ-TRN-003', `${e.reqId}: ${e.message}`) : e);
          }
          return;
        }
        try {
          const opened = openFrame(o.crypto, r2c!, bytes, window);
          window = opened.window;
          for (const m of unbatch(opened.inner)) peer.take(m.slice());
        } catch {
          peer.note({ code: 0, reason: 'the relay sent a frame that does not open (REQ-TRN-005)' });
        }
      });
      ws.on('close', (code, why) => {
        if (peer) peer.note({ code, reason: why.toString() });
        else reject(new Mismatch('a ServerHello', `the connection closed during the handshake (${code} ${why.toString()})`));
      });
      ws.on('error', (e) => {
        if (!peer) reject(new Mismatch('a WebSocket connection', e.message));
      });
    });
  }

  private note(c: Closed): void {
    this.closedWith ??= c;
    this.wake();
  }

  private take(inner: Bytes): void {
    this.inbox.push(inner);
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Waits until `done()` holds, the connection closes or `ms` pass; returns `done()`. */
  async until(done: () => boolean, ms = ANSWER_MS): Promise<boolean> {
    const end = Date.now() + ms;
    while (!done() && this.closedWith === undefined && Date.now() < end) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(50, Math.max(1, end - Date.now())));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
    return done();
  }

  /** Waits until the connection closes (or `ms` pass); returns how, or undefined when it stayed open. */
  async closed(ms = ANSWER_MS): Promise<Closed | undefined> {
    const end = Date.now() + ms;
    while (this.closedWith === undefined && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    return this.closedWith;
  }

  /** Seals an inner message with the next sequence number (REQ-TRN-008). */
  sendInner(inner: Bytes): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(sealFrame(this.c, this.key, this.seq++, inner), { binary: true });
  }

  /** Sends bytes as one binary WebSocket message, unsealed. */
  sendRaw(bytes: Bytes): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(bytes, { binary: true });
  }

  /** Sends a text WebSocket message (REQ-TRN-011). */
  sendText(text: string): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(text);
  }

  /** The answers received so far for `reqId`, in order, and the pushes. */
  answersTo(reqId: number): Bytes[] {
    return this.inbox.filter((m) => isAnswer(m) && getU32(m, 4) === reqId);
  }

  /** Sends a request and waits for its first answer not yet taken; a {@link Mismatch} when none comes. */
  async request(inner: Bytes, ms = ANSWER_MS): Promise<Bytes> {
    const reqId = getU32(inner, 4);
    const before = this.answersTo(reqId).length;
    this.sendInner(inner);
    if (!(await this.until(() => this.answersTo(reqId).length > before, ms))) {
      throw new Mismatch(`an answer to req_id ${reqId}`, this.closedWith ? `the connection closed (${this.closedWith.code} ${this.closedWith.reason})` : `nothing within ${ms} ms`);
    }
    return this.answersTo(reqId)[before]!;
  }

  /** The pushes received (RoomDelivery, MailboxDelivery), in order. */
  pushes(type: number): Bytes[] {
    return this.inbox.filter((m) => m[3] === type);
  }

  /** Closes the connection. */
  close(): void {
    this.ws.terminate();
  }
}

/** The big-endian u32 at `at` (a request's or an answer's `req_id` sits at 4, after the header). */
export function getU32(m: Bytes, at: number): number {
  return ((m[at]! << 24) >>> 0) + (m[at + 1]! << 16) + (m[at + 2]! << 8) + m[at + 3]!;
}

function isAnswer(m: Bytes): boolean {
  return m.length >= 8 && ANSWERS.has(m[3]!);
}

/** A readable account of an inner message, for a case's "got". */
export function describe(m: Bytes | undefined): string {
  if (m === undefined) return 'nothing';
  try {
    switch (m[3]) {
      case MsgType.Ack:
        return `Ack index ${decode(Ack, m).index}`;
      case MsgType.Reject: {
        const r = decode(Reject, m);
        return `Reject ${r.requirement} (${r.detail})`;
      }
      case MsgType.HistoryChunk: {
        const h = decode(HistoryChunk, m);
        return `HistoryChunk [${h.entries.map((e) => e.index).join(',')}] next_index ${h.next_index} complete ${h.complete}`;
      }
      case MsgType.MailboxChunk: {
        const h = decode(MailboxChunk, m);
        return `MailboxChunk [${h.entries.map((e) => e.index).join(',')}] next_index ${h.next_index} complete ${h.complete}`;
      }
      case MsgType.RosterInfo:
        return `RosterInfo of ${decode(RosterInfo, m).members.length} members`;
      case MsgType.CompatRosterInfo:
        return `CompatRosterInfo of ${decode(CompatRosterInfo, m).members.length} members`;
      case MsgType.KeysInfo:
        return `KeysInfo version ${decode(KeysInfo, m).kem_cert.version}`;
      case MsgType.RoomDelivery:
        return `RoomDelivery index ${decode(RoomDelivery, m).index}`;
      case MsgType.MailboxDelivery:
        return `MailboxDelivery index ${decode(MailboxDelivery, m).entry.index}`;
      default:
        return `a message of type 0x${(m[3] ?? 0).toString(16)} (${m.length} bytes)`;
    }
  } catch (e) {
    return `undecodable bytes of type 0x${(m[3] ?? 0).toString(16)}: ${(e as Error).message}`;
  }
}
