/**
 * A bare authenticated session with a live relay: the client connection machine (the real
 * handshake and sealed frames, spec 8.2) over a WebSocket, and nothing above it. The benchmark
 * and the robustness tests speak relay requests through it directly, where the demo runs the
 * owner and member machines.
 */
import type { SnapshotFrom } from 'xstate';
import { WebSocket } from 'ws';
import { utf8, type Bytes } from '../../impl/bytes.ts';
import type { CryptoProvider } from '../../impl/crypto/provider.ts';
import { fingerprint } from '../../impl/keyschedule.ts';
import type { Identity } from '../../impl/protocol/identity.ts';
import { deterministicRng, systemRng } from '../../impl/rng.ts';
import type { Profile } from '../../impl/suite.ts';
import { clientConnectionMachine, type ConnEffect, type ConnEvent } from '../../machines/connection.ts';
import { start, step } from '../../machines/driver.ts';

/** A signing-only identity named by `label` (the handshake needs nothing else): for connections that join no room. */
export function signingIdentity(c: CryptoProvider, label: string): Identity {
  const seed = c.sha256(utf8(label));
  const k = c.sigKeygen(seed);
  return { seed, publicKey: k.publicKey, secretKey: k.secretKey, fp: fingerprint(c, k.publicKey), kemKeys: [] };
}

/** Options of a session. */
export interface SessionOptions {
  readonly url: string;
  readonly crypto: CryptoProvider;
  readonly profile: Profile;
  readonly identity: Identity;
  /** hardened: the pinned relay key. */
  readonly relayPk?: Bytes;
  /** A relay message (plaintext), and the size of the frame that carried it (a batch's frame carries several, REQ-TRN-010). */
  readonly onInner: (inner: Bytes, wireBytes: number) => void;
  /** A frame arrived, before it is opened (the benchmark counts them). */
  readonly onFrame?: (wireBytes: number) => void;
  /** The connection closed (after it was up). */
  readonly onClose?: (code: number, reason: string) => void;
  /** Seed of the connection's generator (default: from the identity's seed, for reproducible runs). */
  readonly rngSeed?: Bytes;
}

/** An open session. */
export interface Session {
  /** Seals and sends a relay request. */
  send(bytes: Bytes): void;
  /** Sends raw bytes, outside the session (a test's garbage). */
  sendRaw(bytes: Bytes): void;
  close(): void;
  /** Whether the socket is still open. */
  open(): boolean;
}

/** Connects and completes the handshake; rejects if the relay refuses it or the socket fails first. */
export function dialSession(o: SessionOptions): Promise<Session> {
  let wire = 0;
  let up = false;
  let conn: SnapshotFrom<typeof clientConnectionMachine> = start<typeof clientConnectionMachine, ConnEffect>(clientConnectionMachine, {
    crypto: o.crypto,
    profile: o.profile,
    identity: o.identity,
    pinnedRelayPk: o.profile === 'hardened' ? o.relayPk : undefined,
    rngSeed: o.rngSeed ?? (o.identity.seed.length > 0 ? deterministicRng(o.identity.seed).bytes(48) : systemRng.bytes(48)),
  }).snapshot;
  const ws = new WebSocket(o.url, { perMessageDeflate: false });
  return new Promise((resolve, reject) => {
    const feed = (event: ConnEvent): void => {
      const r = step<typeof clientConnectionMachine, ConnEffect>(clientConnectionMachine, conn, event);
      conn = r.snapshot;
      for (const fx of r.effects) {
        if (fx.type === 'effect.wire') ws.send(fx.bytes);
        else if (fx.type === 'effect.up') {
          up = true;
          resolve(session);
        } else if (fx.type === 'effect.receive') o.onInner(fx.bytes, wire);
        else if (fx.type === 'effect.reject' && !up) reject(new Error(`handshake refused: ${fx.reqId} ${fx.detail}`));
      }
    };
    const session: Session = {
      send: (bytes) => feed({ type: 'app.send', bytes, now: Date.now() }),
      sendRaw: (bytes) => ws.send(bytes),
      close: () => ws.terminate(),
      open: () => ws.readyState === WebSocket.OPEN,
    };
    ws.on('open', () => feed({ type: 'conn.start', now: Date.now() }));
    ws.on('message', (data: Buffer) => {
      wire = data.byteLength;
      o.onFrame?.(wire);
      feed({ type: 'net.wire', bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), now: Date.now() });
    });
    ws.on('close', (code, why) => {
      if (!up) reject(new Error(`closed during the handshake: ${code} ${why.toString()}`));
      else o.onClose?.(code, why.toString());
    });
    ws.on('error', reject);
  });
}
