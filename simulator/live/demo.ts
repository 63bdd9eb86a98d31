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
import { fingerprintEmoji } from '../../impl/fingerprint.ts';
import { createIdentity } from '../../impl/protocol/identity.ts';
import { deterministicRng, systemRng } from '../../impl/rng.ts';
import type { Profile } from '../../impl/suite.ts';
import type { Invite } from '../../impl/messages/index.ts';
import { intArg } from '../cli.ts';
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

/** How long deliveries may stall before the demo stops waiting and reports what arrived. */
const STALL_MS = 10_000;

/** Waits until `done`, or until nothing was delivered for STALL_MS (false: a message is missing). */
async function settle(done: () => boolean, progress: () => number, deadline: number): Promise<boolean> {
  while (!done()) {
    if (Date.now() > deadline || Date.now() - progress() > STALL_MS) return false;
    await sleep(20);
  }
  return true;
}

async function until(what: string, done: () => boolean, deadline: number): Promise<void> {
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Runs the demo against a relay. */
export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const out = o.out ?? console.log;
  const t0 = Date.now();
  const deadline = t0 + (o.timeoutMs ?? 300_000);
  const c = nodeCrypto;
  let relayPk = o.relayPk;
  if (o.profile === 'hardened' && relayPk === undefined) {
    // REQ-TRN-012: trust on first use, said so, the fingerprint shown, the key pinned for the whole run
    const res = await fetch(`${o.relay.replace(/^ws/, 'http')}/relay-key`);
    relayPk = fromHex((await res.text()).trim());
    out(`pinned the relay key served at /relay-key (trust on first use): ${fingerprintEmoji(c.sha256(relayPk))}`);
  }
  if (o.login !== false && o.insecureTestKdf === true) out('INSECURE: logins use the test KDF profile (m=64 KiB, t=1) of --insecure-test-kdf, for throwaway demo accounts; a real client refuses it (REQ-LOG-012, REQ-LOG-019)');
  const alarms: string[] = [];
  const refused: string[] = [];
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
        },
        raise: (kind, reqId, detail) => {
          if (kind === 'alarm') {
            alarms.push(`${name} ${reqId}: ${detail}`);
            out(`ALARM ${name} ${reqId}: ${detail}`);
          } else {
            refused.push(`${name} ${reqId}: ${detail}`);
            out(`REFUSED ${name} ${reqId}: ${detail}`);
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
    await until('the room', () => JSON.stringify(owner.state()).includes('active'), deadline);
    out('room created');
    const names = Array.from({ length: o.members }, (_, i) => `member${i + 1}`);
    const members: LiveClient[] = [];
    for (const name of names) {
      const n = invites.length;
      owner.user({ type: 'user.invite' });
      await until(`an invite for ${name}`, () => invites.length > n, deadline);
      const m = mk(name, 'member');
      m.user({ type: 'user.join', invite: invites[n]! });
      await until(`${name} to join`, () => m.state() === 'member', deadline);
      members.push(m);
    }
    const everyone = [owner, ...members];
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
    let stalled = !(await settle(complete(everyone, [1]), () => lastDelivery, deadline));
    if (stalled) out(`deliveries stalled for ${STALL_MS / 1000} s: some messages of the first half never arrived`);
    else out(`${half} messages delivered to everyone`);
    if (removed && !stalled) {
      owner.user({ type: 'user.remove', memberId: removed.identity.fp });
      await until(`${removed.name}'s removal`, () => removed.state() === 'removed', deadline);
      const rest = everyone.filter((x) => x !== removed);
      await send(o.messages - half, 2, rest);
      lastDelivery = Date.now();
      stalled = !(await settle(complete(rest, [1, 2]), () => lastDelivery, deadline));
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

const HELP = `usage: pqroom demo --relay ws://HOST:PORT [--members N] [--messages M] [--profile hardened|compat] [--relay-key HEX] [--insecure-test-kdf]

Starts an owner and N invitees as WebSocket clients of a running relay (pqroom relay),
creates a room, invites and joins everyone, sends M messages (the owner rotates every 50),
removes one member halfway (hardened), and prints a transcript. Exit 0 only if every member
received and verified every message it was entitled to and no client raised an alarm.

  --relay URL      the relay (required)
  --members N      invitees (default 3)
  --messages M     messages (default 250)
  --profile P      hardened (default) or compat
  --relay-key HEX  the relay key to pin (default: fetched from the relay's /relay-key)
  --timeout S      give up after S seconds (default 300)
  --trace FILE     write a JSONL trace of every client (render it with pqroom replay --mermaid)
  --no-login       do not register and log in (spec 9) before going online; by default every
                   client does, with the interactive KDF profile (64 MiB, t=3), and its
                   connection is rekeyed with the session (REQ-LOG-020)
  --insecure-test-kdf
                   INSECURE, tests and throwaway accounts only: register and log in with the
                   test KDF profile (64 KiB, t=1), which a real client refuses (REQ-LOG-019);
                   the relay must run with --insecure-test-kdf too (REQ-LOG-018)

Against a malicious relay (pqroom relay --adversary PLAN) the transcript shows what the
clients refused (REFUSED), raised (ALARM) or accepted twice (DUPLICATE).`;

/** `pqroom demo`. */
export async function main(argv: readonly string[], out: (s: string) => void = console.log): Promise<number> {
  let relay: string | undefined;
  let members = 3;
  let messages = 250;
  let profile: Profile = 'hardened';
  let relayPk: Uint8Array | undefined;
  let timeout = 300;
  let trace: string | undefined;
  let login = true;
  let insecureTestKdf = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h' || a === '--help') {
      out(HELP);
      return 0;
    }
    if (a === '--no-login') {
      login = false;
      continue;
    }
    if (a === '--insecure-test-kdf') {
      insecureTestKdf = true;
      continue;
    }
    const v = argv[++i];
    try {
      if (v === undefined) throw new Error(`${a} needs a value`);
      if (a === '--relay') relay = v;
      else if (a === '--members') members = intArg(a, v);
      else if (a === '--messages') messages = intArg(a, v);
      else if (a === '--timeout') timeout = intArg(a, v);
      else if (a === '--relay-key') relayPk = fromHex(v);
      else if (a === '--trace') trace = v;
      else if (a === '--profile' && (v === 'hardened' || v === 'compat')) profile = v;
      else throw new Error(`bad option ${a} ${v}`);
    } catch (e) {
      out(`pqroom demo: ${(e as Error).message}\n\n${HELP}`);
      return 2;
    }
  }
  if (relay === undefined || !/^wss?:\/\//.test(relay) || !(members >= 1 && members <= 100) || !(messages >= 1) || !(timeout >= 1)) {
    out(`pqroom demo: --relay ws://… is required; 1 ≤ members ≤ 100, messages ≥ 1\n\n${HELP}`);
    return 2;
  }
  try {
    const r = await runDemo({ relay, members, messages, profile, timeoutMs: timeout * 1000, out, ...(relayPk === undefined ? {} : { relayPk }), ...(trace === undefined ? {} : { trace }), login, insecureTestKdf });
    return r.ok ? 0 : 1;
  } catch (e) {
    out(`pqroom demo: ${(e as Error).message}`);
    return 1;
  }
}

