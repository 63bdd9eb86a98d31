/**
 * The adversary's knowledge (spec 11.1, 12): the closure of what it observed under the usual
 * Dolev-Yao rules, computed with the protocol's own opening functions. A KEM ciphertext opens
 * only with the secret key of its recipient, an AEAD only under its key, and a key derivation
 * needs all of its inputs; whatever opens adds to the knowledge, until nothing new follows.
 *
 * With the symbolic backend a secret is broken exactly when it enters this set. With the real
 * backend the same rules run on the real bytes: what the closure derives, the adversary computed.
 */
import { equalBytes, toHex, type Bytes } from '../impl/bytes.ts';
import { decode, encode, encodePrefix, peekType } from '../impl/codec.ts';
import type { CryptoProvider } from '../impl/crypto/provider.ts';
import { commitContextHash, compatConnectionKey, epochKeys, epochSecret, groupContextOf, INITIAL_INIT_SECRET, joinHash, openCommitEntry, welcomeKey, type EpochKeys } from '../impl/keyschedule.ts';
import {
  AppContent,
  AppMessage,
  Commit,
  CompatChat,
  CompatJoinRequest,
  CompatRotation,
  CompatWelcome,
  GroupInfo,
  HistoryChunk,
  JoinRequest,
  MailboxChunk,
  MailboxDelivery,
  MESSAGES,
  messageName,
  MsgType,
  RoomDelivery,
  Welcome,
} from '../impl/messages/index.ts';
import { compatOpenWelcome, openCompatSealed } from '../impl/protocol/compat.ts';
import { TOKEN_BYTES } from '../impl/suite.ts';
import type { Observation } from './relay.ts';

/** Where a known room key or epoch secret came from (for the PROP-16 oracle and reports). */
export interface Provenance {
  /** How it was derived. */
  readonly via: 'leak' | 'controlled member' | 'commit entry' | 'welcome' | 'compat welcome' | 'compat rotation';
  /** For welcomes: the invite id, and whether the adversary held its token. */
  readonly inviteId?: string;
  readonly withToken?: boolean;
}

/** What the adversary knows. */
export interface Knowledge {
  /** Adds an observation and recomputes the closure. */
  observe(o: Observation): void;
  /** The adversary holds an ML-KEM secret key (its own, a controlled member's, a leaked one). */
  addKemSecret(sk: Bytes): void;
  /** The adversary holds an invite token. */
  addToken(token: Bytes): void;
  /** The adversary knows a compat connection key (it made the encapsulation itself). */
  addConnectionKey(k: Bytes): void;
  /** A leaked hardened epoch secret of room `room` (CAP-17); its group context follows from the observed commit. */
  addEpochSecret(room: Bytes, epoch: number, secret: Bytes, via: Provenance['via']): void;
  /** A leaked or held compat room key. */
  addRoomKey(key: Bytes, via: Provenance['via']): void;
  /** Keys of a hardened epoch of room `room` the adversary holds outright (a controlled member's). */
  addEpochKeys(room: Bytes, epoch: number, keys: EpochKeys, via: Provenance['via']): void;
  /** Whether the adversary knows these bytes as a secret (epoch secret, room key, token). */
  knows(secret: Bytes): boolean;
  /** How it learned a secret it knows. */
  provenance(secret: Bytes): Provenance | undefined;
  /** Grows whenever a secret or a plaintext is learnt. */
  version(): number;
  /** Plaintexts of application messages it can read. */
  readonly plaintexts: ReadonlySet<string>;
  /** Hardened epochs whose keys it holds, by `epochKey(room, epoch)`: epochs are numbered per room (spec 7.11). */
  readonly epochs: ReadonlyMap<string, EpochKeys>;
}

/** How `Knowledge.epochs` names epoch `epoch` of room `room`. */
export function epochKey(room: Bytes, epoch: number): string {
  return `${toHex(room)}:${epoch}`;
}

