/**
 * `pqroom demo`: an owner and N invitees as separate WebSocket clients of a live relay, in one
 * process. The owner creates a room and invites everyone; everyone chats; the owner's machine
 * rotates every `rotateEvery` messages; in hardened the owner removes one member halfway. It
 * prints a live transcript and exits 0 only if every member received and verified every message
 * it was entitled to, and no client raised an alarm.
 */
import { createWriteStream } from 'node:fs';
import { fromHex, toHex } from '../../impl/bytes.ts';
import { nodeCrypto } from '../../impl/crypto/node.ts';
import { fingerprintEmoji, relayKeyFingerprint } from '../../impl/fingerprint.ts';
import { fingerprint } from '../../impl/keyschedule.ts';
import { createIdentity } from '../../impl/protocol/identity.ts';
import { deterministicRng, systemRng } from '../../impl/rng.ts';
import type { Profile } from '../../impl/suite.ts';
import type { Invite } from '../../impl/messages/index.ts';
import { startLiveClient, type LiveClient } from './client.ts';
import type { TraceLine } from '../relay-host.ts';

/** Options of a demo run. */
export interface DemoOptions {
  readonly relay: string;
  readonly members: number;
  readonly messages: number;
  readonly profile: Profile;
  /** The relay key to pin (hardened); fetched from the relay's `/relay-key` when absent. */
  readonly relayPk?: Uint8Array;
  readonly rotateEvery?: number;
  /** Give up after this long (ms). */
  readonly timeoutMs?: number;
  readonly out?: (line: string) => void;
  /** Register and log in every client before it goes online (spec 9; default true), at the interactive KDF profile. */
  readonly login?: boolean;
  /**
   * INSECURE, for tests and throwaway demo accounts only: register and log in with the test KDF
   * profile, which a client without this configuration refuses (REQ-LOG-019); the relay must be
   * started with it too (`pqroom relay --insecure-test-kdf`: REQ-LOG-018).
   */
  readonly insecureTestKdf?: boolean;
  /** How long to keep listening after the last message arrived, for late replays and alarms (ms, default 1000). */
  readonly lingerMs?: number;
  /** Writes a JSONL trace of every client (the simulator's format, wall-clock milliseconds). */
  readonly trace?: string;
}

/** What a demo run found. */
export interface DemoResult {
  readonly ok: boolean;
  /** Messages sent. */
  readonly sent: number;
  /** Per member: messages it was entitled to and how many it got. */
  readonly members: { name: string; entitled: number; received: number; removed: boolean }[];
  readonly alarms: string[];
  /** Inputs the clients refused (a tampered or replayed message, say), as `name REQ-ID: detail`. */
  readonly refused: string[];
  /** Messages a client delivered more than once (an accepted replay). */
  readonly duplicates: string[];
  readonly epochs: number;
  readonly ms: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Refusals of the connection handshake and the login (spec 8, 9): a relay key other than the pinned
 * one, the other profile, a login the relay requires or refuses. Reconnecting meets the same answer,
 * so the demo ends at once with the cause instead of retrying until its timeout.
 */
const INCURABLE = /^REQ-(TRN-00[1-4]|LOG-\d+)$/;

/** GETs `path` of the relay: its body, or undefined when it answers with another status than 200; one clear error when nothing answers. */
async function relayGet(relay: string, path: string): Promise<string | undefined> {
  const url = `${relay.replace(/^ws/, 'http')}${path}`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    return res.ok ? (await res.text()).trim() : undefined;
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(`no relay answers at ${relay} (${cause?.code ?? cause?.message ?? (e as Error).message}); start one (pqroom relay --port P) or check --relay`);
  }
}

/** The key a relay serves at `/relay-key` (REQ-TRN-012), or undefined when it serves none. */
async function servedRelayKey(relay: string): Promise<Uint8Array | undefined> {
  const text = await relayGet(relay, '/relay-key');
  if (text === undefined) return undefined;
  if (!/^([0-9a-f]{2})+$/.test(text)) throw new Error(`${relay}/relay-key did not serve a relay key; is ${relay} a pqroom relay?`);
  return fromHex(text);
}