/** The payloads a frame carries (room entries, mailbox entries, request payloads), flattened. */
export function payloadsOf(bytes: Bytes): Bytes[] {
  let type: number;
  try {
    type = peekType(bytes);
  } catch {
    return [];
  }
  try {
    switch (type) {
      case MsgType.RoomDelivery:
        return [decode(RoomDelivery, bytes).payload];
      case MsgType.MailboxDelivery:
        return [decode(MailboxDelivery, bytes).entry.payload];
      case MsgType.HistoryChunk:
        return decode(HistoryChunk, bytes).entries.map((e) => e.payload);
      case MsgType.MailboxChunk:
        return decode(MailboxChunk, bytes).entries.map((e) => e.payload);
      default: {
        const name = messageName(type);
        if (name === undefined) return [];
        const v = decode(MESSAGES[name], bytes) as Record<string, unknown>;
        return v.payload instanceof Uint8Array ? [v.payload] : [];
      }
    }
  } catch {
    return [];
  }
}

/** A fresh knowledge set over one crypto backend. */
export function knowledge(c: CryptoProvider): Knowledge {
  const kemSks: Bytes[] = [];
  const tokens: Bytes[] = [new Uint8Array(0)]; // compat: the empty token of W1 is known to all
  const connKeys: Bytes[] = [];
  const roomKeys: Bytes[] = [];
  // each stored item remembers how far along the key lists it has been tried: the lists only grow,
  // so every (item, key) pair is tried exactly once, and a pass costs nothing when nothing is new
  // epochs are numbered per room: every map below is keyed by epochKey(room, epoch)
  const commits = new Map<string, { value: Commit; bytes: Bytes; key: string; ctx: Bytes; sksTried: number }[]>();
  const commitSecrets = new Map<string, Bytes>(); // commit digest (hex) -> commit secret
  const epochs = new Map<string, EpochKeys>();
  const epochSecrets = new Map<string, Bytes>(); // leaked, waiting for their commit
  const joinRequests = new Map<string, { bytes: Bytes; hash: Bytes }[]>(); // invite id hex -> join requests
  const compatJoins: { value: CompatJoinRequest; sksTried: number }[] = [];
  const welcomes: { value: Welcome; bytes: Bytes; triedAt: string }[] = [];
  const compatWelcomes: { value: CompatWelcome; triedAt: string }[] = [];
  const sealed: { msg: CompatChat; rotation: boolean }[] = [];
  const pendingApps = new Map<string, AppMessage[]>(); // by epoch, until that epoch's keys are known
  const seen = new Set<string>();
  const secrets = new Map<string, Provenance>();
  const plaintexts = new Set<string>();
  const tried = new Set<string>(); // (welcome, join request, token, key) index tuples already tried
  const sealedTried: number[] = []; // per sealed message: how many room keys were tried on it
  let version = 0;

  const learnSecret = (b: Bytes, p: Provenance): boolean => {
    const h = toHex(b);
    if (secrets.has(h)) return false;
    secrets.set(h, p);
    version++;
    return true;
  };

  const installEpoch = (commit: { value: Commit; bytes: Bytes }, secret: Bytes, p: Provenance): boolean => {
    const e = epochKey(commit.value.room_id, commit.value.epoch);
    if (epochs.has(e) && equalBytes(epochs.get(e)!.epochSecret, secret)) return false;
    epochs.set(e, epochKeys(c, secret, groupContextOf(c, commit.value, commit.bytes)));
    learnSecret(secret, p);
    return true;
  };

  /** One pass of every rule; true when something new was learnt. */
  const pass = (): boolean => {
    let grew = false;
    // hardened: commit entries open with a known KEM secret key; the epoch follows from the previous init secret
    for (const [e, list] of commits) {
      for (const cm of list) {
        const n = cm.value.epoch;
        const ck = cm.key;
        if (!commitSecrets.has(ck) && cm.sksTried < kemSks.length) {
          const from = cm.sksTried;
          cm.sksTried = kemSks.length;
          open: for (const entry of cm.value.entries) {
            for (const sk of kemSks.slice(from)) {
              try {
                commitSecrets.set(ck, openCommitEntry(c, cm.ctx, entry, sk));
                grew = true;
                break open;
              } catch {
                // not this key
              }
            }
          }
        }
        const cs = commitSecrets.get(ck);
        const prevInit = n === 0 ? INITIAL_INIT_SECRET : epochs.get(epochKey(cm.value.room_id, n - 1))?.initSecret;
        if (cs && prevInit && !epochs.has(e)) grew = installEpoch(cm, epochSecret(c, prevInit, cs), { via: 'commit entry' }) || grew;
        const leaked = epochSecrets.get(e);
        if (leaked && !epochs.has(e)) grew = installEpoch(cm, leaked, { via: 'leak' }) || grew;
      }
    }
    // hardened: a welcome opens with the invite token and the join request's KEM secret key
    for (let wi = 0; wi < welcomes.length; wi++) {
      const w = welcomes[wi]!;
      if (epochs.has(epochKey(w.value.room_id, w.value.epoch)) || kemSks.length === 0) continue;
      const jrs = joinRequests.get(toHex(w.value.invite_id)) ?? [];
      const at = `${jrs.length}|${tokens.length}|${kemSks.length}`;
      if (w.triedAt === at) continue;
      w.triedAt = at;
      jrs.forEach((jr, ji) => {
        if (!equalBytes(jr.hash, w.value.join_hash)) return;
        tokens.forEach((token, ti) => {
          if (token.length !== TOKEN_BYTES) return;
          kemSks.forEach((sk, si) => {
            const tag = `w|${wi}|${ji}|${ti}|${si}`;
            if (tried.has(tag)) return;
            tried.add(tag);
            const plain = c.aeadOpen(welcomeKey(c, token, c.kemDecapsulate(w.value.kem_ct, sk), jr.hash), w.value.nonce, encodePrefix(Welcome, w.value, 'sealed'), w.value.sealed);
            if (!plain) return;
            const gi = decode(GroupInfo, plain);
            grew = installEpoch({ value: gi.commit, bytes: encode(Commit, gi.commit) }, gi.epoch_secret, { via: 'welcome', inviteId: toHex(w.value.invite_id), withToken: true }) || grew;
          });
        });
      });
    }
    // hardened: application messages open under a known epoch's app key
    for (const [epoch, list] of pendingApps) {
      const keys = epochs.get(epoch);
      if (!keys) continue;
      pendingApps.delete(epoch);
      for (const m of list) {
        const plain = c.aeadOpen(keys.appKey, m.nonce, encodePrefix(AppMessage, m, 'ciphertext'), m.ciphertext);
        if (!plain) continue;
        const text = decode(AppContent, plain).text;
        if (!plaintexts.has(text)) {
          plaintexts.add(text);
          version++;
          grew = true;
        }
      }
    }
    // compat: a join request's connection key, with the owner's KEM secret key
    for (const j of compatJoins) {
      for (; j.sksTried < kemSks.length; j.sksTried++) {
        connKeys.push(compatConnectionKey(c, c.kemDecapsulate(j.value.kem_ct, kemSks[j.sksTried]!)));
        grew = true;
      }
    }
    // compat: a welcome opens with a connection key and a token, the empty one included (W1)
    for (let wi = 0; wi < compatWelcomes.length; wi++) {
      const w = compatWelcomes[wi]!;
      const at = `${connKeys.length}|${tokens.length}`;
      if (w.triedAt === at) continue;
      w.triedAt = at;
      connKeys.forEach((ck, ci) => {
        tokens.forEach((token, ti) => {
          const tag = `cw|${wi}|${ci}|${ti}`;
          if (tried.has(tag)) return;
          tried.add(tag);
          try {
            const content = compatOpenWelcome(c, w.value, ck, token);
            if (!roomKeys.some((k) => equalBytes(k, content.room_key))) {
              roomKeys.push(content.room_key);
              learnSecret(content.room_key, { via: 'compat welcome', inviteId: toHex(w.value.invite_id), withToken: token.length > 0 });
              grew = true;
            }
          } catch {
            // not this key or token
          }
        });
      });
    }
    // compat: rotations and chats open under any known room key (W4)
    const held = roomKeys.map((key, i) => ({ generation: i, key }));
    for (let i = 0; i < sealed.length; i++) {
      const s = sealed[i]!;
      const from = sealedTried[i] ?? 0;
      if (from >= held.length) continue;
      sealedTried[i] = held.length;
      const opened = openCompatSealed(c, s.msg, held.slice(from));
      if (!opened) continue;
      if (s.rotation && opened.plaintext.length === 32) {
        if (!roomKeys.some((k) => equalBytes(k, opened.plaintext))) {
          roomKeys.push(opened.plaintext);
          learnSecret(opened.plaintext, { via: 'compat rotation' });
          grew = true;
        }
      } else if (!s.rotation) {
        const text = new TextDecoder('utf-8', { fatal: false }).decode(opened.plaintext);
        if (!plaintexts.has(text)) {
          plaintexts.add(text);
          version++;
          grew = true;
        }
      }
    }
    return grew;
  };

  const close = (): void => {
    for (let i = 0; i < 64 && pass(); i++);
  };

  const ingest = (payload: Bytes): void => {
    const h = toHex(c.sha256(payload)); // a digest, not the hex of the whole payload: payloads are kilobytes
    if (seen.has(h)) return;
    seen.add(h);
    try {
      switch (peekType(payload)) {
        case MsgType.Commit: {
          const value = decode(Commit, payload);
          const ctx = commitContextHash(c, value.room_id, value.epoch, value.prev_epoch_hash, value.roster_hash);
          const ek = epochKey(value.room_id, value.epoch);
          commits.set(ek, [...(commits.get(ek) ?? []), { value, bytes: payload, key: h, ctx, sksTried: 0 }]);
          break;
        }
        case MsgType.Welcome:
          welcomes.push({ value: decode(Welcome, payload), bytes: payload, triedAt: '' });
          break;
        case MsgType.JoinRequest: {
          const v = decode(JoinRequest, payload);
          joinRequests.set(toHex(v.invite_id), [...(joinRequests.get(toHex(v.invite_id)) ?? []), { bytes: payload, hash: joinHash(c, payload) }]);
          break;
        }
        case MsgType.AppMessage: {
          const m = decode(AppMessage, payload);
          const ek = epochKey(m.room_id, m.epoch);
          const list = pendingApps.get(ek);
          if (list) list.push(m);
          else pendingApps.set(ek, [m]);
          break;
        }
        case MsgType.CompatJoinRequest:
          compatJoins.push({ value: decode(CompatJoinRequest, payload), sksTried: 0 });
          break;
        case MsgType.CompatWelcome:
          compatWelcomes.push({ value: decode(CompatWelcome, payload), triedAt: '' });
          break;
        case MsgType.CompatChat:
          sealed.push({ msg: decode(CompatChat, payload), rotation: false });
          break;
        case MsgType.CompatRotation:
          sealed.push({ msg: decode(CompatRotation, payload), rotation: true });
          break;
        default:
          break;
      }
    } catch {
      // malformed payloads teach nothing
    }
  };

  return {
    plaintexts,
    epochs,
    observe(o) {
      const before = seen.size;
      for (const p of payloadsOf(o.bytes)) ingest(p);
      if (seen.size !== before) close();
    },
    addKemSecret(sk) {
      if (kemSks.some((k) => equalBytes(k, sk))) return;
      kemSks.push(sk);
      close();
    },
    addToken(token) {
      if (tokens.some((k) => equalBytes(k, token))) return;
      tokens.push(token);
      learnSecret(token, { via: 'leak' });
      close();
    },
    addConnectionKey(k) {
      connKeys.push(k);
      close();
    },
    addEpochSecret(room, epoch, secret, via) {
      const ek = epochKey(room, epoch);
      if (epochSecrets.has(ek) && equalBytes(epochSecrets.get(ek)!, secret)) return;
      epochSecrets.set(ek, secret);
      learnSecret(secret, { via });
      close();
    },
    addRoomKey(key, via) {
      if (roomKeys.some((k) => equalBytes(k, key))) return;
      roomKeys.push(key);
      learnSecret(key, { via });
      close();
    },
    addEpochKeys(room, epoch, keys, via) {
      const ek = epochKey(room, epoch);
      if (epochs.has(ek)) return;
      epochs.set(ek, keys);
      learnSecret(keys.epochSecret, { via });
      close();
    },
    version: () => version,
    knows: (s) => secrets.has(toHex(s)),
    provenance: (s) => secrets.get(toHex(s)),
  };
}