/**
 * A relay of the other profile never completes the handshake (the connection messages differ), which
 * reconnecting cannot cure: when the relay says its profile at `/healthz` (REQ-TRN-013, the
 * reference relay's; a relay that does not is simply tried), a mismatch ends the demo at once.
 */
async function checkProfile(relay: string, profile: Profile): Promise<void> {
  const text = await relayGet(relay, '/healthz');
  let served: unknown;
  try {
    served = text === undefined ? undefined : (JSON.parse(text) as { profile?: unknown }).profile;
  } catch {
    served = undefined;
  }
  if ((served === 'hardened' || served === 'compat') && served !== profile) throw new Error(`the relay at ${relay} serves the ${served} profile, the demo runs ${profile}; give --profile ${served}, or start a relay with --profile ${profile}`);
}

/** How long deliveries may stall before the demo stops waiting and reports what arrived. */
const STALL_MS = 10_000;

/** Waits until `done`, or until nothing was delivered for STALL_MS (false: a message is missing). */
async function settle(done: () => boolean, progress: () => number, deadline: number, fatal: () => string | undefined): Promise<boolean> {
  while (!done()) {
    const f = fatal();
    if (f !== undefined) throw new Error(f);
    if (Date.now() > deadline || Date.now() - progress() > STALL_MS) return false;
    await sleep(20);
  }
  return true;
}

async function until(what: string, done: () => boolean, deadline: number, fatal: () => string | undefined): Promise<void> {
  while (!done()) {
    const f = fatal();
    if (f !== undefined) throw new Error(f);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Runs the demo against a relay. */
export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const out = o.out ?? console.log;
  const t0 = Date.now();
  const deadline = t0 + (o.timeoutMs ?? 300_000);
  let relayPk = o.relayPk;
  await checkProfile(o.relay, o.profile);
  if (o.profile === 'hardened' && relayPk === undefined) {
    // REQ-TRN-012: trust on first use, said so, the fingerprint shown, the key pinned for the whole run
    relayPk = await servedRelayKey(o.relay);
    if (relayPk === undefined) throw new Error(`the relay at ${o.relay} serves no key at /relay-key; give it with --relay-key HEX`);
    out(`pinned the relay key served at /relay-key (trust on first use): ${relayKeyFingerprint(fingerprint(nodeCrypto, relayPk))}`);
  } else if (o.profile === 'hardened' && relayPk !== undefined) {
    // REQ-TRN-002: the key given is compared with the one served before any client connects, both shown on a mismatch
    const served = await servedRelayKey(o.relay);
    const [want, got] = [relayKeyFingerprint(fingerprint(nodeCrypto, relayPk)), served === undefined ? undefined : relayKeyFingerprint(fingerprint(nodeCrypto, served))];
    if (got !== undefined && want !== got) throw new Error(`the relay at ${o.relay} serves another key than --relay-key: given ${want}, served ${got}; check --relay-key or the relay`);
    out(`pinned the relay key of --relay-key: ${want}${got === undefined ? '' : ' (the key the relay serves at /relay-key)'}`);
  }
  // the clients' crypto on the fastest real backend of this process: every real backend computes
  // the same bytes (impl/crypto/backends.ts); loaded once the relay was found and its key checked
  const { fastestReal, loadRealBackends, realCrypto } = await import('../../impl/crypto/backends.ts');
  await loadRealBackends();
  const c = realCrypto(fastestReal());
  const alarms: string[] = [];
  const refused: string[] = [];
  /** A refusal no retry can cure (the connection handshake or the login: wrong relay key, other profile, login required or refused): the demo ends at once with it. */
  let fatalError: string | undefined;
  const fatal = (): string | undefined => fatalError;
  const duplicates: string[] = [];
  let lastDelivery = Date.now();
  const got = new Map<string, Set<string>>();
  const traceOut = o.trace === undefined ? undefined : createWriteStream(o.trace, { flags: 'w' });
  const record = traceOut && ((e: TraceLine): void => void traceOut.write(`${JSON.stringify({ t: Date.now() - t0, ...e })}\n`));
  record?.({ kind: 'run', live: true, role: 'demo', relay: o.relay, profile: o.profile, members: o.members, messages: o.messages });
  const invites: Invite[] = [];
  let epochs = 0;
  const clients: LiveClient[] = [];
  const mk = (name: string, role: 'owner' | 'member'): LiveClient => {
    const identity = createIdentity(c, deterministicRng(systemRng.bytes(32)));
    got.set(name, new Set());
    const client = startLiveClient({
      name,
      role,
      url: o.relay,
      crypto: c,
      profile: o.profile,
      identity,
      ...(relayPk === undefined ? {} : { relayPk }),
      // short timers, so that a gap a malicious relay opens is raised within the demo (REQ-MEM-020)
      config: { rotateEvery: o.rotateEvery ?? 50, syncMs: 2_000, gapGraceMs: 5_000 },
      ...(record === undefined ? {} : { record }),
      ...(o.login === false ? {} : { login: { username: `${name}-${toHex(systemRng.bytes(4))}`, password: toHex(systemRng.bytes(12)), register: true, ...(o.insecureTestKdf === true ? { insecureTestKdf: true } : {}) } }),
      on: {
        deliver: (d) => {
          const mine = got.get(name)!;
          if (mine.has(d.text)) {
            duplicates.push(`${name}: ${d.text}`);
            out(`DUPLICATE ${name} delivered "${d.text}" a second time (an accepted replay)`);
          }
          mine.add(d.text);
          lastDelivery = Date.now();
        },
        status: (s) => {
          if (s.kind === 'invite') invites.push(s.invite);
          if (s.kind === 'joined') out(`${name} joined at epoch ${s.epoch}`);
          if (s.kind === 'epoch' && role === 'owner') {
            epochs = Math.max(epochs, s.epoch);
            out(`epoch ${s.epoch} (${s.reason})`);
          }
          if (s.kind === 'removed') out(`${name} removed at epoch ${s.epoch}`);
          // spec 7.12: each key update a member sends, and the commit that installs it
          if (s.kind === 'key-update') out(`${name} sent a key update (ML-KEM key version ${s.version}${s.urgent ? ', urgent' : ''}) at epoch ${s.epoch}`);
          if (s.kind === 'key-updated') out(`${name}'s key update (version ${s.version}) committed at epoch ${s.epoch}; its older ML-KEM private keys erased`);
        },
        raise: (kind, reqId, detail) => {
          if (kind === 'alarm') {
            alarms.push(`${name} ${reqId}: ${detail}`);
            out(`ALARM ${name} ${reqId}: ${detail}`);
          } else {
            refused.push(`${name} ${reqId}: ${detail}`);
            out(`REFUSED ${name} ${reqId}: ${detail}`);
            if (INCURABLE.test(reqId)) fatalError ??= `${name} could not get online: ${reqId}: ${detail}`;
          }
        },
      },
    });
    clients.push(client);
    out(`${name} (${role}) ${fingerprintEmoji(identity.fp)}`);
    return client;
  };
  try {
    const owner = mk('owner', 'owner');
    owner.user({ type: 'user.create' });
    await until('the room', () => JSON.stringify(owner.state()).includes('active'), deadline, fatal);
    out('room created');
    const names = Array.from({ length: o.members }, (_, i) => `member${i + 1}`);
    const members: LiveClient[] = [];
    for (const name of names) {
      const n = invites.length;
      owner.user({ type: 'user.invite' });
      await until(`an invite for ${name}`, () => invites.length > n, deadline, fatal);
      const m = mk(name, 'member');
      m.user({ type: 'user.join', invite: invites[n]! });
      await until(`${name} to join`, () => m.state() === 'member', deadline, fatal);
      members.push(m);
    }
    const everyone = [owner, ...members];
    if (o.profile === 'hardened' && members.length > 0) {
      // REQ-MEM-052: the first member's user asks for a key update (urgent: the owner commits it at once); the others follow the policy
      out(`${members[0]!.name} asks for a key update`);
      members[0]!.user({ type: 'user.update' });
    }
    const sent: { text: string; from: string; phase: number }[] = [];
    const removed = o.profile === 'hardened' && members.length > 1 ? members[members.length - 1]! : undefined;
    const send = async (count: number, phase: number, speakers: LiveClient[]): Promise<void> => {
      for (let i = 0; i < count; i++) {
        const from = speakers[sent.length % speakers.length]!;
        const text = `message ${sent.length + 1} from ${from.name}`;
        sent.push({ text, from: from.name, phase });
        from.user({ type: 'user.send', text });
        if (i % 10 === 9) await sleep(5);
      }
    };
    const entitledOf = (name: string, phases: readonly number[]) => sent.filter((s) => s.from !== name && phases.includes(s.phase)).map((s) => s.text);
    const complete = (clientsToCheck: LiveClient[], phases: readonly number[]) => () => clientsToCheck.every((cl) => entitledOf(cl.name, phases).every((t) => got.get(cl.name)!.has(t)));
    const half = removed ? Math.floor(o.messages / 2) : o.messages;
    await send(half, 1, everyone);
    lastDelivery = Date.now(); // the stall is counted from the sending, not from the start: joins that took long (a relay restarting) are no stall of deliveries
    let stalled = !(await settle(complete(everyone, [1]), () => lastDelivery, deadline, fatal));
    if (stalled) out(`deliveries stalled for ${STALL_MS / 1000} s: some messages of the first half never arrived`);
    else out(`${half} messages delivered to everyone`);
    if (removed && !stalled) {
      owner.user({ type: 'user.remove', memberId: removed.identity.fp });
      await until(`${removed.name}'s removal`, () => removed.state() === 'removed', deadline, fatal);
      const rest = everyone.filter((x) => x !== removed);
      await send(o.messages - half, 2, rest);
      lastDelivery = Date.now();
      stalled = !(await settle(complete(rest, [1, 2]), () => lastDelivery, deadline, fatal));
      if (stalled) out(`deliveries stalled for ${STALL_MS / 1000} s: some messages of the second half never arrived`);
    }
    // a late replay or alarm still counts: linger before the verdict
    await sleep(o.lingerMs ?? 1_000);
    const report = everyone.map((cl) => {
      const phases = cl === removed ? [1] : [1, 2];
      const entitled = entitledOf(cl.name, phases);
      return { name: cl.name, entitled: entitled.length, received: entitled.filter((t) => got.get(cl.name)!.has(t)).length, removed: cl === removed };
    });
    const ok = alarms.length === 0 && duplicates.length === 0 && report.every((r) => r.received === r.entitled);
    out('');
    for (const r of report) out(`${r.name.padEnd(9)} ${String(r.received).padStart(5)} of ${String(r.entitled).padEnd(5)} delivered and verified${r.removed ? ' (removed halfway)' : ''}`);
    out(`${sent.length} messages, ${epochs} epochs, ${alarms.length} alarms, ${refused.length} refused inputs, ${duplicates.length} duplicates, ${((Date.now() - t0) / 1000).toFixed(1)} s: ${ok ? 'OK' : 'FAILED'}`);
    record?.({ kind: 'summary', ok, sent: sent.length, epochs, alarms: alarms.length, refused: refused.length, duplicates: duplicates.length, members: report });
    return { ok, sent: sent.length, members: report, alarms, refused, duplicates, epochs, ms: Date.now() - t0 };
  } finally {
    for (const cl of clients) cl.stop();
    await new Promise<void>((resolve) => (traceOut ? traceOut.end(resolve) : resolve()));
  }
}
